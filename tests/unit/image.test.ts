// Guest image parsing (src/domain/image.ts): ELF32/ELF64 built byte by byte,
// multiboot1 a.out kludge and multiboot2 address-tag images, flat binaries,
// real NASM-built guests when nasm and ld are installed, and corrupt
// variants that must give a clear error (never a trap or a read past the end).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const IMG = 0x100000;
const MEM = 64n << 20n;
const AUTO = 0, FLAT64 = 1, REALMODE = 2;
const MB1 = 1, MB2 = 2, LONG64 = 3, REAL = 4;
const MB1_HDR = 0x1badb002, MB2_HDR = 0xe85250d6;

// The stub runtime never frees: a fresh machine every 50 parses.
let machine = new Machine();
let uses = 0;
function fresh(): Machine {
  if (++uses % 50 === 0) machine = new Machine();
  return machine;
}
interface Parsed { rc: number; img: any }
function parse(bytes: Uint8Array, kind = AUTO, mem = MEM, load = 0n, at = IMG): Parsed {
  const m = fresh();
  m.fill(IMG, 0x300000 - IMG, 0xcc); // what follows the image is never zeros
  m.write(at, bytes);
  const rc = m.exports.guestImageParse(BigInt(at), BigInt(bytes.length), kind, mem, load);
  const img = JSON.parse(m.str("guestImageJson")!);
  expect(rc === -1).toBe(img.error !== "");
  if (rc !== -1) expect(rc).toBe(img.mode);
  return { rc, img };
}
// Parse with the image ending exactly at the end of wasm memory (grown to
// its 16 MiB maximum, far above the heap of a fresh machine): any read past
// the end traps.
function parseAtEnd(bytes: Uint8Array, kind = AUTO): Parsed {
  const m = fresh();
  const pages = m.memory.buffer.byteLength >>> 16;
  if (pages < 256) m.memory.grow(256 - pages);
  const at = m.memory.buffer.byteLength - bytes.length;
  m.write(at, bytes);
  const rc = m.exports.guestImageParse(BigInt(at), BigInt(bytes.length), kind, MEM, 0n);
  return { rc, img: JSON.parse(m.str("guestImageJson")!) };
}
const hex = (v: number | bigint) => "0x" + BigInt(v).toString(16);
const seg = (fileOffset: number, fileSize: number, gpa: number, memSize: number, executable = true) =>
  ({ fileOffset: hex(fileOffset), fileSize: hex(fileSize), gpa: hex(gpa), memSize: hex(memSize), executable });

// ── A byte-level ELF builder ─────────────────────────────────────────────
interface Ph { type?: number; offset: number; vaddr: number; paddr?: number; filesz: number; memsz: number; flags?: number }
interface ElfOpts {
  cls?: 32 | 64; entry: number; phs: Ph[]; size?: number; machine?: number; type?: number; data?: number;
  phoff?: number; phnum?: number; phentsize?: number; ehsize?: number;
}
function elf(o: ElfOpts): Uint8Array {
  const is64 = (o.cls ?? 32) === 64;
  const b = new Uint8Array(o.size ?? 0x3000);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, o.data ?? 1, 1]);
  v.setUint16(16, o.type ?? 2, true);
  v.setUint16(18, o.machine ?? (is64 ? 62 : 3), true);
  v.setUint32(20, 1, true);
  const ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32;
  const phoff = o.phoff ?? ehsize;
  if (is64) {
    v.setBigUint64(24, BigInt(o.entry), true);
    v.setBigUint64(32, BigInt(phoff), true);
    v.setUint16(52, o.ehsize ?? ehsize, true);
    v.setUint16(54, o.phentsize ?? phentsize, true);
    v.setUint16(56, o.phnum ?? o.phs.length, true);
  } else {
    v.setUint32(24, o.entry, true);
    v.setUint32(28, phoff, true);
    v.setUint16(40, o.ehsize ?? ehsize, true);
    v.setUint16(42, o.phentsize ?? phentsize, true);
    v.setUint16(44, o.phnum ?? o.phs.length, true);
  }
  o.phs.forEach((p, i) => {
    const at = (o.phoff ?? ehsize) + i * phentsize;
    if (at + phentsize > b.length) return;
    const paddr = p.paddr ?? p.vaddr;
    if (is64) {
      v.setUint32(at, p.type ?? 1, true);
      v.setUint32(at + 4, p.flags ?? 5, true);
      v.setBigUint64(at + 8, BigInt(p.offset), true);
      v.setBigUint64(at + 16, BigInt(p.vaddr), true);
      v.setBigUint64(at + 24, BigInt(paddr), true);
      v.setBigUint64(at + 32, BigInt(p.filesz), true);
      v.setBigUint64(at + 40, BigInt(p.memsz), true);
    } else {
      v.setUint32(at, p.type ?? 1, true);
      v.setUint32(at + 4, p.offset, true);
      v.setUint32(at + 8, p.vaddr, true);
      v.setUint32(at + 12, paddr, true);
      v.setUint32(at + 16, p.filesz, true);
      v.setUint32(at + 20, p.memsz, true);
      v.setUint32(at + 24, p.flags ?? 5, true);
    }
  });
  return b;
}
// A typical kernel: text at 1 MiB (R+X), data+bss at 1 MiB + 8 KiB (R+W).
const text: Ph = { offset: 0x1000, vaddr: 0x100000, filesz: 0x1000, memsz: 0x1000, flags: 5 };
const data: Ph = { offset: 0x2000, vaddr: 0x102000, filesz: 0x800, memsz: 0x3000, flags: 6 };
const kernel32 = (o: Partial<ElfOpts> = {}) => elf({ entry: 0x100010, phs: [text, data], ...o });
const kernel64 = (o: Partial<ElfOpts> = {}) => elf({ cls: 64, entry: 0x100010, phs: [text, data], ...o });

function putMb1(b: Uint8Array, off: number, flags: number, fields: number[] = [], sum?: number): Uint8Array {
  const v = new DataView(b.buffer);
  v.setUint32(off, MB1_HDR, true);
  v.setUint32(off + 4, flags, true);
  v.setUint32(off + 8, sum ?? ((-(MB1_HDR + flags)) >>> 0), true);
  fields.forEach((f, i) => v.setUint32(off + 12 + 4 * i, f >>> 0, true));
  return b;
}
// A multiboot2 header with the given tags ([type, flags, payload u32s]).
function putMb2(b: Uint8Array, off: number, tags: Array<[number, number, number[]]>, arch = 0, badSum = false): Uint8Array {
  const v = new DataView(b.buffer);
  let t = off + 16;
  for (const [type, flags, payload] of [...tags, [0, 0, []] as [number, number, number[]]]) {
    const size = 8 + 4 * payload.length;
    v.setUint16(t, type, true);
    v.setUint16(t + 2, flags, true);
    v.setUint32(t + 4, size, true);
    payload.forEach((p, i) => v.setUint32(t + 8 + 4 * i, p >>> 0, true));
    t += (size + 7) & ~7;
  }
  const len = t - off;
  v.setUint32(off, MB2_HDR, true);
  v.setUint32(off + 4, arch, true);
  v.setUint32(off + 8, len, true);
  v.setUint32(off + 12, ((-(MB2_HDR + arch + len)) >>> 0) + (badSum ? 1 : 0), true);
  return b;
}

describe("ELF images", () => {
  it("ELF32 without a multiboot header: PT_LOAD at p_paddr, 32-bit protected mode", () => {
    const { rc, img } = parse(kernel32());
    expect(img.error).toBe("");
    expect(rc).toBe(MB1);
    expect(img.format).toBe("elf32");
    expect(img.entry).toBe("0x100010");
    expect(img.segments).toEqual([seg(0x1000, 0x1000, 0x100000, 0x1000), seg(0x2000, 0x800, 0x102000, 0x3000, false)]);
    expect(img.mbHeaderOffset).toBe(-1);
  });

  it("ELF64 without a multiboot header: long mode; a higher-half entry is translated to p_paddr", () => {
    expect(parse(kernel64())).toMatchObject({ rc: LONG64, img: { format: "elf64", entry: "0x100010" } });
    const hi = 0xffffffff80000000n;
    const b = elf({ cls: 64, entry: 0, phs: [] , size: 0x3000});
    // vaddr in the top 2 GiB, paddr at 2 MiB, entry = vaddr + 0x20
    const v = new DataView(b.buffer);
    const e = elf({ cls: 64, entry: 0, phs: [{ offset: 0x1000, vaddr: 0, paddr: 0x200000, filesz: 0x100, memsz: 0x100 }] });
    const ev = new DataView(e.buffer);
    ev.setBigUint64(24, hi + 0x20n, true);
    ev.setBigUint64(64 + 16, hi, true);
    void v;
    const { rc, img } = parse(e);
    expect(img.error).toBe("");
    expect(rc).toBe(LONG64);
    expect(img.entry).toBe("0x200020");
    expect(img.segments).toEqual([seg(0x1000, 0x100, 0x200000, 0x100)]);
  });

  it("ignores non-PT_LOAD headers and empty PT_LOADs", () => {
    const note: Ph = { type: 4, offset: 0x5000000, vaddr: 0, filesz: 0x10000000, memsz: 0 };
    const empty: Ph = { offset: 0, vaddr: 0, filesz: 0, memsz: 0 };
    const { img } = parse(kernel32({ phs: [note, text, empty, data] }));
    expect(img.error).toBe("");
    expect(img.segments.length).toBe(2);
  });

  it("an ELF32 with a multiboot1 header: MB1 entry, header offset and flags", () => {
    const b = putMb1(kernel32(), 0x1000, 3);
    const { rc, img } = parse(b);
    expect(img.error).toBe("");
    expect(rc).toBe(MB1);
    expect(img.mbHeaderOffset).toBe(0x1000);
    expect(img.mbFlags).toBe("0x3");
  });

  it("an ELF64 with a multiboot2 header: 32-bit MB2 entry", () => {
    const b = putMb2(kernel64(), 0x1008, [[1, 0, [1, 6]], [4, 1, [0]]]);
    expect(parse(b)).toMatchObject({ rc: MB2, img: { format: "elf64", mbHeaderOffset: 0x1008, entry: "0x100010" } });
  });

  const corrupt: Array<[string, () => Uint8Array, RegExp]> = [
    ["a truncated ELF32 header", () => kernel32().slice(0, 40), /^ELF: file is 40 bytes, shorter than the ELF32 header \(52\)$/],
    ["a truncated ELF64 header", () => kernel64().slice(0, 60), /^ELF: file is 60 bytes, shorter than the ELF64 header \(64\)$/],
    ["a truncated e_ident", () => kernel32().slice(0, 10), /^ELF: file is 10 bytes, shorter than e_ident/],
    ["a bad class", () => { const b = kernel32(); b[4] = 3; return b; }, /unknown class 3/],
    ["big-endian", () => kernel32({ data: 2 }), /^ELF: big-endian/],
    ["an unknown machine", () => kernel32({ machine: 40 }), /^ELF: e_machine 40 is not EM_386 \(3\) for ELF32$/],
    ["ELF64 with EM_386", () => kernel64({ machine: 3 }), /e_machine 3 is not EM_X86_64 \(62\) for ELF64/],
    ["ET_DYN", () => kernel64({ type: 3 }), /e_type 3 \(ET_DYN, position independent\) is not ET_EXEC/],
    ["ET_REL", () => kernel32({ type: 1 }), /ET_REL/],
    ["bad phoff", () => kernel32({ phoff: 0x2ff0 }), /^ELF: program headers \(offset 0x2ff0, 2 x 32 bytes\) run past the end of the file \(0x3000 bytes\)$/],
    ["phoff beyond 2^32 (ELF64)", () => {
      const b = kernel64(); new DataView(b.buffer).setBigUint64(32, 0xffffffff_fffffff0n, true); return b;
    }, /program headers \(offset 0xfffffffffffffff0/],
    ["phnum huge", () => kernel32({ phnum: 0xfffe }), /^ELF: e_phnum 65534 is more than 256$/],
    ["phnum PN_XNUM", () => kernel32({ phnum: 0xffff }), /PN_XNUM/],
    ["phnum 0", () => kernel32({ phnum: 0 }), /no program headers/],
    ["phentsize too small", () => kernel64({ phentsize: 32 }), /e_phentsize 32 is smaller than an ELF64 program header \(56\)/],
    ["ehsize too small", () => kernel32({ ehsize: 20 }), /e_ehsize 20/],
    ["segment past end of file", () => kernel32({ phs: [text, { ...data, filesz: 0x1001 }] }),
      /^ELF: program header 1 runs past the end of the file \(offset 0x2000, size 0x1001, file 0x3000 bytes\)$/],
    ["segment offset past end of file", () => kernel32({ phs: [text, { ...data, offset: 0x3001, filesz: 0 }] }),
      /program header 1 runs past the end of the file \(offset 0x3001/],
    ["filesz > memsz", () => kernel32({ phs: [text, { ...data, memsz: 0x400 }] }),
      /^ELF: program header 1: p_filesz 0x800 is larger than p_memsz 0x400$/],
    ["overlapping segments", () => kernel32({ phs: [text, { ...data, vaddr: 0x100800 }] }),
      /^ELF: program header 1 \(PT_LOAD at p_paddr\) \(0x100800-0x103800\) overlaps segment 0 \(0x100000-0x101000\)$/],
    ["a segment beyond guest memory", () => kernel32({ phs: [text, { ...data, vaddr: 0x3fff000 }] }),
      /program header 1 .* \(0x3fff000-0x4002000\) is outside guest memory \(0x4000000 bytes\)/],
    ["a segment wrapping 2^64", () => kernel64({ phs: [text, { ...data, vaddr: 0x1000, paddr: -1 as any }] }),
      /wrap|outside guest memory/],
    ["a segment in the reserved low 64 KiB", () => kernel32({ phs: [{ ...text, vaddr: 0xf000 }, data], entry: 0xf010 }),
      /program header 0 .* \(0xf000-0x10000\) overlaps \[0x0, 0x10000\), which the domain builder reserves/],
    ["entry outside segments", () => kernel32({ entry: 0x200000 }), /^ELF: entry point 0x200000 is not inside an executable PT_LOAD segment$/],
    ["entry in a non-executable segment", () => kernel32({ entry: 0x102000 }), /entry point 0x102000 is not inside an executable/],
    ["no PT_LOAD", () => kernel32({ phs: [{ ...text, type: 4 }] }), /no PT_LOAD segment/],
    ["bad mb1 checksum", () => putMb1(kernel32(), 0x1000, 3, [], 0x12345678),
      /^multiboot header at offset 0x1000: bad checksum \(magic \+ flags \+ checksum = 0x/],
    ["bad mb2 checksum", () => putMb2(kernel32(), 0x1000, [], 0, true), /^multiboot2 header at offset 0x1000: bad checksum/],
    ["mb1 unsupported required flag", () => putMb1(kernel32(), 0x1000, 0x8), /flags 0x8 require features this loader lacks \(bits 0x8\)/],
    ["mb2 non-i386 architecture", () => putMb2(kernel32(), 0x1000, [], 4), /architecture 4 is not i386/],
    ["mb2 required unknown tag", () => putMb2(kernel32(), 0x1000, [[7, 0, []]]), /tag type 7 at header offset 0x10 is not supported/],
    ["mb2 required info we do not give", () => putMb2(kernel32(), 0x1000, [[1, 0, [1, 15]]]), /requires information tag 15/],
    ["mb2 tag running past header_length", () => {
      const b = putMb2(kernel32(), 0x1000, [[4, 0, [0]]]);
      new DataView(b.buffer).setUint32(0x1000 + 16 + 4, 0x100, true); return b;
    }, /tag type 4 at header offset 0x10 has size 256/],
  ];
  for (const [name, build, re] of corrupt) {
    it(`rejects ${name}`, () => {
      const { rc, img } = parse(build());
      expect(rc).toBe(-1);
      expect(img.mode).toBe(0);
      expect(img.error).toMatch(re);
    });
  }

  it("accepts an optional mb2 tag it does not know and an entry in the last byte", () => {
    expect(parse(putMb2(kernel32(), 0x1000, [[7, 1, []], [1, 1, [15]]])).rc).toBe(MB2);
    expect(parse(kernel32({ entry: 0x100fff })).img.entry).toBe("0x100fff");
  });

  it("never reads past the image: truncations and random corruption at the end of memory", () => {
    const bases = [putMb1(kernel32(), 0x1000, 3), kernel64(), putMb2(kernel64(), 0x1008, [[4, 1, [0]]])];
    for (const base of bases) {
      for (let n = 0; n <= base.length; n += n < 128 ? 1 : 61) {
        const r = parseAtEnd(base.slice(0, n));
        expect(r.rc === -1).toBe(r.img.error !== "");
      }
    }
    let seed = 777;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    let errors = 0;
    for (let round = 0; round < 600; round++) {
      const b = Uint8Array.from(bases[round % 3]);
      for (let i = 0, k = 1 + rand(4); i < k; i++) {
        const at = rand(3) === 0 ? 0x1000 + rand(64) : rand(0x100);
        b[at] = rand(2) === 0 ? rand(256) : b[at] ^ (1 << rand(8));
      }
      const r = parseAtEnd(b.slice(0, b.length - rand(2) * rand(0x2000)));
      if (r.rc === -1) { errors++; expect(r.img.error.length).toBeGreaterThan(5); }
    }
    expect(errors).toBeGreaterThan(100);
  });
});

describe("multiboot images without ELF", () => {
  // Loaded at 1 MiB: header at file offset 0x40, code at 0x80, 0x1000 bytes
  // of file, bss to 1 MiB + 0x3000.
  const aout = (fields: number[], flags = 0x10003) => putMb1(new Uint8Array(0x1000).fill(0x90), 0x40, flags, fields);
  const good = [0x100040, 0x100000, 0x101000, 0x103000, 0x100080];

  it("multiboot1 a.out kludge: load_addr, load_end_addr, bss_end_addr, entry_addr", () => {
    const { rc, img } = parse(aout(good));
    expect(img.error).toBe("");
    expect(rc).toBe(MB1);
    expect(img).toMatchObject({ format: "mb1-aout", entry: "0x100080", mbHeaderOffset: 0x40, mbFlags: "0x10003" });
    expect(img.segments).toEqual([seg(0, 0x1000, 0x100000, 0x3000)]);
  });

  it("load_end_addr 0 loads the whole file; bss_end_addr 0 means no bss; a partial file", () => {
    expect(parse(aout([0x100040, 0x100000, 0, 0, 0x100080])).img.segments).toEqual([seg(0, 0x1000, 0x100000, 0x1000)]);
    // Load starting at the header (file offset 0x40), 0x100 bytes.
    expect(parse(aout([0x200000, 0x200000, 0x200100, 0, 0x200010])).img.segments).toEqual([seg(0x40, 0x100, 0x200000, 0x100)]);
  });

  const bad: Array<[string, number[] | Uint8Array, RegExp]> = [
    ["load_end < load_addr", [0x100040, 0x100000, 0xff000, 0, 0x100080], /load_end_addr 0xff000 is below load_addr 0x100000/],
    ["header_addr < load_addr", [0x100000, 0x100040, 0, 0, 0x100080], /header_addr 0x100000 is below load_addr 0x100040/],
    ["loading starting before the file", [0x100100, 0x100000, 0, 0, 0x100080], /more than the header's file offset/],
    ["load_end past the file", [0x100040, 0x100000, 0x102000, 0, 0x100080], /load_end_addr 0x102000 needs 0x2000 bytes .* past the end of the file/],
    ["bss_end below load_end", [0x100040, 0x100000, 0x101000, 0x100800, 0x100080], /bss_end_addr 0x100800 is below the end/],
    ["entry outside", [0x100040, 0x100000, 0x101000, 0, 0x101000], /entry_addr 0x101000 is outside the loaded image/],
    ["the reserved low memory", [0x8040, 0x8000, 0, 0, 0x8080], /overlaps \[0x0, 0x10000\)/],
    ["beyond guest memory", [0x7fff040, 0x7fff000, 0, 0, 0x7fff080], /outside guest memory/],
    ["no address fields (flag 16 clear)", putMb1(new Uint8Array(0x1000), 0x40, 3), /not an ELF file and flag 16 \(address fields\) is clear/],
    ["address fields cut off", putMb1(new Uint8Array(0x50), 0x40, 0x10003), /address fields run past the end of the file/],
  ];
  for (const [name, f, re] of bad) {
    it(`mb1 a.out: rejects ${name}`, () => {
      const { rc, img } = parse(f instanceof Uint8Array ? f : aout(f));
      expect(rc).toBe(-1);
      expect(img.error).toMatch(/^multiboot header at offset 0x40: /);
      expect(img.error).toMatch(re);
    });
  }

  it("finds the header only 4-aligned and in the first 8 KiB", () => {
    const late = putMb1(new Uint8Array(0x3000), 0x2000, 0x10003, good);
    expect(parse(late).img.error).toMatch(/not an ELF file and no multiboot header/);
    const odd = putMb1(new Uint8Array(0x1000), 0x42, 0x10003, good);
    expect(parse(odd).img.error).toMatch(/not an ELF file and no multiboot header/);
  });

  it("multiboot2 address and entry tags", () => {
    const b = putMb2(new Uint8Array(0x1000).fill(0x90), 0x40, [[2, 0, [0x200040, 0x200000, 0x200800, 0x204000]], [3, 0, [0x200100]]]);
    const { rc, img } = parse(b);
    expect(img.error).toBe("");
    expect(rc).toBe(MB2);
    expect(img).toMatchObject({ format: "mb2-aout", entry: "0x200100", mbHeaderOffset: 0x40 });
    expect(img.segments).toEqual([seg(0, 0x800, 0x200000, 0x4000)]);
    // load_addr -1: from the start of the file.
    const s = putMb2(new Uint8Array(0x1000), 0x40, [[2, 0, [0x200040, -1, 0, 0]], [3, 0, [0x200100]]]);
    expect(parse(s).img.segments).toEqual([seg(0, 0x1000, 0x200000, 0x1000)]);
  });

  it("multiboot2 without ELF needs both tags", () => {
    const noAddr = putMb2(new Uint8Array(0x1000), 0x40, [[3, 0, [0x200100]]]);
    expect(parse(noAddr).img.error).toMatch(/not an ELF file and no address tag \(type 2\)/);
    const noEntry = putMb2(new Uint8Array(0x1000), 0x40, [[2, 0, [0x200040, 0x200000, 0, 0]]]);
    expect(parse(noEntry).img.error).toMatch(/no entry address tag \(type 3\)/);
    const shortTag = putMb2(new Uint8Array(0x1000), 0x40, [[2, 0, [0x200040]], [3, 0, [0x200100]]]);
    expect(parse(shortTag).img.error).toMatch(/\(address\) has size 12 \(< 24\)/);
  });
});

describe("flat binaries", () => {
  const bin = new Uint8Array(0x600).fill(0xf4);
  it("kind=auto refuses a file it cannot recognise", () => {
    expect(parse(bin).img.error).toBe("not an ELF file and no multiboot header: use kind=flat64 or kind=realmode for a flat binary");
  });
  it("flat64 at 1 MiB or at load=", () => {
    expect(parse(bin, FLAT64)).toMatchObject({ rc: LONG64, img: { format: "flat64", entry: "0x100000", segments: [seg(0, 0x600, 0x100000, 0x600)] } });
    expect(parse(bin, FLAT64, MEM, 0x400000n).img.entry).toBe("0x400000");
    expect(parse(bin, FLAT64, MEM, 0x8000n).img.error).toMatch(/overlaps \[0x0, 0x10000\)/);
    expect(parse(bin, FLAT64, 0x100000n).img.error).toMatch(/outside guest memory/);
  });
  it("realmode at 0:0x7c00 or at load=", () => {
    expect(parse(bin, REALMODE)).toMatchObject({ rc: REAL, img: { entry: "0x7c00", realCs: "0x0", realIp: "0x7c00", segments: [seg(0, 0x600, 0x7c00, 0x600)] } });
    expect(parse(bin, REALMODE, MEM, 0x10000n).img).toMatchObject({ entry: "0x10000", realCs: "0x1000", realIp: "0x0" });
    expect(parse(new Uint8Array(0xa0000), REALMODE).img.error).toMatch(/does not fit below 0x9fc00/);
  });
  it("an explicit flat kind loads even an ELF flat; an empty image is an error", () => {
    expect(parse(kernel32(), FLAT64).img.format).toBe("flat64");
    expect(parse(new Uint8Array(0), AUTO).img.error).toBe("image is empty");
  });
});

// ── Real guests built with NASM and ld ───────────────────────────────────
function tool(cmd: string, args: string[]): boolean {
  try { execFileSync(cmd, args, { stdio: "ignore" }); return true; } catch { return false; }
}
// `make deps` installs nasm and binutils; without them these tests fail, loudly.
describe("NASM-built guests", () => {
  it("has nasm, ld and nm", () => {
    for (const [cmd, args] of [["nasm", ["-v"]], ["ld", ["-v"]], ["nm", ["--version"]]] as const) {
      expect(tool(cmd, [...args]), `${cmd} is missing: run make deps`).toBe(true);
    }
  });

  const run = (dir: string, cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: "pipe" });
  let startSym = "";
  function build(files: Record<string, string>, steps: Array<[string, string[]]>, out: string): Uint8Array {
    const dir = mkdtempSync(join(tmpdir(), "hv-image-"));
    try {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      for (const [cmd, args] of steps) run(dir, cmd, args);
      if (out.endsWith(".elf")) {
        const line = run(dir, "nm", [out]).toString().split("\n").find((l) => / _start$/.test(l))!;
        startSym = "0x" + BigInt("0x" + line.split(" ")[0]).toString(16);
      }
      return new Uint8Array(readFileSync(join(dir, out)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const script = `ENTRY(_start)
SECTIONS { . = 0x100000; .text : { *(.multiboot) *(.text) } .data : { *(.data) } .bss : { *(.bss) } /DISCARD/ : { *(.note*) *(.comment) } }`;

  it("a multiboot1 ELF32 kernel", () => {
    const asm = `bits 32
section .multiboot
align 4
mb: dd 0x1BADB002, 3, -(0x1BADB002 + 3)
section .text
global _start
_start: mov esp, stack_top
  mov [magic], eax
.h: hlt
  jmp .h
section .data
magic: dd 0
section .bss
resb 8192
stack_top:
`;
    const b = build({ "k.asm": asm, "k.ld": script },
      [["nasm", ["-f", "elf32", "k.asm", "-o", "k.o"]], ["ld", ["-m", "elf_i386", "-T", "k.ld", "-o", "k.elf", "k.o"]]], "k.elf");
    const { rc, img } = parse(b);
    expect(img.error).toBe("");
    expect(rc).toBe(MB1);
    expect(img.format).toBe("elf32");
    expect(img.entry).toBe(startSym);
    expect(BigInt(startSym)).toBeGreaterThan(0x100000n);
    expect(img.mbHeaderOffset).toBeGreaterThan(0);
    expect(img.mbHeaderOffset).toBeLessThan(8192);
    const last = img.segments[img.segments.length - 1];
    expect(BigInt(last.memSize) - BigInt(last.fileSize)).toBeGreaterThanOrEqual(8192n); // the bss
  });

  it("a multiboot2 ELF64 kernel", () => {
    const asm = `bits 32
section .multiboot
align 8
mb: dd 0xE85250D6, 0, mb_end - mb, -(0xE85250D6 + (mb_end - mb))
  dw 1, 0
  dd 16
  dd 1, 6
  dw 0, 0
  dd 8
mb_end:
section .text
global _start
_start: hlt
  jmp _start
`;
    const b = build({ "k.asm": asm, "k.ld": script },
      [["nasm", ["-f", "elf64", "k.asm", "-o", "k.o"]], ["ld", ["-m", "elf_x86_64", "-T", "k.ld", "-o", "k.elf", "k.o"]]], "k.elf");
    const { rc, img } = parse(b);
    expect(img.error).toBe("");
    expect(rc).toBe(MB2);
    expect(img.format).toBe("elf64");
    expect(img.entry).toBe(startSym);
  });

  it("a multiboot1 a.out-kludge flat binary", () => {
    const asm = `bits 32
org 0x100000
hdr: dd 0x1BADB002, 0x10002, -(0x1BADB002 + 0x10002)
  dd hdr, hdr, load_end, bss_end, entry
entry: hlt
  jmp entry
  align 16
load_end:
bss_end equ load_end + 0x2000
`;
    const b = build({ "k.asm": asm }, [["nasm", ["-f", "bin", "k.asm", "-o", "k.bin"]]], "k.bin");
    const { rc, img } = parse(b);
    expect(img.error).toBe("");
    expect(rc).toBe(MB1);
    expect(img.entry).toBe("0x100020");
    expect(img.segments).toEqual([seg(0, b.length, 0x100000, b.length + 0x2000)]);
  });

  it("a real-mode boot sector and a 64-bit flat binary", () => {
    const boot = `bits 16
org 0x7c00
  cli
  xor ax, ax
  mov ds, ax
.h: hlt
  jmp .h
times 510 - ($ - $$) db 0
dw 0xaa55
`;
    const b = build({ "b.asm": boot }, [["nasm", ["-f", "bin", "b.asm", "-o", "b.bin"]]], "b.bin");
    expect(b.length).toBe(512);
    expect(parse(b).img.error).toMatch(/use kind=flat64 or kind=realmode/);
    expect(parse(b, REALMODE)).toMatchObject({ rc: REAL, img: { entry: "0x7c00", realCs: "0x0", realIp: "0x7c00", segments: [seg(0, 512, 0x7c00, 512)] } });
    const flat = `bits 64
org 0x100000
  mov rax, 0x1234
.h: hlt
  jmp .h
`;
    const f = build({ "f.asm": flat }, [["nasm", ["-f", "bin", "f.asm", "-o", "f.bin"]]], "f.bin");
    expect(parse(f, FLAT64)).toMatchObject({ rc: LONG64, img: { entry: "0x100000", segments: [seg(0, f.length, 0x100000, f.length)] } });
  });
});
