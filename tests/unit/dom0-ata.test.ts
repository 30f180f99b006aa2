// Domain 0's ATA driver (dom0/ata.ts) on its compiled wasm against the
// simulated IDE controller (tests/sim/ata.ts): the probe (PCI legacy and
// native mode, the legacy fallback, CD-ROMs skipped, floating buses and
// ports not given are no device), the 28-bit and 48-bit commands and how a
// request is split, data round trips, and every failure as its string.
import { describe, expect, it } from "vitest";
import { Dom0, I440FX, type Dom0Options } from "../sim/dom0";
import { AtaController, SimDisk, SimCdrom, ATA_CMD, type AtaControllerOptions } from "../sim/ata";

// Scratch for the transfers: below Domain 0's wasm data (2 MiB), above the
// sim's string scratch at 1 MiB. 1792 sectors.
const BUF = 0x120000;
const LBA28 = 2 ** 28;

function world(o: AtaControllerOptions = {}, d0: Dom0Options = {}) {
  const ata = new AtaController(o);
  const d = new Dom0({ ...d0, ata });
  return { d, ata };
}

interface ProbedDisk { model: string; sectors: number; lba48: boolean; cmd: number; ctl: number; slave: boolean; where: string }
function probe(d: Dom0): { disks: ProbedDisk[]; report: string[] } {
  return d.json("ataProbeJson");
}

// Deterministic bytes, different for each seed.
function pattern(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function read(d: Dom0, disk: number, lba: number, count: number): { err: string; data: Uint8Array } {
  d.bytes.fill(0xcc, BUF, BUF + count * 512);
  const err = d.call("ataRead", disk, BigInt(lba), count, BUF);
  return { err, data: d.bytes.slice(BUF, BUF + count * 512) };
}

function write(d: Dom0, disk: number, lba: number, data: Uint8Array): string {
  d.bytes.set(data, BUF);
  return d.call("ataWrite", disk, BigInt(lba), data.length / 512, BUF);
}

// Byte arrays compared as wholes (a deep toEqual over 500 KiB is slow);
// on a mismatch, where the first difference is.
function same(a: Uint8Array, b: Uint8Array): void {
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return;
  const i = a.findIndex((x, k) => x !== b[k]);
  expect({ length: a.length, at: i, byte: a[i] }).toEqual({ length: b.length, at: i, byte: b[i] });
}

const rw = (ata: AtaController) => ata.commands.filter((c) => c.command !== ATA_CMD.IDENTIFY_DEVICE);

describe("the probe", () => {
  it("finds a disk at each of the four positions, with its model and size", () => {
    const { d, ata } = world({
      primaryMaster: new SimDisk({ sectors: 2048, model: "QEMU HARDDISK" }),
      primarySlave: new SimDisk({ sectors: 4096, model: "  SLAVE ONE  ", lba48: false }),
      secondaryMaster: new SimDisk({ sectors: 100000, model: "Secondary Master Disk With A Long Name!" }),
      secondarySlave: new SimDisk({ sectors: 3 * 2 ** 21, model: "WDC WD30EFRX-68EUZN0" }),
    });
    const p = probe(d);
    expect(p.disks).toEqual([
      { model: "QEMU HARDDISK", sectors: 2048, lba48: true, cmd: 0x1f0, ctl: 0x3f6, slave: false, where: "00:01.1 primary master" },
      { model: "SLAVE ONE", sectors: 4096, lba48: false, cmd: 0x1f0, ctl: 0x3f6, slave: true, where: "00:01.1 primary slave" },
      { model: "Secondary Master Disk With A Long Name!", sectors: 100000, lba48: true, cmd: 0x170, ctl: 0x376, slave: false, where: "00:01.1 secondary master" },
      { model: "WDC WD30EFRX-68EUZN0", sectors: 3 * 2 ** 21, lba48: true, cmd: 0x170, ctl: 0x376, slave: true, where: "00:01.1 secondary slave" },
    ]);
    expect(p.report).toEqual([
      '00:01.1 primary master (0x1f0): disk "QEMU HARDDISK", 2048 sectors (1 MiB), LBA48',
      '00:01.1 primary slave (0x1f0): disk "SLAVE ONE", 4096 sectors (2 MiB), LBA28',
      '00:01.1 secondary master (0x170): disk "Secondary Master Disk With A Long Name!", 100000 sectors (48 MiB), LBA48',
      '00:01.1 secondary slave (0x170): disk "WDC WD30EFRX-68EUZN0", 6291456 sectors (3 GiB), LBA48',
    ]);
    // Interrupts off at the drive on both channels: nothing was asserted.
    expect(ata.control(0) & 0x02).toBe(0x02);
    expect(ata.control(1) & 0x02).toBe(0x02);
    expect(ata.interrupts).toBe(0);
    expect(ata.commands.map((c) => c.command)).toEqual([0xec, 0xec, 0xec, 0xec]);
  });

  it("skips an ATAPI CD-ROM by its signature and says so", () => {
    const { d, ata } = world({
      primaryMaster: new SimDisk({ model: "DISK" }),
      secondaryMaster: new SimCdrom("QEMU DVD-ROM", 0x50),
    });
    const p = probe(d);
    // Its signature and a status of its own: no IDENTIFY DEVICE sent to it.
    expect(ata.commands.filter((c) => c.channel === 1)).toEqual([]);
    expect(p.disks.map((x) => x.where)).toEqual(["00:01.1 primary master"]);
    expect(p.report).toEqual([
      '00:01.1 primary master (0x1f0): disk "DISK", 2048 sectors (1 MiB), LBA48',
      "00:01.1 primary slave (0x1f0): no device",
      "00:01.1 secondary master (0x170): ATAPI device (CD-ROM), skipped",
      "00:01.1 secondary slave (0x170): no device",
    ]);
  });

  it("a CD-ROM that shows its signature only when IDENTIFY DEVICE aborts is skipped too", () => {
    const cd = new SimCdrom();
    const { d, ata } = world({ secondaryMaster: cd, secondarySlave: new SimDisk() });
    // Scrub the reset signature, as a BIOS that used the device would leave it.
    ata.outb(0x176, 0xa0);
    ata.outb(0x174, 0); ata.outb(0x175, 0);
    expect(ata.inb(0x174)).toBe(0);
    const p = probe(d);
    expect(p.report[2]).toBe("00:01.1 secondary master (0x170): ATAPI device (CD-ROM), skipped");
    expect(p.disks.map((x) => x.where)).toEqual(["00:01.1 secondary slave"]);
  });

  it("a slave without a master is found", () => {
    const { d } = world({ secondarySlave: new SimDisk({ model: "LONELY" }) });
    const p = probe(d);
    expect(p.disks.map((x) => [x.model, x.slave, x.cmd])).toEqual([["LONELY", true, 0x170]]);
    expect(p.report[2]).toBe("00:01.1 secondary master (0x170): no device");
  });

  it("without an IDE function in PCI the legacy ports are tried", () => {
    const { d } = world({ primaryMaster: new SimDisk({ model: "LEGACY" }) }, { pci: [I440FX[0]] });
    const p = probe(d);
    expect(p.disks.map((x) => x.where)).toEqual(["legacy primary master"]);
    expect(p.report[0]).toBe('legacy primary master (0x1f0): disk "LEGACY", 2048 sectors (1 MiB), LBA48');
    expect(p.report[2]).toBe("legacy secondary master (0x170): no device (floating bus)");
  });

  it("a channel in native mode is at its BARs", () => {
    const pci = [I440FX[0], { bus: 0, dev: 4, fn: 0, vendor: 0x1095, device: 0x0680, classCode: 0x0101, progIf: 0x8f,
      bars: [0xc001, 0xc009, 0xc011, 0xc019, 0xc021, 0] }];
    const { d } = world({
      primaryMaster: new SimDisk({ model: "NATIVE0" }), secondarySlave: new SimDisk({ model: "NATIVE1" }),
      bases: [{ cmd: 0xc000, ctl: 0xc00a }, { cmd: 0xc010, ctl: 0xc01a }],
    }, { pci });
    const p = probe(d);
    expect(p.disks.map((x) => [x.model, x.cmd, x.ctl, x.where])).toEqual([
      ["NATIVE0", 0xc000, 0xc00a, "00:04.0 primary master"], ["NATIVE1", 0xc010, 0xc01a, "00:04.0 secondary slave"]]);
    const r = read(d, 1, 5, 1);
    expect(r.err).toBe("");
  });

  it("a native channel without its I/O BARs is reported and left out", () => {
    const pci = [I440FX[0], { bus: 0, dev: 4, fn: 0, vendor: 0x1095, device: 0x0680, classCode: 0x0101, progIf: 0x05, bars: [0, 0, 0xc011, 0xc019] }];
    const { d } = world({ bases: [{ cmd: 0xc000, ctl: 0xc00a }, { cmd: 0xc010, ctl: 0xc01a }], secondaryMaster: new SimDisk() }, { pci });
    const p = probe(d);
    expect(p.report[0]).toBe("00:04.0 primary: native mode without its I/O BARs (0x00000000, 0x00000000): not used");
    expect(p.disks.map((x) => x.cmd)).toEqual([0xc010]);
  });

  it("no disk at all: none, every position a floating bus", () => {
    const { d } = world();
    const p = probe(d);
    expect(p.disks).toEqual([]);
    expect(p.report).toEqual([
      "00:01.1 primary master (0x1f0): no device (floating bus)",
      "00:01.1 primary slave (0x1f0): no device (floating bus)",
      "00:01.1 secondary master (0x170): no device (floating bus)",
      "00:01.1 secondary slave (0x170): no device (floating bus)",
    ]);
    // And only CD-ROMs: none either.
    expect(probe(world({ primaryMaster: new SimCdrom(), secondarySlave: new SimCdrom() }).d).disks).toEqual([]);
  });

  it("the floating bus (every port 0xFF) is no device, found without waiting", () => {
    // Disks attached but the ports not given to Domain 0: the hypervisor answers 0xFF.
    const { d } = world({ primaryMaster: new SimDisk(), secondaryMaster: new SimDisk() },
      { ioports: [[0x3f8, 0x3ff], [0xcf8, 0xcff]], tscStep: 1n });
    const p = probe(d);
    expect(p.disks).toEqual([]);
    expect(p.report.every((l) => l.endsWith(": no device (floating bus)"))).toBe(true);
  });

  it("a disk that is busy at probe time gets a reset; one that stays busy times out", () => {
    const disk = new SimDisk({ model: "SLOW" });
    const { d, ata } = world({ primaryMaster: disk });
    // Leave it in the middle of a command (DRQ up): the probe resets the channel.
    ata.outb(0x1f6, 0xe0);
    ata.outb(0x1f2, 1);
    ata.outb(0x1f7, ATA_CMD.READ_SECTORS);
    expect(ata.inb(0x1f7) & 0x08).toBe(0x08);
    expect(probe(d).disks.map((x) => x.model)).toEqual(["SLOW"]);

    const hung = new SimDisk();
    hung.hang();
    const w = world({ primaryMaster: hung, primarySlave: new SimDisk() }, { tscStep: 1n << 30n });
    const p = probe(w.d);
    expect(p.disks).toEqual([]);
    expect(p.report.slice(0, 2)).toEqual([
      "00:01.1 primary master (0x1f0): timeout waiting for the disk (BSY) after a reset",
      "00:01.1 primary slave (0x1f0): timeout waiting for the disk (BSY) after a reset",
    ]);
  });
});

describe("reads and writes", () => {
  it("round-trip on a 28-bit disk; a request over 256 sectors is split into 256-sector commands", () => {
    const disk = new SimDisk({ sectors: 4096, lba48: false });
    disk.latency = 3;                       // BSY for a few polls after each block
    const { d, ata } = world({ primaryMaster: disk });
    probe(d);
    const data = pattern(600 * 512, 1);
    expect(write(d, 0, 1000, data)).toBe("");
    same(disk.bytes(1000, 600), data);
    expect(disk.sectorsWritten).toBe(600);
    const r = read(d, 0, 1000, 600);
    expect(r.err).toBe("");
    same(r.data, data);
    expect(rw(ata).map((c) => [c.command, c.lba, c.count])).toEqual([
      [0x30, 1000, 256], [0x30, 1256, 256], [0x30, 1512, 88],
      [0x20, 1000, 256], [0x20, 1256, 256], [0x20, 1512, 88],
    ]);
    // Single sectors, the first and the last.
    expect(write(d, 0, 0, pattern(512, 2))).toBe("");
    expect(write(d, 0, 4095, pattern(512, 3))).toBe("");
    expect(read(d, 0, 0, 1).data).toEqual(pattern(512, 2));
    expect(read(d, 0, 4095, 1).data).toEqual(pattern(512, 3));
    expect(ata.interrupts).toBe(0);
  });

  it("a 48-bit disk: 28-bit commands where they fit, 48-bit above 2^28 and over 256 sectors", () => {
    // 2^28 + 2^20 sectors (128.5 GiB), stored sparsely.
    const disk = new SimDisk({ sectors: LBA28 + 2 ** 20, model: "BIG" });
    const { d, ata } = world({ secondaryMaster: disk });
    expect(probe(d).disks[0]).toMatchObject({ model: "BIG", sectors: LBA28 + 2 ** 20, lba48: true });
    const small = pattern(8 * 512, 4);
    expect(write(d, 0, 100, small)).toBe("");
    const high = pattern(16 * 512, 5);
    expect(write(d, 0, LBA28 + 12345, high)).toBe("");
    const straddle = pattern(4 * 512, 6);
    expect(write(d, 0, LBA28 - 2, straddle)).toBe("");
    const many = pattern(1000 * 512, 7);
    expect(write(d, 0, 5000, many)).toBe("");
    expect(read(d, 0, 100, 8)).toEqual({ err: "", data: small });
    expect(read(d, 0, LBA28 + 12345, 16)).toEqual({ err: "", data: high });
    expect(read(d, 0, LBA28 - 2, 4)).toEqual({ err: "", data: straddle });
    const r = read(d, 0, 5000, 1000);
    expect(r.err).toBe("");
    same(r.data, many);
    // The last sector of the disk, and the last 28-bit one.
    expect(write(d, 0, LBA28 + 2 ** 20 - 1, pattern(512, 8))).toBe("");
    expect(read(d, 0, LBA28 + 2 ** 20 - 1, 1).data).toEqual(pattern(512, 8));
    expect(read(d, 0, LBA28 - 1, 1).data).toEqual(straddle.subarray(512, 1024));
    expect(disk.bytes(LBA28 + 12345, 16)).toEqual(high);
    expect(rw(ata).map((c) => [c.command, c.lba, c.count])).toEqual([
      [0x30, 100, 8], [0x34, LBA28 + 12345, 16], [0x34, LBA28 - 2, 4], [0x34, 5000, 1000],
      [0x20, 100, 8], [0x24, LBA28 + 12345, 16], [0x24, LBA28 - 2, 4], [0x24, 5000, 1000],
      [0x34, LBA28 + 2 ** 20 - 1, 1], [0x24, LBA28 + 2 ** 20 - 1, 1], [0x20, LBA28 - 1, 1],
    ]);
  });

  it("the four disks are separate; a zero-sector request does nothing", () => {
    const disks = [new SimDisk(), new SimDisk(), new SimDisk(), new SimDisk({ lba48: false })];
    const { d, ata } = world({ primaryMaster: disks[0], primarySlave: disks[1], secondaryMaster: disks[2], secondarySlave: disks[3] });
    expect(probe(d).disks.length).toBe(4);
    for (let i = 0; i < 4; i++) expect(write(d, i, 7, pattern(2 * 512, 10 + i))).toBe("");
    for (let i = 0; i < 4; i++) {
      expect(disks[i].bytes(7, 2)).toEqual(pattern(2 * 512, 10 + i));
      expect(read(d, i, 7, 2).data).toEqual(pattern(2 * 512, 10 + i));
    }
    const before = ata.commands.length;
    expect(d.call("ataRead", 0, 0n, 0, BUF)).toBe("");
    expect(ata.commands.length).toBe(before);
    expect(d.call("ataRead", 4, 0n, 1, BUF)).toBe("no disk 4");
  });

  it("a disk backed by a Uint8Array is written in place", () => {
    const image = new Uint8Array(64 * 512);
    image.set(pattern(512, 20), 3 * 512);
    const { d } = world({ primaryMaster: new SimDisk({ image }) });
    expect(probe(d).disks[0].sectors).toBe(64);
    expect(read(d, 0, 3, 1).data).toEqual(pattern(512, 20));
    expect(write(d, 0, 10, pattern(1024, 21))).toBe("");
    expect(image.subarray(10 * 512, 12 * 512)).toEqual(pattern(1024, 21));
  });

  it("flush: FLUSH CACHE on a 28-bit disk, FLUSH CACHE EXT on a 48-bit one", () => {
    const a = new SimDisk({ lba48: false }), b = new SimDisk();
    const { d, ata } = world({ primaryMaster: a, secondaryMaster: b });
    probe(d);
    expect(d.call("ataFlush", 0)).toBe("");
    expect(d.call("ataFlush", 1)).toBe("");
    expect(rw(ata).map((c) => c.command)).toEqual([0xe7, 0xea]);
    expect([a.flushes, b.flushes]).toEqual([1, 1]);
  });

  it("dropWritesAfter: later sectors are acknowledged and lost", () => {
    const disk = new SimDisk();
    const { d } = world({ primaryMaster: disk });
    probe(d);
    disk.dropWritesAfter(3);
    expect(write(d, 0, 20, pattern(5 * 512, 30))).toBe("");
    expect(disk.bytes(20, 3)).toEqual(pattern(3 * 512, 30));
    expect(disk.bytes(23, 2)).toEqual(new Uint8Array(1024));
    expect(disk.writesDropped).toBe(2);
  });
});

describe("failures come back as strings", () => {
  it("a media error (UNC) names its LBA, reading and writing", () => {
    const disk = new SimDisk({ sectors: 8192 });
    const { d } = world({ primaryMaster: disk });
    probe(d);
    disk.failAt(1234, "UNC");
    expect(read(d, 0, 1230, 10).err).toBe("media error at LBA 1234 (UNC)");
    expect(read(d, 0, 1234, 1).err).toBe("media error at LBA 1234 (UNC)");
    expect(write(d, 0, 1232, pattern(4 * 512, 40))).toBe("media error at LBA 1234 (UNC)");
    expect(disk.bytes(1232, 2)).toEqual(pattern(2 * 512, 40));
    // Around it the disk still works.
    expect(read(d, 0, 1235, 2).err).toBe("");
    disk.clearFaults();
    expect(read(d, 0, 1230, 10).err).toBe("");
  });

  it("IDNF from the disk, and a request beyond the disk refused before it is sent", () => {
    const disk = new SimDisk({ sectors: 1000 });
    const { d, ata } = world({ primaryMaster: disk });
    probe(d);
    disk.failAt(77, "IDNF");
    expect(read(d, 0, 70, 10).err).toBe("no such sector (IDNF) at LBA 77");
    // The disk shrinks behind the driver's back: the disk's own range check.
    disk.sectors = 900;
    expect(read(d, 0, 950, 2).err).toBe("no such sector (IDNF) at LBA 950");
    expect(write(d, 0, 899, pattern(2 * 512, 1))).toBe("no such sector (IDNF) at LBA 899");
    const sent = ata.commands.length;
    expect(read(d, 0, 1000, 1).err).toBe("no such sector: LBA 1000 is beyond the disk's 1000 sectors");
    expect(read(d, 0, 990, 20).err).toBe("no such sector: LBA 1000 is beyond the disk's 1000 sectors");
    expect(ata.commands.length).toBe(sent);
  });

  it("an aborted command (ABRT)", () => {
    const disk = new SimDisk();
    const { d } = world({ primaryMaster: disk });
    probe(d);
    disk.failAt(9, "ABRT");
    expect(read(d, 0, 9, 1).err).toBe("command aborted by the disk at LBA 9 (ABRT)");
    // The model aborts unknown commands.
    const { ata } = world({ primaryMaster: new SimDisk() });
    ata.outb(0x3f6, 0x02);
    ata.outb(0x1f6, 0xe0);
    ata.outb(0x1f7, 0xc8);                  // READ DMA: not modelled
    expect([ata.inb(0x1f7), ata.inb(0x1f1)]).toEqual([0x51, 0x04]);
  });

  it("a hang times out with the timeout string, in bounded time", () => {
    const disk = new SimDisk();
    const { d } = world({ primaryMaster: disk });
    probe(d);
    disk.hang();
    d.tscStep = 1n << 30n;                  // 16 polls make up the 2^34-tick budget
    expect(read(d, 0, 0, 4).err).toBe("timeout waiting for the disk (BSY)");
    expect(write(d, 0, 0, pattern(512, 1))).toBe("timeout waiting for the disk (BSY)");
    expect(d.call("ataFlush", 0)).toBe("timeout waiting for the disk (BSY)");
    // Back from the hang the channel works again.
    disk.hang(false);
    d.tscStep = 1000n;
    expect(write(d, 0, 0, pattern(512, 2))).toBe("");
    expect(read(d, 0, 0, 1)).toEqual({ err: "", data: pattern(512, 2) });
  });

  it("a disk that hangs in the middle of a transfer times out too", () => {
    const disk = new SimDisk();
    const { d, ata } = world({ primaryMaster: disk });
    probe(d);
    // It hangs after the command is taken: the wait for DRQ runs out.
    const outb = ata.outb.bind(ata);
    ata.outb = (port: number, v: number) => {
      outb(port, v);
      if (port === 0x1f7 && v === ATA_CMD.READ_SECTORS) disk.hang();
    };
    d.tscStep = 1n << 30n;
    expect(read(d, 0, 0, 2).err).toBe("timeout waiting for the disk (BSY)");
  });
});
