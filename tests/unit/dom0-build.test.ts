// Domain 0's domain builder (dom0/build.ts) through `create`, on its wasm
// against the simulated hypervisor: what it loads and how it enters each kind
// of image (ELF32 multiboot1, ELF64, flat64, real mode), and corrupt or
// unfit images refused with the module and the problem named before anything
// is created. The image parser itself (src/domain/image.ts) has its own
// tests in image.test.ts; these are Domain 0's path around it.
import { describe, expect, it } from "vitest";
import { Dom0, HC, STATE, type SimModule } from "../sim/dom0";
import { elf, elf32 } from "./dom0-elf";
import { bzImage, MiB, CMD_LINE_PTR, RAMDISK_IMAGE, RAMDISK_SIZE, TYPE_OF_LOADER, ACPI_RSDP_ADDR, E820_ENTRIES, CMDLINE_SIZE } from "./bzimage-make";

const MB1_MAGIC = 0x2badb002n, MB2_MAGIC = 0x36d76289n;
const MODE_REAL = 0, MODE_PROTECTED32 = 1, MODE_LONG64 = 2;
const FLAG_BUILDER_TABLES = 1;
const BOOTINFO_GPA = 0x8000n, STACK_TOP = 0x80000n;
const COUNTER = elf32({ entry: 0x10000c, paddr: 0x100000, code: 64, bss: 0x1000 });
const CHANGING = new Set([HC.DOMAIN_CREATE, HC.DOMAIN_LOAD, HC.VCPU_SET_ENTRY, HC.DOMAIN_START, HC.DOMAIN_DESTROY]);

function world(modules: SimModule[], o: { memFreeKiB?: number; heapFull?: boolean } = {}) {
  const d = new Dom0({ modules, ...o });
  d.exports.domainsFindSelf(d.str("dom0"));
  d.start();
  return d;
}

function entry(d: Dom0, id: number) {
  const v = new DataView(d.byId(id)!.entry!.buffer);
  return {
    mode: v.getUint32(0, true), flags: v.getUint32(4, true), rip: v.getBigUint64(8, true),
    rsp: v.getBigUint64(16, true), rax: v.getBigUint64(24, true), rbx: v.getBigUint64(32, true),
    rdi: v.getBigUint64(40, true), realCs: v.getUint32(68, true), rsi: v.getBigUint64(72, true),
  };
}

describe("images Domain 0 builds", () => {
  it("ELF32 with a multiboot1 header: its segment, multiboot1 information, 32-bit entry", () => {
    const d = world([{ cmdline: "/boot/k.elf", bytes: COUNTER }]);
    expect(d.run("create k.elf name=k memory=4 cmdline=\"a b\"")).toContain("created domain 2 (k)\n");
    const dom = d.byId(2)!;
    expect(dom.config).toBe("domain a b name=k mem=4M");
    expect(dom.loads.map((l) => l.dst)).toEqual([0x100000n, BOOTINFO_GPA]);
    expect(dom.loads[0].bytes).toEqual(COUNTER.subarray(0x100, 0x140));
    // Multiboot1 information: flags, mem_upper (4 MiB - 1 MiB), the command line.
    const mbi = Buffer.from(dom.loads[1].bytes);
    expect(mbi.readUInt32LE(8)).toBe(3 * 1024);
    const cmdline = mbi.readUInt32LE(16) - Number(BOOTINFO_GPA);
    expect(mbi.toString("latin1", cmdline, mbi.indexOf(0, cmdline))).toBe("a b name=k mem=4M");
    expect(entry(d, 2)).toMatchObject({ mode: MODE_PROTECTED32, rip: 0x10000cn, rax: MB1_MAGIC, rbx: BOOTINFO_GPA });
    expect(dom.state).toBe(STATE.RUNNABLE);
  });

  it("ELF64 without a multiboot header: 64-bit entry on the hypervisor's identity map", () => {
    const d = world([{ cmdline: "/boot/k64.elf", bytes: elf({ cls: 64, entry: 0x200000, paddr: 0x200000, code: 32 }) }]);
    expect(d.run("create k64.elf name=k64 memory=4")).toContain("created domain 2 (k64)\n");
    expect(d.byId(2)!.loads.map((l) => [l.dst, l.bytes.length])).toEqual([[0x200000n, 32], [BOOTINFO_GPA, expect.any(Number)]]);
    expect(entry(d, 2)).toMatchObject({
      mode: MODE_LONG64, flags: FLAG_BUILDER_TABLES, rip: 0x200000n, rsp: STACK_TOP, rax: MB2_MAGIC,
      rbx: BOOTINFO_GPA, rdi: BOOTINFO_GPA,
    });
  });

  it("flat binaries with kind: flat64 at 1 MiB in 64-bit mode, realmode at 0:7c00", () => {
    const flat = Uint8Array.from({ length: 100 }, (_, i) => i);
    const d = world([{ cmdline: "/boot/flat.bin", bytes: flat }]);
    expect(d.run("create flat.bin name=f memory=2 kind=flat64")).toContain("created domain 2 (f)\n");
    expect(d.byId(2)!.loads[0]).toEqual({ dst: 0x100000n, bytes: flat });
    expect(entry(d, 2)).toMatchObject({ mode: MODE_LONG64, rip: 0x100000n });
    expect(d.run("create flat.bin name=r memory=1 kind=realmode")).toContain("created domain 3 (r)\n");
    expect(d.byId(3)!.loads).toEqual([{ dst: 0x7c00n, bytes: flat }]); // no boot information
    expect(entry(d, 3)).toMatchObject({ mode: MODE_REAL, rip: 0x7c00n, realCs: 0 });
  });

  it("a domain module is built from its own line, as at boot", () => {
    const d = world([{ cmdline: "domain name=web mem=2M start=dom0 quiet", bytes: COUNTER }]);
    expect(d.run("create web")).toContain("created domain 2 (web)\n");
    expect(d.byId(2)!.config).toBe("domain name=web mem=2M start=dom0 quiet");
  });
});

describe("Linux bzImages", () => {
  // 200 KiB of kernel: more than one 64 KiB piece, streamed from the module.
  const KERNEL = bzImage({ kernel: 200 * 1024, initSize: 8 * MiB });
  const INITRD = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff);
  const join = (loads: Array<{ dst: bigint; bytes: Uint8Array }>, from: bigint, size: number) => {
    const out = new Uint8Array(size);
    for (const l of loads) {
      const at = Number(l.dst - from);
      const skip = Math.max(0, -at);
      if (at < size && skip < l.bytes.length) out.set(l.bytes.subarray(skip, skip + size - Math.max(at, 0)), Math.max(at, 0));
    }
    return out;
  };

  it("the kernel at pref_address, the initrd at the top, the zero page and command line, the 64-bit entry", () => {
    const d = world([
      { cmdline: "/boot/vmlinuz", bytes: KERNEL },
      { cmdline: "/boot/initrd.img", bytes: INITRD },
      { cmdline: "/boot/linux.cfg", bytes: Buffer.from('name = "lx"\nmemory = 64\nkernel = "vmlinuz"\nramdisk = "initrd.img"\ncmdline = "console=ttyS0 quiet"\n') },
    ]);
    expect(d.run("create linux.cfg")).toContain("created domain 2 (lx)\n");
    const dom = d.byId(2)!;
    expect(dom.config).toBe("domain console=ttyS0 quiet name=lx mem=64M");
    expect([dom.image, dom.initrd]).toEqual([1n, 2n]);   // a restart loads both again
    expect(dom.loads.every((l) => l.bytes.length <= 65536)).toBe(true);
    expect(join(dom.loads, 0x1000000n, 200 * 1024)).toEqual(KERNEL.subarray(28 * 512));
    const rdAt = (64n * BigInt(MiB) - BigInt(INITRD.length)) & ~0xfffn;
    expect(join(dom.loads, rdAt, INITRD.length)).toEqual(INITRD);
    const zp = Buffer.from(join(dom.loads, BOOTINFO_GPA, 4096));
    expect(zp.readUInt32LE(0x202)).toBe(0x53726448);           // the setup header copied
    expect(zp[TYPE_OF_LOADER]).toBe(0xff);
    expect(BigInt(zp.readUInt32LE(RAMDISK_IMAGE))).toBe(rdAt);
    expect(zp.readUInt32LE(RAMDISK_SIZE)).toBe(INITRD.length);
    expect(zp.readBigUInt64LE(ACPI_RSDP_ADDR)).toBe(0xe0000n);
    expect(zp[E820_ENTRIES]).toBe(3);
    const cmdline = zp.readUInt32LE(CMD_LINE_PTR);
    expect(cmdline).toBe(Number(BOOTINFO_GPA) + 4096);
    // The hypervisor's words are not the kernel's.
    const line = Buffer.from(join(dom.loads, BigInt(cmdline), 64));
    expect(line.toString("latin1", 0, line.indexOf(0))).toBe("console=ttyS0 quiet");
    expect(entry(d, 2)).toMatchObject({ mode: MODE_LONG64, flags: FLAG_BUILDER_TABLES, rip: 0x1000200n, rsi: BOOTINFO_GPA });
  });

  it("a bad kernel, an initrd that does not fit, too little memory: one line each, nothing created", () => {
    const short = Uint8Array.from(KERNEL);
    new DataView(short.buffer).setUint32(CMDLINE_SIZE, 8, true);     // takes 8 bytes of command line
    const d = world([
      { cmdline: "/boot/vmlinuz", bytes: KERNEL },
      { cmdline: "/boot/truncated", bytes: KERNEL.subarray(0, 100 * 1024) },
      { cmdline: "/boot/old", bytes: bzImage({ version: 0x020a }) },
      { cmdline: "/boot/nomagic", bytes: bzImage({ flag: 0x1234 }) },
      { cmdline: "/boot/big.img", bytes: new Uint8Array(12 * MiB) },
      { cmdline: "/boot/counter.elf", bytes: COUNTER },
      { cmdline: "/boot/short", bytes: short },
    ]);
    const cases: Array<[string, string]> = [
      ["create name=a memory=16 kernel=vmlinuz",
        "module 0 (vmlinuz): bzImage: the kernel needs 24 MiB of memory (to 0x1800000), the domain has 16 MiB"],
      ["create name=b memory=64 kernel=truncated",
        "module 1 (truncated): bzImage: truncated: the kernel needs 219136 bytes, the file has 102400"],
      ["create name=c memory=64 kernel=old", "module 2 (old): bzImage: boot protocol 2.10 is older than 2.12: no 64-bit entry"],
      ["create name=d memory=64 kernel=nomagic", "module 3 (nomagic): bzImage: not a bzImage: no 0xAA55 boot flag at 0x1fe"],
      ["create name=e memory=32 kernel=vmlinuz ramdisk=big.img",
        "ramdisk big.img: the initrd (12582912 bytes) does not fit between the kernel's end (0x1800000) and 0x2000000: give the domain 36 MiB or more"],
      ["create name=f memory=4 kernel=counter.elf ramdisk=big.img",
        "ramdisk big.img: an initrd is for a Linux kernel, counter.elf is elf32"],
      ["create name=g memory=64 kernel=vmlinuz ramdisk=nothing", 'ramdisk: no boot module "nothing" (modules lists them)'],
      ["create name=h memory=64 kernel=short cmdline=console=ttyS0",
        "module 6 (short): the command line is longer than the kernel takes (its cmdline_size)"],
    ];
    for (const [line, error] of cases) expect(d.run(line), line).toBe(`${line}\ncreate: ${error}\ndom0# `);
    expect(d.domains).toHaveLength(1);
    expect(d.calls.filter((c) => CHANGING.has(c.nr) && c.rc >= 0n)).toEqual([]);
  });
});

describe("images and configs Domain 0 refuses", () => {
  it("-ENOMEM with memory free for guests: the hypervisor's own room is used up, and dmesg says why", () => {
    const d = world([{ cmdline: "/boot/guests/counter.elf", bytes: COUNTER }], { heapFull: true });
    const line = "create name=c memory=2 kernel=counter.elf";
    expect(d.run(line)).toBe(`${line}\ncreate: the hypervisor has no room for another domain (400 MiB free for guests; dmesg says why)\ndom0# `);
    expect(d.domains).toHaveLength(1);
  });

  it("corrupt images and unfit requests name the problem; nothing is created", () => {
    const d = world([
      { cmdline: "/boot/guests/counter.elf", bytes: COUNTER },
      { cmdline: "/boot/truncated.elf", bytes: COUNTER.subarray(0, 40) },
      { cmdline: "/boot/phoff.elf", bytes: elf32({ entry: 0x10000c, paddr: 0x100000, code: 64, phoff: 0x7fffff00 }) },
      { cmdline: "/boot/outside.elf", bytes: elf32({ entry: 0x4000000c, paddr: 0x40000000, code: 64 }) },
      { cmdline: "/boot/random.bin", bytes: Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff) },
      { cmdline: "/boot/empty.elf", bytes: new Uint8Array(0) },
      { cmdline: "/boot/huge.bin", bytes: new Uint8Array((8 << 20) + 1) },
      { cmdline: "/boot/big.bin", bytes: new Uint8Array(0xa0000) },
      { cmdline: "/boot/long.cfg", bytes: Buffer.from(`memory = 2\nkernel = "counter.elf"\ncmdline = "${"x".repeat(1020)}"\n`) },
    ]);
    const cases: Array<[string, string]> = [
      ["create name=big memory=1024 kernel=counter.elf", "not enough memory for 1024 MiB: 400 MiB free"],
      ["create name=t memory=2 kernel=truncated.elf", "module 1 (truncated.elf): ELF: file is 40 bytes, shorter than the ELF32 header (52)"],
      ["create name=p memory=2 kernel=phoff.elf",
        "module 2 (phoff.elf): ELF: program headers (offset 0x7fffff00, 1 x 32 bytes) run past the end of the file (0x140 bytes)"],
      ["create name=o memory=2 kernel=outside.elf",
        "module 3 (outside.elf): ELF: program header 0 (PT_LOAD at p_paddr) (0x40000000-0x40000040) is outside guest memory (0x200000 bytes)"],
      ["create name=r memory=2 kernel=random.bin",
        "module 4 (random.bin): not an ELF file and no multiboot header: use kind=flat64 or kind=realmode for a flat binary"],
      ["create name=e memory=2 kernel=empty.elf", "module 5 (empty.elf): image size 0 bytes not in 1 byte .. 8 MiB"],
      ["create name=h memory=64 kernel=huge.bin kind=flat64", "module 6 (huge.bin): image size 8388609 bytes not in 1 byte .. 8 MiB"],
      ["create name=b memory=2 kernel=big.bin kind=realmode",
        "module 7 (big.bin): realmode image (0x7c00-0xa7c00) does not fit below 0x9fc00"],
      ["create long.cfg", "config longer than 1024 bytes"],
    ];
    for (const [line, error] of cases) expect(d.run(line), line).toBe(`${line}\ncreate: ${error}\ndom0# `);
    expect(d.domains).toHaveLength(1);
    expect(d.memFreeKiB).toBe(400 * 1024);
    expect(d.calls.filter((c) => CHANGING.has(c.nr) && c.rc >= 0n)).toEqual([]);
  });

  it("a step that fails after HC_DOMAIN_CREATE destroys the half-built domain", () => {
    for (const failing of [HC.DOMAIN_LOAD, HC.VCPU_SET_ENTRY, HC.DOMAIN_START]) {
      const d = world([{ cmdline: "/boot/k.elf", bytes: COUNTER }]);
      const real = (d as any).hypercall.bind(d);
      (d as any).hypercall = (nr: number, a: bigint[]) => (nr === failing ? -22n : real(nr, a));
      const out = d.run("create k.elf name=k memory=2");
      expect(out).toMatch(/create: HC_\w+ (of a segment )?failed \(-22 EINVAL\)\n/);
      expect(d.byId(2)!.state).toBe(STATE.STOPPED);
      expect(d.memFreeKiB).toBe(400 * 1024);
      expect(d.run("list")).not.toContain(" k ");
    }
  });
});
