// An ATA/IDE controller for the unit tests (tests/sim/dom0.ts routes its
// ports here): two channels, each with a master and a slave position that is
// empty, an ATAPI CD-ROM or a disk. A pure state machine over port reads and
// writes, after ATA/ATAPI-8 (ATA8-APT, ATA8-ACS): the task file registers
// (each a two-deep FIFO for the 48-bit commands, read back with HOB), status
// and alternate status, device control (SRST, nIEN), signatures after a
// reset, IDENTIFY DEVICE, READ/WRITE SECTORS (EXT), FLUSH CACHE (EXT), ABRT
// for anything else, IDNF for an LBA beyond the disk. Commands complete at
// once (a disk's `latency` keeps BSY up for a few status reads).
//
// A disk's medium (SimDisk) is separate from the controller, so a test can
// cut the power (a new Dom0 and AtaController) and attach the same disk again.

// Command block offsets and the bits, as ATA8 names them.
const DATA = 0, ERROR = 1, COUNT = 2, LBA_LOW = 3, LBA_MID = 4, LBA_HIGH = 5, DEVICE = 6, STATUS = 7;
const BSY = 0x80, DRDY = 0x40, DF = 0x20, DSC = 0x10, DRQ = 0x08, ERR = 0x01;
const ERR_UNC = 0x40, ERR_IDNF = 0x10, ERR_ABRT = 0x04;
const HOB = 0x80, SRST = 0x04, NIEN = 0x02;
const DEV_LBA = 0x40, DEV_DEV = 0x10;
export const ATA_CMD = {
  READ_SECTORS: 0x20, READ_SECTORS_EXT: 0x24, WRITE_SECTORS: 0x30, WRITE_SECTORS_EXT: 0x34,
  FLUSH_CACHE: 0xe7, FLUSH_CACHE_EXT: 0xea, IDENTIFY_DEVICE: 0xec, IDENTIFY_PACKET_DEVICE: 0xa1,
};
const SECTOR = 512;
const LBA28_MAX = 0x0fffffff;

export type AtaFault = "UNC" | "IDNF" | "ABRT";
const FAULT_BITS: Record<AtaFault, number> = { UNC: ERR_UNC, IDNF: ERR_IDNF, ABRT: ERR_ABRT };

export interface SimDiskOptions {
  /** Sectors; default the image's size, else 2048 (1 MiB). */
  sectors?: number;
  /** The medium, written in place; without one the disk is sparse (a Map of the sectors written). */
  image?: Uint8Array;
  model?: string;
  serial?: string;
  /** The 48-bit address feature set (IDENTIFY word 83 bit 10); default true. */
  lba48?: boolean;
}

// The 40 (20, 8) characters of an IDENTIFY string: first of each pair in the high byte.
function identString(words: Uint16Array, at: number, text: string, len: number): void {
  const s = text.padEnd(len, " ").slice(0, len);
  for (let i = 0; i < len; i += 2) words[at + i / 2] = (s.charCodeAt(i) << 8) | s.charCodeAt(i + 1);
}

// A disk: its medium and its knobs. `sectors` may be changed after the
// probe (the disk then answers IDNF beyond it, as one with a host protected
// area set behind the driver's back would).
export class SimDisk {
  readonly kind = "disk";
  sectors: number;
  model: string;
  serial: string;
  lba48: boolean;
  /** Status reads that show BSY after each command and each data block (0: none). */
  latency = 0;
  /** Sectors the disk took (written or, after dropWritesAfter, dropped), flushes done. */
  sectorsWritten = 0;
  writesDropped = 0;
  flushes = 0;
  private readonly image: Uint8Array | null;
  private readonly sparse = new Map<number, Uint8Array>();
  private writesLeft = Infinity;
  private readonly faults = new Map<number, AtaFault>();
  hung = false;

  constructor(o: SimDiskOptions = {}) {
    this.image = o.image ?? null;
    this.sectors = o.sectors ?? (o.image ? Math.floor(o.image.length / SECTOR) : 2048);
    if (this.image && this.image.length < this.sectors * SECTOR) throw new Error("SimDisk: image smaller than its sectors");
    this.model = o.model ?? "SIM ATA DISK";
    this.serial = o.serial ?? "SIM0001";
    this.lba48 = o.lba48 ?? true;
  }

  /** Writes after the next `n` sectors written are silently lost (a power cut): the disk acknowledges them. */
  dropWritesAfter(n: number): void { this.writesLeft = n; }
  /** Reading or writing `lba` fails with that error (UNC: a media error). */
  failAt(lba: number, kind: AtaFault = "UNC"): void { this.faults.set(lba, kind); }
  clearFaults(): void { this.faults.clear(); this.writesLeft = Infinity; }
  /** BSY forever (a reset does not help) until hang(false). */
  hang(on = true): void { this.hung = on; }

  fault(lba: number): AtaFault | undefined { return this.faults.get(lba); }

  /** Sector `lba` of the medium (zeros where nothing was written). */
  readSector(lba: number): Uint8Array {
    if (this.image) return this.image.subarray(lba * SECTOR, (lba + 1) * SECTOR);
    return this.sparse.get(lba) ?? new Uint8Array(SECTOR);
  }
  /** The medium's bytes of `count` sectors from `lba` (a copy). */
  bytes(lba: number, count = 1): Uint8Array {
    const out = new Uint8Array(count * SECTOR);
    for (let i = 0; i < count; i++) out.set(this.readSector(lba + i), i * SECTOR);
    return out;
  }
  /** Puts bytes on the medium directly (a whole number of sectors from `lba`). */
  setBytes(lba: number, data: Uint8Array): void {
    for (let i = 0; i * SECTOR < data.length; i++) this.store(lba + i, data.subarray(i * SECTOR, (i + 1) * SECTOR));
  }

  /** A sector the host wrote: stored, or dropped after dropWritesAfter's count. */
  take(lba: number, data: Uint8Array): void {
    this.sectorsWritten++;
    if (this.writesLeft <= 0) {
      this.writesDropped++;
      return;
    }
    this.writesLeft--;
    this.store(lba, data);
  }

  private store(lba: number, data: Uint8Array): void {
    const copy = new Uint8Array(SECTOR);
    copy.set(data.subarray(0, SECTOR));
    if (this.image) this.image.set(copy, lba * SECTOR);
    else this.sparse.set(lba, copy);
  }

  /** The 256 words of IDENTIFY DEVICE (ATA8-ACS), integrity word included. */
  identify(): Uint16Array {
    const w = new Uint16Array(256);
    const lba28 = Math.min(this.sectors, LBA28_MAX);
    const cyl = Math.min(16383, Math.floor(lba28 / (16 * 63)));
    w[0] = 0x0040;                                   // ATA device, fixed
    w[1] = cyl; w[3] = 16; w[6] = 63;                // default CHS
    identString(w, 10, this.serial, 20);
    identString(w, 23, "1.0", 8);
    identString(w, 27, this.model, 40);
    w[47] = 0x8010;                                  // READ/WRITE MULTIPLE: 16 sectors
    w[49] = 0x0300;                                  // LBA, DMA
    w[50] = 0x4000;
    w[53] = 0x0007;                                  // words 54-58, 64-70, 88 valid
    w[54] = cyl; w[55] = 16; w[56] = 63;
    const chs = cyl * 16 * 63;
    w[57] = chs & 0xffff; w[58] = chs >>> 16;
    w[60] = lba28 & 0xffff; w[61] = lba28 >>> 16;
    w[80] = 0x00f0;                                  // ATA-4 .. ATA-7
    w[82] = 0x4020;                                  // write cache
    w[83] = 0x4000 | 0x1000 | (this.lba48 ? 0x2000 | 0x0400 : 0); // FLUSH CACHE (EXT), 48-bit
    w[84] = 0x4000;
    w[85] = w[82]; w[86] = w[83] & 0x3fff; w[87] = 0x4000;
    if (this.lba48) {
      let n = BigInt(this.sectors);
      for (let i = 100; i < 104; i++, n >>= 16n) w[i] = Number(n & 0xffffn);
    }
    let sum = 0xa5;
    for (let i = 0; i < 255; i++) sum += (w[i] & 0xff) + (w[i] >> 8);
    w[255] = (((256 - (sum & 0xff)) & 0xff) << 8) | 0xa5;
    return w;
  }
}

// A packet device: it aborts IDENTIFY DEVICE with its signature in LBA Mid/High.
// Its status after a reset is 0 (DRDY clear, as ATA8-ACS has it) unless
// `resetStatus` says otherwise (QEMU's shows DRDY | DSC).
export class SimCdrom {
  readonly kind = "atapi";
  constructor(readonly model = "SIM ATAPI CD-ROM", readonly resetStatus = 0) {}
}

export type AtaDevice = SimDisk | SimCdrom | null;

export interface AtaCommandRecord {
  channel: number;      // 0 primary, 1 secondary
  slave: boolean;
  command: number;
  lba: number;
  count: number;
}

// One device's registers and the transfer in progress.
class Unit {
  status = 0;
  error = 0;
  // The task file, [current, previous] (the previous one is read with HOB).
  count = [0, 0];
  lbaLow = [0, 0];
  lbaMid = [0, 0];
  lbaHigh = [0, 0];
  busyReads = 0;                 // status reads left that show BSY (latency)
  mode: "idle" | "in" | "out" = "idle";
  buf = new Uint8Array(SECTOR);
  pos = 0;
  lba = 0;
  left = 0;
  identifying = false;
  constructor(public device: AtaDevice) { this.powerOn(); }

  powerOn(): void {
    this.mode = "idle";
    this.error = 0x01;           // diagnostic: no error
    this.count = [1, 0];
    this.lbaLow = [1, 0];
    const packet = this.device?.kind === "atapi";
    this.lbaMid = [packet ? 0x14 : 0, 0];
    this.lbaHigh = [packet ? 0xeb : 0, 0];
    const d = this.device;
    this.status = d === null ? 0 : d.kind === "disk" ? DRDY | DSC : d.resetStatus;
  }
}

class SimChannel {
  units: [Unit, Unit];
  device = 0;                    // the Device register (shared: both devices latch it)
  control = 0;
  constructor(master: AtaDevice, slave: AtaDevice, public cmd: number, public ctl: number) {
    this.units = [new Unit(master), new Unit(slave)];
  }
}

export interface AtaControllerOptions {
  primaryMaster?: AtaDevice;
  primarySlave?: AtaDevice;
  secondaryMaster?: AtaDevice;
  secondarySlave?: AtaDevice;
  /** Port bases of the two channels: the legacy ones by default (a native-mode controller has its BARs'). */
  bases?: Array<{ cmd: number; ctl: number }>;
}

export const LEGACY_BASES = [{ cmd: 0x1f0, ctl: 0x3f6 }, { cmd: 0x170, ctl: 0x376 }];

export class AtaController {
  readonly channels: SimChannel[];
  /** Every command a present device took. */
  commands: AtaCommandRecord[] = [];
  /** Interrupts a device asserted with nIEN clear (a polling driver sets nIEN: stays 0). */
  interrupts = 0;

  constructor(o: AtaControllerOptions = {}) {
    const b = o.bases ?? LEGACY_BASES;
    this.channels = [
      new SimChannel(o.primaryMaster ?? null, o.primarySlave ?? null, b[0].cmd, b[0].ctl),
      new SimChannel(o.secondaryMaster ?? null, o.secondarySlave ?? null, b[1].cmd, b[1].ctl),
    ];
  }

  /** Puts a device at a position (channel 0 primary, 1 secondary), as at power-on. */
  attach(channel: number, slave: boolean, device: AtaDevice): void {
    this.channels[channel].units[slave ? 1 : 0] = new Unit(device);
  }
  device(channel: number, slave: boolean): AtaDevice { return this.channels[channel].units[slave ? 1 : 0].device; }
  /** The Device Control register last written to a channel. */
  control(channel: number): number { return this.channels[channel].control; }

  handles(port: number): boolean { return this.find(port) !== null; }

  private find(port: number): { ch: SimChannel; reg: number; control: boolean; index: number } | null {
    for (let i = 0; i < this.channels.length; i++) {
      const ch = this.channels[i];
      if (port >= ch.cmd && port < ch.cmd + 8) return { ch, reg: port - ch.cmd, control: false, index: i };
      if (port === ch.ctl) return { ch, reg: 0, control: true, index: i };
    }
    return null;
  }

  private selected(ch: SimChannel): Unit { return ch.units[ch.device & DEV_DEV ? 1 : 0]; }

  private statusOf(ch: SimChannel, u: Unit): number {
    if (u.device?.kind === "disk" && u.device.hung) return BSY;
    if (u.busyReads > 0) {
      u.busyReads--;
      return BSY;
    }
    return u.status;
  }

  // ── Port reads ────────────────────────────────────────────────────────
  inb(port: number): number {
    const f = this.find(port);
    if (!f) return 0xff;
    const { ch, reg } = f;
    const u = this.selected(ch);
    const other = ch.units[ch.device & DEV_DEV ? 0 : 1];
    if (!u.device) {
      // Nothing pulls the bus: 0xFF. An absent device 1 behind a device 0
      // reads status 0 and device 0's other registers (ATA8-APT).
      if (!other.device) return 0xff;
      if (f.control || reg === STATUS) return 0;
      return this.register(other, reg, ch);
    }
    if (f.control) return this.statusOf(ch, u);
    if (reg === DATA) return this.inw(port) & 0xff;
    return this.register(u, reg, ch);
  }

  private register(u: Unit, reg: number, ch: SimChannel): number {
    const h = ch.control & HOB ? 1 : 0;
    switch (reg) {
      case ERROR: return u.error;
      case COUNT: return u.count[h];
      case LBA_LOW: return u.lbaLow[h];
      case LBA_MID: return u.lbaMid[h];
      case LBA_HIGH: return u.lbaHigh[h];
      case DEVICE: return ch.device;
      case STATUS: return this.statusOf(ch, u);
    }
    return 0xff;
  }

  inw(port: number): number {
    const f = this.find(port);
    if (!f || f.control || f.reg !== DATA) return f ? this.inb(port) : 0xffff;
    const u = this.selected(f.ch);
    if (!u.device || u.mode !== "in" || u.busyReads > 0 || (u.device.kind === "disk" && u.device.hung)) return 0xffff;
    const v = u.buf[u.pos] | (u.buf[u.pos + 1] << 8);
    u.pos += 2;
    if (u.pos >= SECTOR) this.blockRead(f.ch, u);
    return v;
  }

  // ── Port writes ───────────────────────────────────────────────────────
  outb(port: number, v: number): void {
    const f = this.find(port);
    if (!f) return;
    const { ch, reg } = f;
    v &= 0xff;
    if (f.control) return this.deviceControl(ch, v);
    const push = (r: number[]) => { r[1] = r[0]; r[0] = v; };
    switch (reg) {
      case DATA: return this.outw(port, v);
      case ERROR: return;                         // Features: nothing uses it here
      case DEVICE: ch.device = v; return;
      case STATUS: return this.command(f.index, ch, v);
    }
    // Both devices latch the task file; writing it clears HOB (ATA8-APT).
    ch.control &= ~HOB;
    for (const u of ch.units) {
      if (reg === COUNT) push(u.count);
      if (reg === LBA_LOW) push(u.lbaLow);
      if (reg === LBA_MID) push(u.lbaMid);
      if (reg === LBA_HIGH) push(u.lbaHigh);
    }
  }

  outw(port: number, v: number): void {
    const f = this.find(port);
    if (!f || f.control || f.reg !== DATA) return;
    const u = this.selected(f.ch);
    if (!u.device || u.mode !== "out" || u.busyReads > 0 || (u.device.kind === "disk" && u.device.hung)) return;
    u.buf[u.pos] = v & 0xff;
    u.buf[u.pos + 1] = (v >> 8) & 0xff;
    u.pos += 2;
    if (u.pos >= SECTOR) this.blockWritten(f.ch, u);
  }

  private deviceControl(ch: SimChannel, v: number): void {
    const was = ch.control;
    ch.control = v;
    if (v & SRST) {
      for (const u of ch.units) if (u.device) { u.status = BSY; u.mode = "idle"; }
    } else if (was & SRST) {
      for (const u of ch.units) if (u.device) u.powerOn();
      ch.device = 0;
    }
  }

  private interrupt(ch: SimChannel): void {
    if (!(ch.control & NIEN)) this.interrupts++;
  }

  private busy(u: Unit): void {
    if (u.device?.kind === "disk") u.busyReads = u.device.latency;
  }

  private fail(ch: SimChannel, u: Unit, bits: number, lba = -1): void {
    u.mode = "idle";
    u.error = bits;
    u.status = DRDY | DSC | ERR;
    if (lba >= 0) this.setLba(u, lba);
    this.interrupt(ch);
  }

  private done(ch: SimChannel, u: Unit): void {
    u.mode = "idle";
    u.error = 0;
    u.status = DRDY | DSC;
    this.interrupt(ch);
  }

  private setLba(u: Unit, lba: number): void {
    const b = (i: number) => Math.floor(lba / 2 ** (8 * i)) & 0xff;
    u.lbaLow = [b(0), b(3)];
    u.lbaMid = [b(1), b(4)];
    u.lbaHigh = [b(2), b(5)];
  }

  // ── Commands ──────────────────────────────────────────────────────────
  private command(index: number, ch: SimChannel, cmd: number): void {
    const u = this.selected(ch);
    const d = u.device;
    if (!d) return;                               // nobody there takes it
    if (d.kind === "disk" && d.hung) return;
    if (u.status & BSY) return;                   // a command while busy is not taken
    const ext = cmd === ATA_CMD.READ_SECTORS_EXT || cmd === ATA_CMD.WRITE_SECTORS_EXT;
    let lba: number, count: number;
    if (ext) {
      lba = u.lbaLow[0] + u.lbaMid[0] * 2 ** 8 + u.lbaHigh[0] * 2 ** 16 +
        u.lbaLow[1] * 2 ** 24 + u.lbaMid[1] * 2 ** 32 + u.lbaHigh[1] * 2 ** 40;
      count = (u.count[1] << 8 | u.count[0]) || 65536;
    } else {
      lba = (ch.device & 0x0f) * 2 ** 24 + u.lbaHigh[0] * 2 ** 16 + u.lbaMid[0] * 2 ** 8 + u.lbaLow[0];
      count = u.count[0] || 256;
    }
    this.commands.push({ channel: index, slave: u === ch.units[1], command: cmd, lba, count });
    u.error = 0;
    if (d.kind === "atapi") {
      // A packet device aborts ATA commands and shows its signature (ATA8-ACS, IDENTIFY DEVICE).
      u.count = [1, 0]; u.lbaLow = [1, 0]; u.lbaMid = [0x14, 0]; u.lbaHigh = [0xeb, 0];
      return this.fail(ch, u, ERR_ABRT);
    }
    this.busy(u);
    switch (cmd) {
      case ATA_CMD.IDENTIFY_DEVICE: {
        const w = d.identify();
        for (let i = 0; i < 256; i++) { u.buf[2 * i] = w[i] & 0xff; u.buf[2 * i + 1] = w[i] >> 8; }
        u.identifying = true;
        u.left = 1;
        return this.dataIn(ch, u);
      }
      case ATA_CMD.READ_SECTORS:
      case ATA_CMD.READ_SECTORS_EXT:
      case ATA_CMD.WRITE_SECTORS:
      case ATA_CMD.WRITE_SECTORS_EXT: {
        if (ext && !d.lba48) return this.fail(ch, u, ERR_ABRT);
        if (!(ch.device & DEV_LBA)) return this.fail(ch, u, ERR_ABRT);   // CHS: not modelled
        if (lba + count > d.sectors) return this.fail(ch, u, ERR_IDNF, Math.max(lba, d.sectors));
        u.lba = lba;
        u.left = count;
        u.identifying = false;
        if (cmd === ATA_CMD.WRITE_SECTORS || cmd === ATA_CMD.WRITE_SECTORS_EXT) {
          u.mode = "out";
          u.pos = 0;
          u.status = DRDY | DSC | DRQ;            // the first block: no interrupt (ATA8-APT PIO data-out)
          return;
        }
        return this.loadSector(ch, u);
      }
      case ATA_CMD.FLUSH_CACHE_EXT:
        if (!d.lba48) return this.fail(ch, u, ERR_ABRT);
      // fallthrough
      case ATA_CMD.FLUSH_CACHE:
        d.flushes++;
        return this.done(ch, u);
    }
    return this.fail(ch, u, ERR_ABRT);
  }

  private dataIn(ch: SimChannel, u: Unit): void {
    u.mode = "in";
    u.pos = 0;
    u.status = DRDY | DSC | DRQ;
    this.interrupt(ch);
  }

  // The next sector of a read into the buffer, or its error.
  private loadSector(ch: SimChannel, u: Unit): void {
    const d = u.device as SimDisk;
    const fault = d.fault(u.lba);
    if (fault) return this.fail(ch, u, FAULT_BITS[fault], u.lba);
    u.buf.set(d.readSector(u.lba));
    this.setLba(u, u.lba);
    this.dataIn(ch, u);
  }

  private blockRead(ch: SimChannel, u: Unit): void {
    u.left--;
    if (u.identifying || u.left === 0) {
      u.identifying = false;
      u.mode = "idle";
      u.status = DRDY | DSC;
      return;
    }
    u.lba++;
    this.busy(u);
    this.loadSector(ch, u);
  }

  private blockWritten(ch: SimChannel, u: Unit): void {
    const d = u.device as SimDisk;
    this.busy(u);
    const fault = d.fault(u.lba);
    if (fault) return this.fail(ch, u, FAULT_BITS[fault], u.lba);
    d.take(u.lba, u.buf);
    this.setLba(u, u.lba);
    u.left--;
    u.lba++;
    if (u.left === 0) return this.done(ch, u);
    u.pos = 0;
    u.status = DRDY | DSC | DRQ;
    this.interrupt(ch);
  }
}
