// A simulated machine for the compiled microkernel (build/hv-test.wasm, its
// test build: see the Makefile): the wasm's own linear memory is physical
// memory, and the "hw" imports (src/arch/hw.ts) act on a port map, an MSR
// map and a CPUID table. Each test builds a fresh Machine; instantiation
// takes a few milliseconds.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SimVmx } from "./vmx";

export const WASM_PATH = fileURLToPath(new URL("../../build/hv-test.wasm", import.meta.url));

let cachedModule: WebAssembly.Module | null = null;
function wasmModule(): WebAssembly.Module {
  if (cachedModule === null) cachedModule = new WebAssembly.Module(readFileSync(WASM_PATH));
  return cachedModule;
}

// Wasm addresses below the AssemblyScript data (HV_WASM_BASE) are free
// scratch for test fixtures.
export const SCRATCH_END = 0x400000;
// The simulated CPU's per-CPU block (PERCPU_* in src/arch/layout.ts), near
// the top of the scratch, below newString's buffer.
export const SIM_PERCPU = 0x3fd000;
const PERCPU_SELF = 0;

const COM1 = 0x3f8;
const UART_LSR_THRE_TEMT = 0x60;

export class GeneralProtection extends Error {}
export class Halted extends Error {}

export type CpuidRegs = [number, number, number, number]; // eax, ebx, ecx, edx

export interface MachineOptions {
  cpuid?: Record<string, CpuidRegs>; // key "leaf" or "leaf:subleaf", numbers in hex or decimal
  msrs?: Record<number, bigint>;
  vmx?: boolean; // simulate the VMX and XSAVE instructions (tests/sim/vmx.ts)
}

export class Machine {
  readonly instance: WebAssembly.Instance;
  readonly exports: any;
  readonly memory: WebAssembly.Memory;
  serial = "";                          // bytes written to COM1's THR
  readonly portWrites: Array<[number, number, number]> = []; // port, value, width
  readonly ports = new Map<number, number>();    // values returned by IN
  readonly msrs = new Map<number, bigint>();     // present MSRs
  readonly msrWrites: Array<[number, bigint]> = [];
  readonly cpuidTable = new Map<string, CpuidRegs>();
  tsc = 0n;
  tscStep = 1000n;   // what each rdtsc adds (0: time stands still)
  // Host interrupts: vectors boot/idt.asm's stubs have recorded (irq_take
  // hands them out lowest first), and vectors still pending at the LAPIC
  // (irq_window and idle_wait let them in). onIdle runs in idle_wait, e.g.
  // to raise an interrupt; without one, idle_wait with nothing pending would
  // sleep forever and throws instead.
  readonly irqRecorded = new Set<number>();
  readonly lapicPending = new Set<number>();
  idleWaits = 0;
  irqWindows = 0;
  onIdle: (() => void) | null = null;
  cr0 = 0x80050033n; // PG, AM, WP, NE, ET, MP, PE
  cr4 = 0x20n;       // PAE
  cr3 = 0x1000n;
  readonly vmx: SimVmx | null;

  constructor(opts: MachineOptions = {}) {
    for (const [k, v] of Object.entries(opts.cpuid ?? {})) this.setCpuid(k, v);
    for (const [k, v] of Object.entries(opts.msrs ?? {})) this.msrs.set(Number(k), v);
    this.vmx = opts.vmx ? new SimVmx(() => this.memory.buffer) : null;
    const hw = this.imports();
    if (this.vmx !== null) Object.assign(hw, this.vmx.imports());
    this.instance = new WebAssembly.Instance(wasmModule(), { hw: this.withUnsimulated(hw) });
    this.exports = this.instance.exports;
    this.memory = this.exports.memory as WebAssembly.Memory;
    // One CPU, index 0: its per-CPU block knows its own address, as
    // boot/entry.asm leaves the boot CPU's.
    this.fill(SIM_PERCPU, 0x1000);
    this.view.setBigUint64(SIM_PERCPU + PERCPU_SELF, BigInt(SIM_PERCPU), true);
  }

  setCpuid(key: string | number, regs: CpuidRegs): void {
    const [leaf, sub] = String(key).split(":").map((s) => Number(s));
    this.cpuidTable.set(`${leaf >>> 0}:${(sub ?? 0) >>> 0}`, regs);
  }

  // Every "hw" import the wasm declares but this machine does not simulate
  // throws when called, so a test that reaches one fails and names it.
  private withUnsimulated(sim: Record<string, Function>): Record<string, Function> {
    for (const imp of WebAssembly.Module.imports(wasmModule())) {
      if (imp.module === "hw" && !(imp.name in sim)) {
        sim[imp.name] = () => { throw new Error(`hw.${imp.name} is not simulated`); };
      }
    }
    return sim;
  }

  private imports(): Record<string, Function> {
    const outPort = (port: number, value: number, width: number) => {
      this.portWrites.push([port, value, width]);
      if (port === COM1 && width === 1) this.serial += String.fromCharCode(value);
    };
    const inPort = (port: number, mask: number) => {
      if (port === COM1 + 5) return UART_LSR_THRE_TEMT;
      return (this.ports.get(port) ?? mask) & mask; // a floating bus reads all ones
    };
    return {
      inb: (port: number) => inPort(port, 0xff),
      inw: (port: number) => inPort(port, 0xffff),
      inl: (port: number) => inPort(port, 0xffffffff) >>> 0,
      outb: (port: number, v: number) => outPort(port, v & 0xff, 1),
      outw: (port: number, v: number) => outPort(port, v & 0xffff, 2),
      outl: (port: number, v: number) => outPort(port, v >>> 0, 4),
      rdmsr: (msr: number) => {
        const v = this.msrs.get(msr >>> 0);
        if (v === undefined) throw new GeneralProtection(`#GP: rdmsr of absent MSR 0x${(msr >>> 0).toString(16)}`);
        return BigInt.asIntN(64, v);
      },
      wrmsr: (msr: number, value: bigint) => {
        const v = BigInt.asUintN(64, value);
        this.msrWrites.push([msr >>> 0, v]);
        this.msrs.set(msr >>> 0, v);
      },
      cpuid: (leaf: number, subleaf: number, out: number) => {
        const regs = this.cpuidTable.get(`${leaf >>> 0}:${subleaf >>> 0}`) ??
          this.cpuidTable.get(`${leaf >>> 0}:0`) ?? [0, 0, 0, 0];
        const v = new DataView(this.memory.buffer);
        regs.forEach((r, i) => v.setUint32(out + 4 * i, r >>> 0, true));
      },
      rdtsc: () => {
        this.tsc += this.tscStep;
        return this.tsc;
      },
      read_cr0: () => this.cr0,
      write_cr0: (v: bigint) => {
        this.cr0 = BigInt.asUintN(64, v);
      },
      read_cr3: () => this.cr3,
      read_cr4: () => this.cr4,
      write_cr4: (v: bigint) => {
        this.cr4 = BigInt.asUintN(64, v);
      },
      halt_forever: () => {
        throw new Halted("halted");
      },
      // One CPU, no other to share the big lock with.
      this_cpu: () => SIM_PERCPU,
      cpu_index: () => 0,
      lock_yield: () => {},
      cpu_relax: () => {},
      cmpxchg32: (addr: number, expected: number, value: number) => {
        const v = new DataView(this.memory.buffer);
        const old = v.getUint32(addr, true);
        if (old === expected >>> 0) v.setUint32(addr, value >>> 0, true);
        return old;
      },
      idle_wait: () => {
        this.idleWaits++;
        if (this.lapicPending.size === 0) this.onIdle?.();
        if (this.lapicPending.size === 0) throw new Halted("idle_wait with no interrupt to wake it");
        this.takeLapicPending();
      },
      irq_window: () => {
        this.irqWindows++;
        this.takeLapicPending();
      },
      irq_take: () => {
        if (this.irqRecorded.size === 0) return -1;
        const v = Math.min(...this.irqRecorded);
        this.irqRecorded.delete(v);
        return v;
      },
      copy_qwords: (dst: number, src: number, n: number) => {
        const b = new Uint8Array(this.memory.buffer);
        b.copyWithin(dst, src, src + n * 8);
      },
      zero_qwords: (dst: number, n: number) => {
        new Uint8Array(this.memory.buffer).fill(0, dst, dst + n * 8);
      },
      locked_or64: (addr: number, bits: bigint) => {
        const v = new DataView(this.memory.buffer);
        v.setBigUint64(addr, v.getBigUint64(addr, true) | BigInt.asUintN(64, bits), true);
      },
      triple_fault: () => {
        throw new Halted("triple fault");
      },
    };
  }

  // The interrupts pending at the LAPIC go through the host IDT's stubs.
  private takeLapicPending(): void {
    for (const v of this.lapicPending) this.irqRecorded.add(v);
    this.lapicPending.clear();
  }

  // ── Physical memory ────────────────────────────────────────────────────
  get bytes(): Uint8Array { return new Uint8Array(this.memory.buffer); }
  get view(): DataView { return new DataView(this.memory.buffer); }
  write(addr: number, data: Uint8Array): void { this.bytes.set(data, addr); }
  fill(addr: number, len: number, value = 0): void { this.bytes.fill(value, addr, addr + len); }

  // ── AssemblyScript strings ─────────────────────────────────────────────
  // A string is a pointer to UTF-16LE units; its byte length is the u32 at
  // ptr - 4 (the stub runtime's object header). 0 is null.
  readString(ptr: number): string | null {
    if (ptr === 0) return null;
    const bytes = new DataView(this.memory.buffer).getUint32(ptr - 4, true);
    return Buffer.from(this.memory.buffer, ptr, bytes).toString("utf16le");
  }
  // A new AssemblyScript string (ASCII/Latin-1) built by the wasm itself.
  newString(s: string): number {
    const tmp = 0x3ff000; // top of the scratch area, below HV_WASM_BASE
    const b = Buffer.from(s, "latin1");
    if (b.length > 0x1000) throw new Error("newString: too long");
    this.write(tmp, b);
    return this.exports.bytesToString(tmp, b.length) >>> 0;
  }
  // Calls an export returning a string and reads it.
  str(name: string, ...args: unknown[]): string | null {
    return this.readString(this.exports[name](...args) >>> 0);
  }

  // Serial output since the last call.
  takeSerial(): string {
    const s = this.serial;
    this.serial = "";
    return s;
  }
}

// Little-endian byte builder for fixtures.
export class Bytes {
  private buf: number[] = [];
  get length(): number { return this.buf.length; }
  u8(v: number): this { this.buf.push(v & 0xff); return this; }
  u16(v: number): this { return this.u8(v).u8(v >>> 8); }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  u64(v: bigint | number): this {
    const b = BigInt.asUintN(64, BigInt(v));
    return this.u32(Number(b & 0xffffffffn)).u32(Number(b >> 32n));
  }
  str(s: string, nul = true): this {
    for (const c of Buffer.from(s, "latin1")) this.u8(c);
    return nul ? this.u8(0) : this;
  }
  raw(d: ArrayLike<number>): this { for (let i = 0; i < d.length; i++) this.u8(d[i]); return this; }
  pad(align: number): this { while (this.buf.length % align) this.u8(0); return this; }
  zeros(n: number): this { for (let i = 0; i < n; i++) this.u8(0); return this; }
  setU32(off: number, v: number): this {
    for (let i = 0; i < 4; i++) this.buf[off + i] = (v >>> (8 * i)) & 0xff;
    return this;
  }
  get bytes(): Uint8Array { return Uint8Array.from(this.buf); }
}
