// Boot-information fixtures shaped like what real loaders hand over.
import { expect } from "vitest";
import { Bytes, Machine } from "../sim/machine";
import { SimVmx } from "../sim/vmx";

export const MB2_MAGIC = 0x36d76289;
export const MB1_MAGIC = 0x2badb002;

export interface E820 { base: bigint; length: bigint; type: number }

// QEMU's / Bochs' e820 map for a PC with `ramTop` bytes below 4 GiB (SeaBIOS):
// low RAM up to the EBDA, the EBDA, the BIOS ROM, RAM from 1 MiB, and the
// BIOS flash alias below 4 GiB.
export function pcE820(ramTop: bigint): E820[] {
  return [
    { base: 0x0n, length: 0x9fc00n, type: 1 },
    { base: 0x9fc00n, length: 0x400n, type: 2 },
    { base: 0xf0000n, length: 0x10000n, type: 2 },
    { base: 0x100000n, length: ramTop - 0x100000n, type: 1 },
    { base: 0xfffc0000n, length: 0x40000n, type: 2 },
  ];
}

// Multiboot2 tags in GRUB's order (grub-core/loader/multiboot_mbi2.c).
export class Mb2Builder {
  private tags: Bytes[] = [];
  tag(type: number, payload: Bytes): this {
    const t = new Bytes().u32(type).u32(8 + payload.length).raw(payload.bytes);
    this.tags.push(t);
    return this;
  }
  cmdline(s: string): this { return this.tag(1, new Bytes().str(s)); }
  loaderName(s: string): this { return this.tag(2, new Bytes().str(s)); }
  module(start: number, end: number, cmdline: string): this {
    return this.tag(3, new Bytes().u32(start).u32(end).str(cmdline));
  }
  basicMeminfo(lowerKiB: number, upperKiB: number): this { return this.tag(4, new Bytes().u32(lowerKiB).u32(upperKiB)); }
  mmap(entries: E820[], entrySize = 24): this {
    const p = new Bytes().u32(entrySize).u32(0);
    for (const e of entries) {
      p.u64(e.base).u64(e.length).u32(e.type).u32(0).zeros(entrySize - 24);
    }
    return this.tag(6, p);
  }
  // An ACPI 2.0 RSDP as SeaBIOS builds it (checksums not checked here).
  acpiNew(xsdt = 0x7fe1000n): this {
    const p = new Bytes().str("RSD PTR ", false).u8(0).str("BOCHS ", false).u8(2)
      .u32(0x7fe0000).u32(36).u64(xsdt).u8(0).zeros(3);
    return this.tag(15, p);
  }
  acpiOld(): this {
    return this.tag(14, new Bytes().str("RSD PTR ", false).u8(0).str("BOCHS ", false).u8(0).u32(0x7fe0000));
  }
  end(): this { return this.tag(0, new Bytes()); }
  // The info block: total_size, reserved, 8-byte-aligned tags.
  build(): Bytes {
    const body = new Bytes();
    for (const t of this.tags) body.raw(t.bytes).pad(8);
    return new Bytes().u32(8 + body.length).u32(0).raw(body.bytes);
  }
}

export const RAM_TOP = 0x8000000n; // 128 MiB
export const MOD0 = { start: 0x1000000, end: 0x1023456, cmdline: "dom0.elf console=com1" };
export const MOD1 = { start: 0x1024000, end: 0x1030000, cmdline: "guest.elf name=test1" };

// What GRUB 2 passes for `multiboot2 /boot/hv.elf loglevel=3 nosmp` with two
// `module2` lines on a 128 MiB QEMU/Bochs PC.
export function grubMb2(): Mb2Builder {
  return new Mb2Builder()
    .cmdline("/boot/hv.elf loglevel=3 nosmp")
    .loaderName("GRUB 2.06-13+deb12u1")
    .module(MOD0.start, MOD0.end, MOD0.cmdline)
    .module(MOD1.start, MOD1.end, MOD1.cmdline)
    .basicMeminfo(639, Number((RAM_TOP - 0x100000n) >> 10n))
    .tag(5, new Bytes().u32(0xe0).u32(0xffffffff).u32(0xffffffff)) // boot device
    .mmap(pcE820(RAM_TOP))
    .acpiNew()
    .end();
}

// The VMX capability MSRs and CPUID leaves of the simulated VT-x CPU the
// hypercall and event tests run on.
export const VMX_MSRS: Record<number, bigint> = {
  0x3a: 0x5n,
  0x480: 0xda040000000004n, 0x481: 0x7f00000016n, 0x482: 0xfff9fffe0401e172n,
  0x483: 0x1ffffff00036dffn, 0x484: 0x3ffff000011ffn, 0x485: 0x7004c1e7n,
  0x486: 0x80000021n, 0x487: 0xffffffffn, 0x488: 0x2000n, 0x489: 0x3727ffn, 0x48a: 0x2en,
  0x48b: 0x5fbcff00000000n, 0x48c: 0xf0106734141n, 0x48d: 0x7f00000016n,
  0x48e: 0xfff9fffe04006172n, 0x48f: 0x1ffffff00036dfbn, 0x490: 0x3ffff000011fbn, 0x491: 0x1n,
  0x277: 0x0007040600070406n,
  0xc0000080: 0xd01n,
};
export const CPUID: Record<string, [number, number, number, number]> = {
  "0": [0x16, 0x756e6547, 0x6c65746e, 0x49656e69],
  "1": [0x000906ea, 0x03100800, 0x7ffafbbf, 0xbfebfbff],
  "7": [0, 0x029c6fbf, 0, 0x9c000400],
  "0xa": [0x07300404, 0, 0, 0x603],
  "0xd": [0x7, 0x340, 0x340, 0],
};

// The compiled hypervisor on a simulated VT-x CPU with VMX on, frames for
// domains in [framesBase, framesBase + framesLen) (by default below its
// static data and heap, HV_WASM_BASE, as on the real machine), a boot
// hand-off block and a flat64 test image (cpuid; out 0xf4, al; jmp $).
// create builds a domain from that image as the boot path does.
export const HANDOFF = 0x3000, IMAGE = 0x20000;
export const IMAGE_BYTES = Uint8Array.from([0x0f, 0xa2, 0xf4, 0xeb, 0xfd]);
export function vmxMachine(framesBase = 0x100000n, framesLen = 0x2f0000n) {
  const m = new Machine({ vmx: true, cpuid: CPUID, msrs: VMX_MSRS });
  const e = m.exports;
  const need = Number(framesBase + framesLen);
  if (m.memory.buffer.byteLength < need) m.memory.grow(Math.ceil((need - m.memory.buffer.byteLength) / 65536));
  e.framesInitRange(framesBase, framesLen);
  expect(e.vmxProbe()).toBe(0);
  e.vmxEnable();
  for (let i = 0; i < 8; i++) m.view.setBigUint64(HANDOFF + 8 * i, BigInt(0x110000 + i * 0x1000), true);
  m.write(IMAGE, IMAGE_BYTES);
  const create = (name: string, extra = "", mem = "1152K"): number => {
    const line = m.newString(`/boot/t.bin domain name=${name} mem=${mem} kind=flat64 ${extra}`);
    const id = e.testDomainCreate(BigInt(IMAGE), BigInt(IMAGE_BYTES.length), line, HANDOFF);
    if (id === 0) throw new Error(`domain not built: ${m.str("testDomainError")}`);
    return id;
  };
  return { m, e, vmx: m.vmx as SimVmx, create };
}
