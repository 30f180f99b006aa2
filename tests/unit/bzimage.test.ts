// The Linux x86 boot protocol as Domain 0's builder takes a bzImage
// (Documentation/arch/x86/boot.rst; src/domain/bzimage.ts): the setup
// header's checks, where the kernel goes and what it needs, where an initrd
// goes, and the zero page (struct boot_params) its 64-bit entry gets.
// Images are made here, with the fields Debian's 6.1 kernel has.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";
import {
  bzImage, MiB, SETUP_SECTS, SYSSIZE, BOOT_FLAG, JUMP, HEADER, VERSION, TYPE_OF_LOADER, LOADFLAGS, RAMDISK_IMAGE,
  RAMDISK_SIZE, CMD_LINE_PTR, INITRD_ADDR_MAX, KERNEL_ALIGNMENT, XLOADFLAGS, CMDLINE_SIZE, PREF_ADDRESS, INIT_SIZE,
  ACPI_RSDP_ADDR, EXT_RAMDISK_IMAGE, EXT_RAMDISK_SIZE, EXT_CMD_LINE_PTR, E820_ENTRIES, E820_TABLE,
} from "./bzimage-make";

// The pinned Debian kernel the build fetches (the Makefile's LINUX_VERSION).
const DEBIAN_KERNEL = path.join(__dirname, "../../build/linux/vmlinuz");

const IMG = 0x100000, ZP = 0x80000;

function rig() {
  const m = new Machine();
  const e = m.exports;
  const put = (img: Uint8Array): number => (m.write(IMG, img), img.length);
  const parse = (img: Uint8Array, len?: number): any => JSON.parse(m.readString(e.bzParseJson(IMG, BigInt(len ?? put(img))) >>> 0)!);
  return { m, e, put, parse };
}

describe("bzImage: the setup header", () => {
  it("finds the kernel after the setup sectors, at pref_address with init_size, its 64-bit entry 0x200 in", () => {
    const { parse } = rig();
    const img = bzImage();
    expect(parse(img)).toEqual({
      version: 0x020f, headerEnd: 0x26c, kernelOffset: 28 * 512, kernelSize: 64 * 1024, loadAddress: 0x1000000,
      entry: 0x1000200, initSize: 40 * MiB, cmdlineMax: 2047, initrdAddrMax: 0x7fffffff,
    });
    // setup_sects 0 means 4.
    expect(parse(bzImage({ sects: 0 })).kernelOffset).toBe(5 * 512);
  });

  it("refuses what is not a 64-bit bzImage, or not all of one, with the reason", () => {
    const { parse, put } = rig();
    const cases: [Opts | number, RegExp][] = [
      [100, /^not a bzImage: 100 bytes, shorter than a setup header$/],
      [{ magic: 0x12345678 }, /^not a bzImage: no HdrS signature at 0x202$/],
      [{ flag: 0 }, /^not a bzImage: no 0xAA55 boot flag at 0x1fe$/],
      [{ version: 0x020b }, /^boot protocol 2\.11 is older than 2\.12: no 64-bit entry$/],
      [{ version: 0x0204 }, /^boot protocol 2\.04 is older than 2\.12/],
      [{ jump: 0x40 }, /^setup header ends at 0x242, before init_size$/],
      [{ kernel: 0 }, /^no protected-mode kernel \(syssize 0\)$/],
      [{ loadflags: 0 }, /^a zImage \(loaded low\) is not supported$/],
      [{ xloadflags: 0x02 }, /^no 64-bit entry \(xloadflags\)$/],
      [{ align: 0x300000 }, /^kernel_alignment 0x300000 is not a power of two$/],
      [{ pref: 0x1100000n }, /^pref_address 0x1100000 is below 1 MiB or not aligned$/],
      [{ pref: 0x80000n, align: 0x1000 }, /^pref_address 0x80000 is below 1 MiB/],
      [{ initSize: 1000 }, /^init_size 1000 is smaller than the kernel$/],
    ];
    for (const [o, why] of cases) {
      const r = typeof o === "number" ? parse(bzImage().slice(0, o)) : parse(bzImage(o));
      expect(r.error, typeof o === "number" ? `${o} bytes` : Object.keys(o).join(",")).toMatch(why);
    }
    // Truncated anywhere in the kernel: the bytes it needs and has.
    const img = bzImage();
    expect(parse(img, img.length - 1).error).toBe(`truncated: the kernel needs ${img.length} bytes, the file has ${img.length - 1}`);
  });

  it("takes Debian's kernel: protocol 2.15, 64-bit entry at 16 MiB + 0x200, what it needs", () => {
    const { e, m, parse } = rig();
    const file = readFileSync(DEBIAN_KERNEL);
    // The header is all the parser reads: its first 64 KiB, and the file's size.
    const head = new Uint8Array(file.subarray(0, 0x10000));
    m.write(IMG, head);
    const b = parse(head, file.length);
    expect(b.error).toBeUndefined();
    expect(b.version).toBe(0x020f);
    expect(b.kernelOffset).toBe((file[0x1f1] + 1) * 512);
    expect(b.kernelOffset + b.kernelSize).toBeLessThanOrEqual(file.length);
    expect(b.kernelSize).toBeGreaterThan(file.length - b.kernelOffset - 4096);
    expect(b.loadAddress).toBe(0x1000000);
    expect(b.entry).toBe(0x1000200);
    expect(b.initSize).toBeGreaterThan(b.kernelSize);
    expect(b.cmdlineMax).toBe(2047);
    const fits = (mem: number): string => m.readString(e.bzFits(IMG, BigInt(file.length), BigInt(mem)) >>> 0)!;
    expect(fits(256 * MiB)).toBe("");
    expect(fits(16 * MiB)).toMatch(/^the kernel needs \d+ MiB of memory \(to 0x[0-9a-f]+\), the domain has 16 MiB$/);
    console.log(`Debian's kernel: ${file.length} bytes, kernel ${b.kernelSize} at ${b.kernelOffset}, init_size ${b.initSize}`);
  });

  it("says how much memory the kernel needs, and puts an initrd high, page aligned, clear of the kernel", () => {
    const { e, m, put } = rig();
    const len = BigInt(put(bzImage()));
    const fits = (mem: number): string => m.readString(e.bzFits(IMG, len, BigInt(mem)) >>> 0)!;
    expect(fits(56 * MiB)).toBe("");
    expect(fits(32 * MiB)).toBe("the kernel needs 56 MiB of memory (to 0x3800000), the domain has 32 MiB");
    const at = (mem: number, size: number): bigint => BigInt(e.bzInitrdAt(IMG, len, BigInt(mem), BigInt(size)));
    expect(at(256 * MiB, 5 * MiB + 123)).toBe(BigInt(251 * MiB - 4096));
    expect(at(256 * MiB, 200 * MiB)).toBe(BigInt(56 * MiB));   // just clear of the kernel's init_size
    expect(at(256 * MiB, 200 * MiB + 1)).toBe(0n);
    expect(at(4096 * MiB, 5 * MiB)).toBe(BigInt(0x80000000 - 5 * MiB));   // below initrd_addr_max
    expect(at(256 * MiB, 0)).toBe(0n);
  });
});

describe("bzImage: the zero page", () => {
  it("carries the setup header, the loader's fields and the domain's memory map, nothing else", () => {
    const { e, m, put } = rig();
    const img = bzImage();
    const len = BigInt(put(img));
    m.view.setUint32(ZP + 0x800, 0xdeadbeef, true);        // stale bytes: cleared
    const err = m.readString(e.bzZeroPage(ZP, IMG, len, BigInt(256 * MiB), 0x9fc00n, 0x20000n,
      0x1_2345_6000n, BigInt(5 * MiB), 0xe0000n) >>> 0);
    expect(err).toBe("");
    const v = m.view;
    const u8 = (o: number): number => v.getUint8(ZP + o);
    const u32 = (o: number): number => v.getUint32(ZP + o, true);
    const u64 = (o: number): bigint => v.getBigUint64(ZP + o, true);
    for (let o = SETUP_SECTS; o < 0x26c; o++) {
      if (o === TYPE_OF_LOADER || (o >= RAMDISK_IMAGE && o < RAMDISK_IMAGE + 8) || (o >= CMD_LINE_PTR && o < CMD_LINE_PTR + 4)) continue;
      expect(u8(o), `header byte ${o.toString(16)}`).toBe(img[o]);
    }
    expect(u8(TYPE_OF_LOADER)).toBe(0xff);
    expect(u32(CMD_LINE_PTR)).toBe(0x20000);
    expect(u32(EXT_CMD_LINE_PTR)).toBe(0);
    expect(u32(RAMDISK_IMAGE)).toBe(0x2345_6000);
    expect(u32(EXT_RAMDISK_IMAGE)).toBe(1);
    expect(u32(RAMDISK_SIZE)).toBe(5 * MiB);
    expect(u32(EXT_RAMDISK_SIZE)).toBe(0);
    expect(u64(ACPI_RSDP_ADDR)).toBe(0xe0000n);
    expect(u8(E820_ENTRIES)).toBe(3);
    const e820 = [0, 1, 2].map((i) => [u64(E820_TABLE + 20 * i), u64(E820_TABLE + 20 * i + 8), u32(E820_TABLE + 20 * i + 16)]);
    expect(e820).toEqual([[0n, 0x9fc00n, 1], [0x9fc00n, 0x100000n - 0x9fc00n, 2], [0x100000n, BigInt(255 * MiB), 1]]);
    // Everything else is zero.
    const set = new Set<number>();
    for (const [o, n] of [[ACPI_RSDP_ADDR, 8], [EXT_RAMDISK_IMAGE, 12], [E820_ENTRIES, 1], [SETUP_SECTS, 0x26c - SETUP_SECTS], [E820_TABLE, 60]]) {
      for (let i = 0; i < n; i++) set.add(o + i);
    }
    for (let o = 0; o < 4096; o++) if (!set.has(o)) expect(u8(o), `byte ${o.toString(16)}`).toBe(0);
  });
});
