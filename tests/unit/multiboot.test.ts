// Boot-information parsing (src/boot/) on the compiled wasm: real-shaped
// Multiboot2 (GRUB) and Multiboot1 (QEMU -kernel) fixtures, and malformed
// ones that must produce a clear error, never a trap.
import { describe, expect, it } from "vitest";
import { Bytes, Machine } from "../sim/machine";
import { MB1_MAGIC, MB2_MAGIC, MOD0, MOD1, Mb2Builder, RAM_TOP, grubMb2, pcE820 } from "./fixtures";

const INFO = 0x20000;

interface Parsed {
  ok: boolean;
  error: string;
  info: any;
}

function parse(magic: number, info: number, m: Machine): Parsed {
  const rc = m.exports.bootInfoParse(magic, info);
  const error = m.str("bootInfoError")!;
  const json = JSON.parse(m.str("bootInfoJson")!);
  expect(json.error).toBe(error);
  return { ok: rc === 0, error, info: json };
}

function parseMb2(b: Bytes | Uint8Array, at = INFO): Parsed {
  const m = new Machine();
  m.write(at, b instanceof Bytes ? b.bytes : b);
  return parse(MB2_MAGIC, at, m);
}

const hex = (v: bigint | number) => "0x" + BigInt(v).toString(16);

describe("multiboot2 (GRUB)", () => {
  it("parses command line, loader name, modules, memory map and RSDP", () => {
    const mbi = grubMb2().build();
    const { ok, error, info } = parseMb2(mbi);
    expect(error).toBe("");
    expect(ok).toBe(true);
    expect(info.protocol).toBe(2);
    expect(info.cmdline).toBe("/boot/hv.elf loglevel=3 nosmp");
    expect(info.loaderName).toBe("GRUB 2.06-13+deb12u1");
    expect(info.modules).toEqual([
      { start: hex(MOD0.start), end: hex(MOD0.end), cmdline: MOD0.cmdline },
      { start: hex(MOD1.start), end: hex(MOD1.end), cmdline: MOD1.cmdline },
    ]);
    expect(info.memory).toEqual(pcE820(RAM_TOP).map((e) => ({ base: hex(e.base), length: hex(e.length), type: e.type })));
    expect(info.infoStart).toBe(hex(INFO));
    expect(info.infoEnd).toBe(hex(INFO + mbi.length));
    expect(info.rsdpRevision).toBe(2);
    // The RSDP pointer is inside the info, at the payload of tag 15.
    const rsdp = Number(BigInt(info.rsdp));
    expect(rsdp).toBeGreaterThan(INFO);
    expect(rsdp).toBeLessThan(INFO + mbi.length);
    const m = new Machine();
    m.write(INFO, mbi.bytes);
    expect(Buffer.from(m.bytes.slice(rsdp, rsdp + 8)).toString("latin1")).toBe("RSD PTR ");
  });

  it("prints the boot information to the log", () => {
    const m = new Machine();
    m.write(INFO, grubMb2().build().bytes);
    expect(parse(MB2_MAGIC, INFO, m).ok).toBe(true);
    m.exports.bootInfoPrintLast();
    const out = m.takeSerial().replace(/\r/g, "").split("\n").filter((l) => l);
    expect(out[0]).toBe('boot: multiboot2 from "GRUB 2.06-13+deb12u1", cmdline "/boot/hv.elf loglevel=3 nosmp"');
    expect(out).toContain("boot: memory 0x0000000000100000-0x0000000008000000 available");
    expect(out).toContain("boot: memory 0x00000000000f0000-0x0000000000100000 reserved");
    expect(out).toContain('boot: module 0x0000000001000000-0x0000000001023456 "dom0.elf console=com1"');
    expect(out[out.length - 1]).toMatch(/^boot: ACPI RSDP revision 2 at 0x0000000000020[0-9a-f]{3}$/);
    expect(out.length).toBe(1 + 5 + 2 + 1);
  });

  it("takes the old RSDP when there is no new one, and prefers the new one", () => {
    const old = new Mb2Builder().mmap(pcE820(RAM_TOP)).acpiOld().end().build();
    expect(parseMb2(old).info.rsdpRevision).toBe(0);
    expect(parseMb2(old).info.rsdp).not.toBe("0x0");
    const both = new Mb2Builder().mmap(pcE820(RAM_TOP)).acpiNew().acpiOld().end().build();
    expect(parseMb2(both).info.rsdpRevision).toBe(2);
    const none = new Mb2Builder().mmap(pcE820(RAM_TOP)).end().build();
    expect(parseMb2(none).info.rsdp).toBe("0x0");
  });

  it("accepts a larger mmap entry_size (future entry versions)", () => {
    const { ok, info } = parseMb2(new Mb2Builder().mmap(pcE820(RAM_TOP), 32).end().build());
    expect(ok).toBe(true);
    expect(info.memory.length).toBe(5);
    expect(info.memory[3]).toEqual({ base: "0x100000", length: hex(RAM_TOP - 0x100000n), type: 1 });
  });

  it("needs a memory map", () => {
    const { ok, error } = parseMb2(new Mb2Builder().cmdline("x").end().build());
    expect(ok).toBe(false);
    expect(error).toBe("mb2: no memory map tag (type 6)");
  });

  const mmap = () => new Mb2Builder().mmap(pcE820(RAM_TOP));
  const cases: Array<[string, () => Bytes | Uint8Array, RegExp]> = [
    ["total_size too small", () => new Bytes().u32(8).u32(0).u32(0).u32(8), /total_size 8 at offset 0x0 is too small/],
    ["total_size zero", () => new Bytes().u32(0).u32(0), /total_size 0 at offset 0x0 is too small/],
    ["total_size huge", () => mmap().end().build().setU32(0, 0x40000000), /total_size 0x40000000 at offset 0x0 is too large/],
    ["tag size < 8", () => new Bytes().u32(24).u32(0).u32(1).u32(4).u32(0).u32(8), /tag type 1 at offset 0x8 has size 4 \(< 8\)/],
    ["tag size 0 (would loop forever)", () => new Bytes().u32(24).u32(0).u32(1).u32(0).u32(0).u32(8), /tag type 1 at offset 0x8 has size 0/],
    ["tag running past total_size", () => {
      const b = mmap().cmdline("hello").end().build();
      return b.setU32(0, b.length - 16); // cuts the cmdline tag and end tag
    }, /tag type 1 at offset 0x90 \(size 14\) runs past total_size 152$/],
    ["tag size past total_size", () => new Bytes().u32(24).u32(0).u32(1).u32(0x1000).str("abc").zeros(4).u32(0).u32(8),
      /tag type 1 at offset 0x8 \(size 4096\) runs past total_size 24/],
    ["no end tag", () => mmap().cmdline("x").build(), /no end tag within total_size/],
    ["truncated: total_size ends inside a tag header", () => {
      const b = mmap().end().build();
      return b.setU32(0, b.length - 4);
    }, /no end tag within total_size/],
    ["unterminated cmdline", () => mmap().tag(1, new Bytes().str("abcdefg", false)).end().build(),
      /cmdline tag at offset 0x90: string at 0x20098 is unterminated/],
    ["unterminated loader name", () => mmap().tag(2, new Bytes().str("GRUB", false)).end().build(),
      /boot loader name tag at offset 0x90: string .* is unterminated/],
    ["overlong cmdline", () => mmap().cmdline("x".repeat(5000)).end().build(), /longer than 4096 bytes/],
    ["mmap entry_size too small", () => new Mb2Builder().tag(6, new Bytes().u32(16).u32(0).u64(0).u64(0x9fc00)).end().build(),
      /memory-map tag at offset 0x8 has entry_size 16 \(must be a multiple of 8, >= 24\)/],
    ["mmap entry_size not a multiple of 8", () => new Mb2Builder().tag(6, new Bytes().u32(28).u32(0).u64(0).u64(0x9fc00).u32(1).u32(0).u32(0)).end().build(),
      /entry_size 28 \(must be a multiple of 8/],
    ["mmap entry_size zero (division)", () => new Mb2Builder().tag(6, new Bytes().u32(0).u32(0)).end().build(), /entry_size 0/],
    ["mmap not a whole number of entries", () => new Mb2Builder().tag(6, new Bytes().u32(24).u32(0).u64(0).u64(0x9fc00).u32(1).u32(0).zeros(8)).end().build(),
      /32 bytes of entries is not a multiple of entry_size 24/],
    ["mmap tag too small for its header", () => new Mb2Builder().tag(6, new Bytes().u32(24)).end().build(),
      /memory-map tag at offset 0x8 has size 12 \(< 16\)/],
    ["mmap entry wrapping 2^64", () => new Mb2Builder().mmap([{ base: 0xffffffffffff0000n, length: 0x20000n, type: 1 }]).end().build(),
      /memory-map entry 0 at offset 0x18 wraps past 2\^64/],
    ["two mmap tags", () => mmap().mmap(pcE820(RAM_TOP)).end().build(), /second memory-map tag at offset 0x90/],
    ["module end < start", () => mmap().module(0x2000000, 0x1000000, "m").end().build(),
      /module tag at offset 0x90 ends \(0x1000000\) before it starts \(0x2000000\)/],
    ["module tag too small", () => mmap().tag(3, new Bytes().u32(0x1000000)).end().build(), /module tag at offset 0x90 has size 12 \(< 17\)/],
    ["unterminated module string", () => mmap().tag(3, new Bytes().u32(0x1000000).u32(0x1001000).str("dom0", false)).end().build(),
      /module tag at offset 0x90: string .* is unterminated/],
    ["truncated ACPI new RSDP", () => mmap().tag(15, new Bytes().str("RSD PTR ", false).zeros(12)).end().build(),
      /ACPI new RSDP tag at offset 0x90 has size 28 \(< 44\)/],
    ["truncated ACPI old RSDP", () => mmap().tag(14, new Bytes().str("RSD PTR ", false)).end().build(),
      /ACPI old RSDP tag at offset 0x90 has size 16 \(< 28\)/],
  ];
  for (const [name, build, re] of cases) {
    it(`rejects ${name}`, () => {
      const { ok, error } = parseMb2(build());
      expect(ok).toBe(false);
      expect(error).toMatch(/^mb2: /);
      expect(error).toMatch(re);
    });
  }

  it("rejects a null or misaligned pointer, and an unknown magic", () => {
    const m = new Machine();
    expect(parse(MB2_MAGIC, 0, m).error).toBe("mb2: null information pointer");
    expect(parse(MB2_MAGIC, INFO + 4, m).error).toBe("mb2: information at 0x20004 is not 8-byte aligned");
    const u = parse(0x1badb002, INFO, m);
    expect(u.ok).toBe(false);
    expect(u.error).toMatch(/^boot: unknown boot loader magic 0x1badb002/);
    expect(u.info.protocol).toBe(0);
  });

  it("survives random corruption of a GRUB info (no trap, ok or a clear error)", () => {
    const base = grubMb2().build().bytes;
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let errors = 0;
    const m = new Machine();
    for (let round = 0; round < 400; round++) {
      const b = Uint8Array.from(base);
      const flips = 1 + rand(4);
      for (let i = 0; i < flips; i++) {
        const at = rand(b.length);
        // Mostly small changes to sizes and types, sometimes random bytes.
        b[at] = rand(3) === 0 ? rand(256) : b[at] ^ (1 << rand(8));
      }
      m.fill(INFO, 0x2000, 0);
      m.write(INFO, b);
      const r = parse(MB2_MAGIC, INFO, m);
      if (!r.ok) {
        errors++;
        expect(r.error).toMatch(/^mb2: /);
      }
    }
    expect(errors).toBeGreaterThan(20);
  });

  it("never reads past total_size: a string running into the next bytes is rejected", () => {
    // The cmdline tag is the last one before total_size; memory after it is
    // non-zero, so only the bound (not a stray NUL) stops the read.
    const b = new Bytes().u32(8 + 16).u32(0).u32(1).u32(16).str("abcdefgh", false);
    const m = new Machine();
    m.fill(INFO, 0x1000, 0x41);
    m.write(INFO, b.bytes);
    const r = parse(MB2_MAGIC, INFO, m);
    expect(r.error).toMatch(/cmdline tag at offset 0x8: string at 0x20010 is unterminated \(no NUL within its 8 bytes\)/);
  });
});

// QEMU's -kernel loader (hw/i386/multiboot.c): flags MEMORY, BOOTDEV,
// CMDLINE, MODS, MMAP, BOOT_LOADER_NAME; name "qemu"; the info, strings and
// module array in one buffer after the kernel; the e820 map (entries of
// size 20) written by the multiboot option ROM.
function qemuMb1(m: Machine, opts: { flags?: number; mmapAt?: number; entries?: Bytes } = {}): number {
  const mbi = 0x300000;
  const strings = mbi + 0x100;
  const mods = mbi + 0x200;
  const mmapAt = opts.mmapAt ?? 0x9000;
  const cmd = strings, name = strings + 0x40, m0 = strings + 0x50, m1 = strings + 0x80;
  m.write(cmd, new Bytes().str("/boot/hv.elf loglevel=3").bytes);
  m.write(name, new Bytes().str("qemu").bytes);
  m.write(m0, new Bytes().str(MOD0.cmdline).bytes);
  m.write(m1, new Bytes().str(MOD1.cmdline).bytes);
  m.write(mods, new Bytes().u32(MOD0.start).u32(MOD0.end).u32(m0).u32(0).u32(MOD1.start).u32(MOD1.end).u32(m1).u32(0).bytes);
  let map = opts.entries;
  if (!map) {
    map = new Bytes();
    for (const e of pcE820(RAM_TOP)) map.u32(20).u64(e.base).u64(e.length).u32(e.type);
  }
  m.write(mmapAt, map.bytes);
  const info = new Bytes()
    .u32(opts.flags ?? 0x24f).u32(639).u32(Number((RAM_TOP - 0x100000n) >> 10n)).u32(0x8000ffff)
    .u32(cmd).u32(2).u32(mods).zeros(16).u32(map.length).u32(mmapAt)
    .u32(0).u32(0).u32(0).u32(name).zeros(116 - 68);
  m.write(mbi, info.bytes);
  return mbi;
}

describe("multiboot1 (QEMU -kernel)", () => {
  it("parses command line, loader name, modules and memory map", () => {
    const m = new Machine();
    const mbi = qemuMb1(m);
    const { ok, error, info } = parse(MB1_MAGIC, mbi, m);
    expect(error).toBe("");
    expect(ok).toBe(true);
    expect(info.protocol).toBe(1);
    expect(info.cmdline).toBe("/boot/hv.elf loglevel=3");
    expect(info.loaderName).toBe("qemu");
    expect(info.modules).toEqual([
      { start: hex(MOD0.start), end: hex(MOD0.end), cmdline: MOD0.cmdline },
      { start: hex(MOD1.start), end: hex(MOD1.end), cmdline: MOD1.cmdline },
    ]);
    expect(info.memory).toEqual(pcE820(RAM_TOP).map((e) => ({ base: hex(e.base), length: hex(e.length), type: e.type })));
    expect(info.rsdp).toBe("0x0");
    // The extents cover the info, the strings, the module array and the map.
    const ext = info.extents.map((e: any) => [e.what, e.start, e.end]);
    expect(ext).toContainEqual(["multiboot information", "0x300000", "0x300074"]);
    expect(ext).toContainEqual(["multiboot memory map", "0x9000", hex(0x9000 + 5 * 24)]);
    expect(ext).toContainEqual(["multiboot module array", "0x300200", "0x300220"]);
    expect(ext).toContainEqual(["multiboot cmdline", "0x300100", hex(0x300100 + 24)]);
    expect(info.infoStart).toBe("0x9000");
    expect(info.infoEnd).toBe("0x300220");
  });

  it("falls back to mem_lower/mem_upper without a memory map", () => {
    const m = new Machine();
    const { ok, info } = parse(MB1_MAGIC, qemuMb1(m, { flags: 0x001 }), m);
    expect(ok).toBe(true);
    expect(info.memory).toEqual([
      { base: "0x0", length: hex(639 * 1024), type: 1 },
      { base: "0x100000", length: hex(RAM_TOP - 0x100000n), type: 1 },
    ]);
    expect(info.cmdline).toBe("");
  });

  const field = (off: number, v: number) => (m: Machine, mbi: number) => m.view.setUint32(mbi + off, v, true);
  const cases: Array<[string, (m: Machine, mbi: number) => void, RegExp]> = [
    ["null cmdline", field(16, 0), /^mb1: flags announce cmdline but its pointer \(offset 16\) is null$/],
    ["null boot_loader_name", field(64, 0), /^mb1: flags announce boot_loader_name but its pointer \(offset 64\) is null$/],
    ["null mods_addr", field(24, 0), /^mb1: mods_count is 2 but mods_addr \(offset 24\) is null$/],
    ["null mmap_addr", field(48, 0), /^mb1: flags announce a memory map but mmap_addr \(offset 48\) is null$/],
    ["mods_count overflow", field(20, 0x10000001), /^mb1: mods_count 268435457 \(offset 20\) is more than 256$/],
    ["module end < start", (m, mbi) => m.view.setUint32(mbi + 0x204, 0x100, true), /^mb1: module 0 at 0x300200 ends \(0x100\) before it starts \(0x1000000\)$/],
    ["unterminated cmdline", (m) => m.fill(0x300100, 0x4100, 0x41), /^mb1: cmdline \(offset 16\) at 0x300100 is longer than 4096 bytes or unterminated$/],
    ["mmap entry size too small", (m) => m.view.setUint32(0x9000 + 24, 12, true), /^mb1: memory-map entry at offset 0x18 has size 12 \(< 20\)$/],
    ["mmap entry past mmap_length", (m) => m.view.setUint32(0x9000 + 96, 40, true), /^mb1: memory-map entry at offset 0x60 \(size 40\) runs past mmap_length 120$/],
    ["mmap_length cutting an entry header", field(44, 122), /^mb1: memory-map entry at offset 0x78 is truncated \(2 bytes left\)$/],
    ["huge mmap_length", field(44, 0xfffffff0), /^mb1: mmap_length 4294967280 \(offset 44\) is more than 32768$/],
  ];
  for (const [name, corrupt, re] of cases) {
    it(`rejects ${name}`, () => {
      const m = new Machine();
      const mbi = qemuMb1(m);
      corrupt(m, mbi);
      const { ok, error } = parse(MB1_MAGIC, mbi, m);
      expect(ok).toBe(false);
      expect(error).toMatch(re);
    });
  }

  it("rejects a null info pointer and an info without memory information", () => {
    const m = new Machine();
    expect(parse(MB1_MAGIC, 0, m).error).toBe("mb1: null information pointer");
    expect(parse(MB1_MAGIC, qemuMb1(m, { flags: 0x4 }), m).error).toBe("mb1: no memory information (flags bits 0 and 6 clear)");
  });
});

describe("command line", () => {
  const m = new Machine();
  const opt = (cmd: string, key: string) => m.readString(m.exports.cmdlineOptionValue(m.newString(cmd), m.newString(key)) >>> 0);
  const flag = (cmd: string, w: string) => m.exports.cmdlineHasFlag(m.newString(cmd), m.newString(w)) !== 0;

  it("finds key=value options exactly", () => {
    const c = "/boot/hv.elf  loglevel=3 console=com1\tnosmp dom0_mem=512M empty=";
    expect(opt(c, "loglevel")).toBe("3");
    expect(opt(c, "console")).toBe("com1");
    expect(opt(c, "dom0_mem")).toBe("512M");
    expect(opt(c, "empty")).toBe("");
    expect(opt(c, "log")).toBeNull();
    expect(opt(c, "level")).toBeNull();
    expect(opt(c, "nosmp")).toBeNull();
    expect(opt("a=1 a=2", "a")).toBe("2");
    expect(opt("a=b=c", "a")).toBe("b=c");
    expect(opt("", "a")).toBeNull();
  });

  it("finds flags as whole words", () => {
    const c = "/boot/hv.elf loglevel=3 nosmp   debug";
    expect(flag(c, "nosmp")).toBe(true);
    expect(flag(c, "debug")).toBe(true);
    expect(flag(c, "nosm")).toBe(false);
    expect(flag(c, "smp")).toBe(false);
    expect(flag(c, "loglevel")).toBe(false);
    expect(flag(c, "loglevel=3")).toBe(true);
    expect(flag("", "x")).toBe(false);
  });
});
