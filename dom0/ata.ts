// The PC's ATA/IDE disks: PIO, polled, interrupts off at the drive.
//
// The controller is the PCI function of class 01:01 (its prog-if says per
// channel whether it is at the legacy ports or at its BARs); without one the
// legacy ports are tried anyway (Bochs and QEMU `pc` have a PIIX IDE function
// at 00:01.1, other machines may hide it). Each of the four positions
// (primary/secondary x master/slave) is probed with IDENTIFY DEVICE; packet
// (ATAPI) devices are CD-ROMs and are left alone.
//
// Ports Domain 0 is not given read 0xFF, as a channel with no device does
// (a floating bus): either is "no device", found without waiting.
//
// Every wait is bounded (TIMEOUT_TICKS) and every failure is a string:
// no call traps or hangs. Register, bit and command names are those of
// ATA/ATAPI-8: ATA8-APT (the parallel transport) and ATA8-ACS (the commands).
import { inb, outb, insw, outsw, rdtsc } from "./hw";
import { pciScan, pciFound, pciRead8, pciRead16, pciRead32, PCI_CLASS, PCI_PROG_IF } from "./pci";
import { BlockDev, SECTOR_SIZE } from "./blockdev";
import { ticksPerSecond } from "./host";
import { dec, hex } from "../src/lib/str";

// ── ATA/ATAPI-8 ─────────────────────────────────────────────────────────────
// Command block registers, offsets from the channel's command base
// (ATA8-APT, register addressing). Reads and writes of one offset may
// reach different registers.
const ATA_DATA: u16 = 0;              // 16-bit PIO data
const ATA_ERROR: u16 = 1;             // read
const ATA_FEATURES: u16 = 1;          // write
const ATA_SECTOR_COUNT: u16 = 2;
const ATA_LBA_LOW: u16 = 3;
const ATA_LBA_MID: u16 = 4;
const ATA_LBA_HIGH: u16 = 5;
const ATA_DEVICE: u16 = 6;
const ATA_STATUS: u16 = 7;            // read
const ATA_COMMAND: u16 = 7;           // write
// Control block register, offset from the channel's control base.
const ATA_ALTERNATE_STATUS: u16 = 0;  // read: the status, without side effects
const ATA_DEVICE_CONTROL: u16 = 0;    // write

// Status (ATA8-ACS, Normal and Error outputs).
const ATA_STATUS_BSY: u32 = 0x80;
const ATA_STATUS_DRDY: u32 = 0x40;
const ATA_STATUS_DF: u32 = 0x20;      // device fault
const ATA_STATUS_DRQ: u32 = 0x08;
const ATA_STATUS_ERR: u32 = 0x01;

// Error (ATA8-ACS; bits 5, 3, 1, 0 are obsolete there but still set
// by older devices, under their ATA-5 names).
const ATA_ERROR_ICRC: u32 = 0x80;     // interface CRC error
const ATA_ERROR_UNC: u32 = 0x40;      // uncorrectable data
const ATA_ERROR_MC: u32 = 0x20;       // media changed
const ATA_ERROR_IDNF: u32 = 0x10;     // ID not found: no such sector
const ATA_ERROR_MCR: u32 = 0x08;      // media change request
const ATA_ERROR_ABRT: u32 = 0x04;     // command aborted
const ATA_ERROR_NM: u32 = 0x02;       // no media
const ATA_ERROR_AMNF: u32 = 0x01;     // address mark not found

// Device (ATA8-ACS): bits 7 and 5 are obsolete and set, as older
// devices expect; LBA 27:24 in bits 3:0 for the 28-bit commands.
const ATA_DEVICE_OBS: u8 = 0xa0;
const ATA_DEVICE_LBA: u8 = 0x40;
const ATA_DEVICE_DEV: u8 = 0x10;      // device 1 (the slave)

// Device Control (ATA8-APT).
const ATA_CONTROL_HOB: u8 = 0x80;
const ATA_CONTROL_SRST: u8 = 0x04;
const ATA_CONTROL_NIEN: u8 = 0x02;    // INTRQ off: this driver polls

// Commands (ATA8-ACS, command descriptions).
const ATA_CMD_READ_SECTORS: u8 = 0x20;
const ATA_CMD_READ_SECTORS_EXT: u8 = 0x24;
const ATA_CMD_WRITE_SECTORS: u8 = 0x30;
const ATA_CMD_WRITE_SECTORS_EXT: u8 = 0x34;
const ATA_CMD_FLUSH_CACHE: u8 = 0xe7;
const ATA_CMD_FLUSH_CACHE_EXT: u8 = 0xea;
const ATA_CMD_IDENTIFY_DEVICE: u8 = 0xec;

// IDENTIFY DEVICE data, word numbers (ATA8-ACS, IDENTIFY DEVICE).
const ID_MODEL: u32 = 27;             // 27-46: 40 characters, first of each pair in the high byte
const ID_MODEL_WORDS: u32 = 20;
const ID_CAPABILITIES: u32 = 49;      // bit 9: LBA supported
const ID_LBA28_SECTORS: u32 = 60;     // 60-61
const ID_COMMAND_SET_2: u32 = 83;     // bit 10: 48-bit address feature set; 15:14 = 01 when valid
const ID_LBA48_SECTORS: u32 = 100;    // 100-103
const ID_INTEGRITY: u32 = 255;        // 7:0 = 0xA5 when 15:8 is a checksum (all 512 bytes sum to 0)
const ID_CAP_LBA: u32 = 1 << 9;
const ID_CS2_VALID_MASK: u32 = 0xc000;
const ID_CS2_VALID: u32 = 0x4000;
const ID_CS2_LBA48: u32 = 1 << 10;
const ID_INTEGRITY_SIGNATURE: u32 = 0xa5;

// Signatures in LBA Mid/High after a reset, or after a packet device aborts
// IDENTIFY DEVICE (ATA8-ACS, device signatures; 0x69/0x96 is a SATA packet
// device behind a legacy-mode controller).
const SIG_PACKET_MID: u32 = 0x14;
const SIG_PACKET_HIGH: u32 = 0xeb;
const SIG_SATA_PACKET_MID: u32 = 0x69;
const SIG_SATA_PACKET_HIGH: u32 = 0x96;

// 28-bit commands reach LBA < 2^28 and move 1..256 sectors (count 0 = 256);
// the 48-bit ones 1..65536 (count 0 = 65536).
const LBA28_LIMIT: u64 = 1 << 28;
const LBA28_MAX_COUNT: u32 = 256;
const LBA48_MAX_COUNT: u32 = 65536;
const SECTOR_WORDS: u32 = SECTOR_SIZE / 2;

// The legacy (compatibility mode) channels. The control block register is
// at base + 2 of its 4-port block (0x3F4, 0x374), which is what a native
// channel's BAR1/BAR3 gives.
const LEGACY_PRIMARY_CMD: u16 = 0x1f0;
const LEGACY_PRIMARY_CTL: u16 = 0x3f6;
const LEGACY_SECONDARY_CMD: u16 = 0x170;
const LEGACY_SECONDARY_CTL: u16 = 0x376;
const CONTROL_BLOCK_OFFSET: u16 = 2;

// PCI: mass storage / IDE, and its programming interface (PCI IDE
// Controller Specification 1.0).
const PCI_CLASS_IDE: u32 = 0x0101;
const PROG_IF_PRIMARY_NATIVE: u32 = 0x01;
const PROG_IF_SECONDARY_NATIVE: u32 = 0x04;
const PCI_BAR0: u32 = 0x10;           // BAR n at 0x10 + 4n
const PCI_BAR_IO: u32 = 1;
const PCI_BAR_IO_MASK: u32 = 0xfffc;

// ── Time ────────────────────────────────────────────────────────────────────
// A command may take TIMEOUT_SECONDS (HC_HOST_INFO's TSC rate, set at each
// probe), where a disk that is up answers in milliseconds. (In Bochs the
// TSC counts emulated instructions: slower in wall time, never endless.)
// The shorter budgets below are fixed tick counts, right at any clock.
const TIMEOUT_SECONDS: u64 = 10;
let TIMEOUT_TICKS: u64 = 1 << 34;
// A present device sets DRQ or ERR as it clears BSY; after IDENTIFY DEVICE
// with BSY clear this long and neither, nothing is there (some controllers
// show the master's status for an absent slave).
const ANSWER_TICKS: u64 = 1 << 28;
// SRST is held at least 5 us, and BSY is looked at 2 ms after it is
// cleared (ATA8-APT, software reset protocol): 2^16 and 2^24 ticks are that
// at clocks up to 13 and 8 GHz.
const RESET_HOLD_TICKS: u64 = 1 << 16;
const RESET_SETTLE_TICKS: u64 = 1 << 24;

// poll()'s result: the last status, with one of these above it when the
// wait failed.
const WAIT_TIMEOUT: u32 = 0x100;
const WAIT_GONE: u32 = 0x200;         // the status read 0xFF: nothing answers
const WAIT_FAILED: u32 = WAIT_TIMEOUT | WAIT_GONE;
// No LBA to name in a message (IDENTIFY, FLUSH CACHE).
const NO_LBA: u64 = u64.MAX_VALUE;

// ── Channels ────────────────────────────────────────────────────────────────
class Channel {
  cmd: u16 = 0;
  ctl: u16 = 0;
  name: string = "";   // "00:01.1 primary", "legacy secondary", ...
}

// The four reads of the alternate status that give the device the 400 ns
// it has to update the status after a command or a device selection
// (ATA8-APT; each read takes at least 100 ns); the status last read.
function delay400(ctl: u16): u32 {
  inb(ctl + ATA_ALTERNATE_STATUS);
  inb(ctl + ATA_ALTERNATE_STATUS);
  inb(ctl + ATA_ALTERNATE_STATUS);
  return <u32>inb(ctl + ATA_ALTERNATE_STATUS);
}

// Polls the status until BSY is clear and, if `need` != 0, one of the
// bits in `need` is set; gives up after `ticks`. The last status, with
// WAIT_TIMEOUT or WAIT_GONE on top when the wait failed.
function poll(cmd: u16, need: u32, ticks: u64): u32 {
  const until = rdtsc() + ticks;
  while (true) {
    const s = <u32>inb(cmd + ATA_STATUS);
    if (s == 0xff) return WAIT_GONE | s;
    if ((s & ATA_STATUS_BSY) == 0 && (need == 0 || (s & need) != 0)) return s;
    if (rdtsc() > until) return WAIT_TIMEOUT | s;
  }
}

// Spins for `ticks` reading the alternate status.
function spin(ctl: u16, ticks: u64): void {
  const until = rdtsc() + ticks;
  while (rdtsc() < until) inb(ctl + ATA_ALTERNATE_STATUS);
}

// Resets both devices of a channel (SRST) and leaves INTRQ off; "" or the
// timeout. Device 0 is selected afterwards.
function softReset(ch: Channel): string {
  outb(ch.ctl + ATA_DEVICE_CONTROL, ATA_CONTROL_SRST | ATA_CONTROL_NIEN);
  spin(ch.ctl, RESET_HOLD_TICKS);
  outb(ch.ctl + ATA_DEVICE_CONTROL, ATA_CONTROL_NIEN);
  spin(ch.ctl, RESET_SETTLE_TICKS);
  const s = poll(ch.cmd, 0, TIMEOUT_TICKS);
  if ((s & WAIT_TIMEOUT) != 0) return "timeout waiting for the disk (BSY) after a reset";
  return "";
}

// The names of the error register's bits: "UNC", "IDNF, ABRT", ...
function errorBits(e: u32): string {
  let s = "";
  if ((e & ATA_ERROR_ICRC) != 0) s += ", ICRC";
  if ((e & ATA_ERROR_UNC) != 0) s += ", UNC";
  if ((e & ATA_ERROR_MC) != 0) s += ", MC";
  if ((e & ATA_ERROR_IDNF) != 0) s += ", IDNF";
  if ((e & ATA_ERROR_MCR) != 0) s += ", MCR";
  if ((e & ATA_ERROR_ABRT) != 0) s += ", ABRT";
  if ((e & ATA_ERROR_NM) != 0) s += ", NM";
  if ((e & ATA_ERROR_AMNF) != 0) s += ", AMNF";
  return s.length != 0 ? s.substring(2) : "no error bits";
}

function atLba(lba: u64): string { return lba == NO_LBA ? "" : " at LBA " + dec(lba); }

// What an ERR status means, from the error register `e`.
function errorText(e: u32, lba: u64): string {
  const bits = " (" + errorBits(e) + ")";
  if ((e & ATA_ERROR_UNC) != 0) return "media error" + atLba(lba) + bits;
  if ((e & ATA_ERROR_IDNF) != 0) return "no such sector" + bits + atLba(lba);
  if ((e & ATA_ERROR_ICRC) != 0) return "interface CRC error" + atLba(lba) + bits;
  if ((e & ATA_ERROR_ABRT) != 0) return "command aborted by the disk" + atLba(lba) + bits;
  return "disk error " + hex(e, 2) + atLba(lba) + bits;
}

// Why a wait or a command failed (poll's result `s`, `need` the bit waited
// for besides BSY clear); after a timeout the channel is reset, so that the
// next command does not find the device in the middle of this one.
function failure(ch: Channel, s: u32, lba: u64, need: string): string {
  if ((s & WAIT_GONE) != 0) return "no device answers (status 0xff)";
  if ((s & WAIT_TIMEOUT) != 0) {
    const what = "timeout waiting for the disk (" + ((s & ATA_STATUS_BSY) != 0 ? "BSY" : need) + ")";
    softReset(ch);
    return what;
  }
  if ((s & ATA_STATUS_DF) != 0) return "device fault";
  if ((s & ATA_STATUS_ERR) != 0) return errorText(<u32>inb(ch.cmd + ATA_ERROR), lba);
  return "unexpected status " + hex(s, 2);
}

// ── Disks ───────────────────────────────────────────────────────────────────
export class AtaDisk extends BlockDev {
  channel: Channel;
  slave: bool;
  lba48: bool;
  private count: u64;
  private name: string;
  where: string;       // "00:01.1 primary master", for log lines

  constructor(channel: Channel, slave: bool, count: u64, name: string, lba48: bool, where: string) {
    super();
    this.channel = channel;
    this.slave = slave;
    this.count = count;
    this.name = name;
    this.lba48 = lba48;
    this.where = where;
  }

  // The channel's ports: the command block base and the control register.
  commandBase(): u16 { return this.channel.cmd; }
  controlPort(): u16 { return this.channel.ctl; }

  sectors(): u64 { return this.count; }
  model(): string { return this.name; }

  read(lba: u64, count: u32, buf: usize): string { return this.transfer(lba, count, buf, false); }
  write(lba: u64, count: u32, buf: usize): string { return this.transfer(lba, count, buf, true); }

  flush(): string {
    const ch = this.channel;
    const e = this.select(0);
    if (e.length != 0) return e;
    outb(ch.cmd + ATA_COMMAND, this.lba48 ? ATA_CMD_FLUSH_CACHE_EXT : ATA_CMD_FLUSH_CACHE);
    delay400(ch.ctl);
    const s = poll(ch.cmd, 0, TIMEOUT_TICKS);
    if ((s & (WAIT_FAILED | ATA_STATUS_ERR | ATA_STATUS_DF)) != 0) return failure(ch, s, NO_LBA, "BSY");
    return "";
  }

  // Waits for the channel, selects this device (with `lbaTop`, LBA 27:24 of
  // a 28-bit command) and waits until it is ready for a command.
  private select(lbaTop: u8): string {
    const ch = this.channel;
    let s = poll(ch.cmd, 0, TIMEOUT_TICKS);       // whichever device is selected is done
    if ((s & WAIT_FAILED) != 0) return failure(ch, s, NO_LBA, "BSY");
    outb(ch.cmd + ATA_DEVICE, ATA_DEVICE_OBS | ATA_DEVICE_LBA | (this.slave ? ATA_DEVICE_DEV : 0) | lbaTop);
    delay400(ch.ctl);
    s = poll(ch.cmd, ATA_STATUS_DRDY | ATA_STATUS_DF, TIMEOUT_TICKS);
    if ((s & WAIT_FAILED) != 0) return failure(ch, s, NO_LBA, "DRDY");
    if ((s & ATA_STATUS_DF) != 0) return "device fault";
    return "";
  }

  private transfer(lba: u64, count: u32, buf: usize, out: bool): string {
    if (count == 0) return "";
    if (lba >= this.count || <u64>count > this.count - lba) {
      return "no such sector: LBA " + dec(lba >= this.count ? lba : this.count) +
        " is beyond the disk's " + dec(this.count) + " sectors";
    }
    let done: u32 = 0;
    while (done < count) {
      const at = lba + <u64>done;
      const left = count - done;
      // 28-bit when the piece fits; else 48-bit, or 28-bit pieces of 256
      // on a disk without it (which then has fewer than 2^28 sectors).
      let n = left;
      let ext = false;
      if (left > LBA28_MAX_COUNT || at + <u64>left > LBA28_LIMIT) {
        if (this.lba48) {
          if (n > LBA48_MAX_COUNT) n = LBA48_MAX_COUNT;
          ext = true;
        } else {
          n = LBA28_MAX_COUNT;
        }
      }
      const e = this.command(at, n, ext, out, buf + (<usize>done << 9));
      if (e.length != 0) return e;
      done += n;
    }
    return "";
  }

  // One READ/WRITE SECTORS (EXT) of `n` sectors at `lba` through `buf`.
  private command(lba: u64, n: u32, ext: bool, out: bool, buf: usize): string {
    const ch = this.channel;
    const cmd = ch.cmd;
    const e = this.select(ext ? 0 : <u8>((lba >> 24) & 0xf));
    if (e.length != 0) return e;
    if (ext) {
      // The "previous" halves first: each register is a two-deep FIFO.
      outb(cmd + ATA_SECTOR_COUNT, <u8>(n >> 8));
      outb(cmd + ATA_LBA_LOW, <u8>(lba >> 24));
      outb(cmd + ATA_LBA_MID, <u8>(lba >> 32));
      outb(cmd + ATA_LBA_HIGH, <u8>(lba >> 40));
    }
    outb(cmd + ATA_SECTOR_COUNT, <u8>n);           // 256 (65536) as 0
    outb(cmd + ATA_LBA_LOW, <u8>lba);
    outb(cmd + ATA_LBA_MID, <u8>(lba >> 8));
    outb(cmd + ATA_LBA_HIGH, <u8>(lba >> 16));
    outb(cmd + ATA_COMMAND, out
      ? (ext ? ATA_CMD_WRITE_SECTORS_EXT : ATA_CMD_WRITE_SECTORS)
      : (ext ? ATA_CMD_READ_SECTORS_EXT : ATA_CMD_READ_SECTORS));
    // One DRQ data block per sector. An error before sector i's block is
    // about sector i when reading; when writing, about the sector just sent.
    let p = buf;
    for (let i: u32 = 0; i < n; i++) {
      delay400(ch.ctl);
      const s = poll(cmd, ATA_STATUS_DRQ | ATA_STATUS_ERR | ATA_STATUS_DF, TIMEOUT_TICKS);
      if ((s & (WAIT_FAILED | ATA_STATUS_ERR | ATA_STATUS_DF)) != 0) {
        return failure(ch, s, lba + <u64>(out && i > 0 ? i - 1 : i), "DRQ");
      }
      if (out) outsw(cmd + ATA_DATA, p, SECTOR_WORDS);
      else insw(cmd + ATA_DATA, p, SECTOR_WORDS);
      p += SECTOR_SIZE;
    }
    delay400(ch.ctl);
    const s = poll(cmd, 0, TIMEOUT_TICKS);
    if ((s & (WAIT_FAILED | ATA_STATUS_ERR | ATA_STATUS_DF)) != 0) return failure(ch, s, lba + <u64>(n - 1), "BSY");
    return "";
  }
}

// ── Probe ───────────────────────────────────────────────────────────────────
let report: string[] = [];
const ident = memory.data(512, 2);    // IDENTIFY DEVICE data
const modelBuf = memory.data(40);

@inline function identWord(w: u32): u32 { return <u32>load<u16>(ident + (<usize>w << 1)); }

// The model string: byte-swapped pairs, trimmed; unprintable bytes as '?'.
function identModel(): string {
  let n: u32 = 0;
  for (let w: u32 = 0; w < ID_MODEL_WORDS; w++) {
    const v = identWord(ID_MODEL + w);
    store<u8>(modelBuf + n++, <u8>(v >> 8));
    store<u8>(modelBuf + n++, <u8>v);
  }
  let from: u32 = 0;
  while (from < n && (load<u8>(modelBuf + from) == 0x20 || load<u8>(modelBuf + from) == 0)) from++;
  while (n > from && (load<u8>(modelBuf + n - 1) == 0x20 || load<u8>(modelBuf + n - 1) == 0)) n--;
  for (let i = from; i < n; i++) {
    const c = load<u8>(modelBuf + i);
    if (c < 0x20 || c >= 0x7f) store<u8>(modelBuf + i, 0x3f);
  }
  return String.UTF8.decodeUnsafe(modelBuf + from, n - from);
}

// IDENTIFY DEVICE data checked by its integrity word, when it has one.
function identChecksumOk(): bool {
  if ((identWord(ID_INTEGRITY) & 0xff) != ID_INTEGRITY_SIGNATURE) return true;
  let sum: u32 = 0;
  for (let i: u32 = 0; i < 512; i++) sum += <u32>load<u8>(ident + i);
  return (sum & 0xff) == 0;
}

function isPacketSignature(mid: u32, high: u32): bool {
  return (mid == SIG_PACKET_MID && high == SIG_PACKET_HIGH) ||
    (mid == SIG_SATA_PACKET_MID && high == SIG_SATA_PACKET_HIGH);
}

function sizeText(sectors: u64): string {
  if (sectors < 2048) return dec(sectors >> 1) + " KiB";
  if (sectors < (<u64>1 << 21)) return dec(sectors >> 11) + " MiB";
  return dec(sectors >> 21) + " GiB";
}

const PACKET_SKIPPED = "ATAPI device (CD-ROM), skipped";

// One position: what is there, in words; a disk found is added to `disks`.
function probeDevice(ch: Channel, slave: bool, where: string, disks: AtaDisk[]): string {
  const cmd = ch.cmd;
  let s = poll(cmd, 0, TIMEOUT_TICKS);
  if ((s & WAIT_GONE) != 0) return "no device (floating bus)";
  if ((s & WAIT_TIMEOUT) != 0) return failure(ch, s, NO_LBA, "BSY");
  outb(cmd + ATA_DEVICE, ATA_DEVICE_OBS | (slave ? ATA_DEVICE_DEV : 0));
  s = delay400(ch.ctl);
  if (s == 0xff) return "no device (floating bus)";
  // A packet device's signature, with a status of its own (an absent
  // device 1 reads status 0 and device 0's other registers).
  if (s != 0 && isPacketSignature(<u32>inb(cmd + ATA_LBA_MID), <u32>inb(cmd + ATA_LBA_HIGH))) return PACKET_SKIPPED;
  if ((s & ATA_STATUS_BSY) != 0) {
    s = poll(cmd, 0, TIMEOUT_TICKS);
    if ((s & WAIT_FAILED) != 0) return failure(ch, s, NO_LBA, "BSY");
  }
  outb(cmd + ATA_COMMAND, ATA_CMD_IDENTIFY_DEVICE);
  s = delay400(ch.ctl);
  if (s == 0) return "no device";
  s = poll(cmd, 0, TIMEOUT_TICKS);
  if ((s & WAIT_GONE) != 0) return "no device (floating bus)";
  if ((s & WAIT_TIMEOUT) != 0) return "IDENTIFY DEVICE: " + failure(ch, s, NO_LBA, "BSY");
  s = poll(cmd, ATA_STATUS_DRQ | ATA_STATUS_ERR | ATA_STATUS_DF, ANSWER_TICKS);
  if ((s & WAIT_TIMEOUT) != 0 && (s & ATA_STATUS_BSY) == 0) return "no device (no answer to IDENTIFY DEVICE)";
  if ((s & ATA_STATUS_ERR) != 0 && (s & WAIT_FAILED) == 0 &&
      isPacketSignature(<u32>inb(cmd + ATA_LBA_MID), <u32>inb(cmd + ATA_LBA_HIGH))) {
    return PACKET_SKIPPED;
  }
  if ((s & (WAIT_FAILED | ATA_STATUS_ERR | ATA_STATUS_DF)) != 0) return "IDENTIFY DEVICE: " + failure(ch, s, NO_LBA, "DRQ");
  insw(cmd + ATA_DATA, ident, SECTOR_WORDS);
  delay400(ch.ctl);
  poll(cmd, 0, TIMEOUT_TICKS);
  if (!identChecksumOk()) return "IDENTIFY DEVICE data fails its checksum: not used";
  if ((identWord(ID_CAPABILITIES) & ID_CAP_LBA) == 0) return "disk without LBA addressing (CHS only): not used";
  const cs2 = identWord(ID_COMMAND_SET_2);
  const lba48 = (cs2 & ID_CS2_VALID_MASK) == ID_CS2_VALID && (cs2 & ID_CS2_LBA48) != 0;
  let sectors = <u64>identWord(ID_LBA28_SECTORS) | (<u64>identWord(ID_LBA28_SECTORS + 1) << 16);
  if (lba48) {
    const big = <u64>identWord(ID_LBA48_SECTORS) | (<u64>identWord(ID_LBA48_SECTORS + 1) << 16) |
      (<u64>identWord(ID_LBA48_SECTORS + 2) << 32) | (<u64>identWord(ID_LBA48_SECTORS + 3) << 48);
    if (big != 0) sectors = big;
  } else if (sectors >= LBA28_LIMIT) {
    sectors = LBA28_LIMIT - 1;
  }
  if (sectors == 0) return "disk with no sectors: not used";
  const model = identModel();
  disks.push(new AtaDisk(ch, slave, sectors, model, lba48, where));
  return "disk \"" + model + "\", " + dec(sectors) + " sectors (" + sizeText(sectors) + ")" + (lba48 ? ", LBA48" : ", LBA28");
}

function probeChannel(ch: Channel, disks: AtaDisk[]): void {
  const pos0 = ch.name + " master (" + hex(ch.cmd, 3) + ")";
  const pos1 = ch.name + " slave (" + hex(ch.cmd, 3) + ")";
  outb(ch.ctl + ATA_DEVICE_CONTROL, ATA_CONTROL_NIEN);
  outb(ch.cmd + ATA_DEVICE, ATA_DEVICE_OBS);
  const s0 = delay400(ch.ctl);
  outb(ch.cmd + ATA_DEVICE, ATA_DEVICE_OBS | ATA_DEVICE_DEV);
  const s1 = delay400(ch.ctl);
  if (s0 == 0xff && s1 == 0xff) {
    report.push(pos0 + ": no device (floating bus)");
    report.push(pos1 + ": no device (floating bus)");
    return;
  }
  // A device busy or in the middle of a transfer: start the channel afresh.
  const stuck = ATA_STATUS_BSY | ATA_STATUS_DRQ;
  if ((s0 != 0xff && (s0 & stuck) != 0) || (s1 != 0xff && (s1 & stuck) != 0)) {
    const e = softReset(ch);
    if (e.length != 0) {
      report.push(pos0 + ": " + e);
      report.push(pos1 + ": " + e);
      return;
    }
  }
  report.push(pos0 + ": " + probeDevice(ch, false, ch.name + " master", disks));
  report.push(pos1 + ": " + probeDevice(ch, true, ch.name + " slave", disks));
}

function addChannel(list: Channel[], cmd: u16, ctl: u16, name: string): void {
  for (let i = 0; i < list.length; i++) if (list[i].cmd == cmd) return;   // two functions claiming one channel
  const ch = new Channel();
  ch.cmd = cmd;
  ch.ctl = ctl;
  ch.name = name;
  list.push(ch);
}

function hexDigits(v: u32, digits: i32): string { return hex(v, digits).substring(2); }

// The channels of every IDE function, or the legacy pair without one.
function ataChannels(): Channel[] {
  const list: Channel[] = [];
  const n = pciScan();
  for (let i: u32 = 0; i < n; i++) {
    const f = pciFound(i);
    const bus = f >> 8, dev = (f >> 3) & 31, fn = f & 7;
    if (pciRead16(bus, dev, fn, PCI_CLASS) != PCI_CLASS_IDE) continue;
    const bdf = hexDigits(bus, 2) + ":" + hexDigits(dev, 2) + "." + dec(fn);
    const progIf = pciRead8(bus, dev, fn, PCI_PROG_IF);
    for (let c: u32 = 0; c < 2; c++) {
      const name = bdf + (c == 0 ? " primary" : " secondary");
      const native = (progIf & (c == 0 ? PROG_IF_PRIMARY_NATIVE : PROG_IF_SECONDARY_NATIVE)) != 0;
      if (!native) {
        if (c == 0) addChannel(list, LEGACY_PRIMARY_CMD, LEGACY_PRIMARY_CTL, name);
        else addChannel(list, LEGACY_SECONDARY_CMD, LEGACY_SECONDARY_CTL, name);
        continue;
      }
      const barCmd = pciRead32(bus, dev, fn, PCI_BAR0 + c * 8);
      const barCtl = pciRead32(bus, dev, fn, PCI_BAR0 + c * 8 + 4);
      const cmd = <u16>(barCmd & PCI_BAR_IO_MASK), ctlBlock = <u16>(barCtl & PCI_BAR_IO_MASK);
      if ((barCmd & PCI_BAR_IO) == 0 || (barCtl & PCI_BAR_IO) == 0 || cmd == 0 || ctlBlock == 0) {
        report.push(name + ": native mode without its I/O BARs (" + hex(barCmd, 8) + ", " + hex(barCtl, 8) + "): not used");
        continue;
      }
      addChannel(list, cmd, ctlBlock + CONTROL_BLOCK_OFFSET, name);
    }
  }
  if (list.length == 0) {
    addChannel(list, LEGACY_PRIMARY_CMD, LEGACY_PRIMARY_CTL, "legacy primary");
    addChannel(list, LEGACY_SECONDARY_CMD, LEGACY_SECONDARY_CTL, "legacy secondary");
  }
  return list;
}

// Every ATA disk on the machine's IDE channels (packet devices skipped);
// ataProbeReport() says what each position held.
export function ataProbe(): AtaDisk[] {
  report = [];
  const disks: AtaDisk[] = [];
  const channels = ataChannels();
  for (let i = 0; i < channels.length; i++) probeChannel(channels[i], disks);
  return disks;
}

// One line per position (and per unusable channel) of the last ataProbe():
// "00:01.1 primary master (0x1f0): disk "QEMU HARDDISK", 2048 sectors (1 MiB), LBA48".
export function ataProbeReport(): string[] { return report; }
