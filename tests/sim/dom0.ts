// Domain 0's wasm (build/dom0/dom0.wasm) in Node: its "hw" imports
// (dom0/hw.ts) act on a simulated COM1, PCI configuration space, an IDE
// controller (tests/sim/ata.ts) and a simulated hypervisor that answers the
// hypercalls as src/hypercall/ does (records and errnos of src/arch/abi.ts).
// The tests drive the shell by queueing received bytes and raising events,
// and read what it printed.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AtaController } from "./ata";
import { crc32cRaw } from "./crc32c";

export const DOM0_WASM = fileURLToPath(new URL("../../build/dom0/dom0.wasm", import.meta.url));

let cached: WebAssembly.Module | null = null;
function wasmModule(): WebAssembly.Module {
  if (cached === null) cached = new WebAssembly.Module(readFileSync(DOM0_WASM));
  return cached;
}

// The ABI (src/arch/abi.ts).
export const HC = {
  VERSION: 0, CONSOLE_WRITE: 1, YIELD: 2, SHUTDOWN: 3, DOMAIN_LIST: 4, DOMAIN_INFO: 5, DOMAIN_PAUSE: 6,
  DOMAIN_UNPAUSE: 7, DOMAIN_DESTROY: 8, CONSOLE_READ: 9, LOG_READ: 10, MODULE_LIST: 11, MODULE_READ: 12,
  DOMAIN_CREATE: 13, DOMAIN_LOAD: 14, VCPU_SET_ENTRY: 15, DOMAIN_START: 16, EVENT_SETUP: 17,
  CONSOLE_INPUT: 18, HOST_INFO: 19, CPU_INFO: 20, HOST_POWER: 21, VCPU_START: 22, SCHED_GET: 23,
  SCHED_SET: 24, VCPU_INFO: 25, VCPU_PIN: 26, TIMER_SET: 27, DOMAIN_MEM_READ: 28, DOMAIN_MEM_WRITE: 29,
  VCPU_GET: 30, VCPU_SET: 31, DOMAIN_DEDUP: 37, DOMAIN_RIGHTS: 38, DOMAIN_STATE_GET: 39, DOMAIN_STATE_SET: 40, DOMAIN_MEM_PAGES: 41,
};

// A state record framed as src/state/record.ts frames one (domain header
// with its console, vCPU records, device blocks), its contents a pattern
// from `seed`: what HC_DOMAIN_STATE_GET gives for a simulated domain.
export const DOMREC_HEADER = 56 + 16 + 200 + 16384;
const RECORD_VERSION = 2;   // src/state/record.ts
export function stateRecord(memKiB: number, vcpus = 1, devices = [64, 300], vcpuSize = 2048, seed = 1): Uint8Array {
  const size = DOMREC_HEADER + vcpus * vcpuSize + devices.reduce((a, n) => a + 16 + n, 0);
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  const v = new DataView(b.buffer);
  const header = (at: number, magic: number, n: number, index: number) => {
    v.setUint32(at, magic, true); v.setUint32(at + 4, RECORD_VERSION, true); v.setUint32(at + 8, n, true); v.setUint32(at + 12, index, true);
  };
  header(0, 0x4d445354, size, vcpus);
  v.setUint32(16, devices.length, true);
  v.setBigUint64(24, BigInt(memKiB) * 1024n, true);
  let at = DOMREC_HEADER;
  for (let i = 0; i < vcpus; i++, at += vcpuSize) header(at, 0x43565354, vcpuSize, i);
  devices.forEach((n, k) => { v.setUint32(at, 100 + k, true); v.setUint32(at + 4, 1, true); v.setUint32(at + 8, n, true); v.setUint32(at + 12, 0, true); at += 16 + n; });
  return b;
}
export const EPERM = 1, ESRCH = 3, ENOMEM = 12, EFAULT = 14, EBUSY = 16, EINVAL = 22, ENOSYS = 38;
export const EVENT_SERIAL = 1, EVENT_LOG = 2, EVENT_CONSOLE = 4; // bits
const DOMREC_SIZE = 56, DOMINFO_SIZE = 744, MODREC_SIZE = 112, HOSTINFO_SIZE = 88, CPUINFO_SIZE = 32;
export const STATE = { RUNNABLE: 0, BLOCKED: 1, STOPPED: 2, CREATED: 3 };
export const VCPUSTATE = { DOWN: 0, RUNNABLE: 1, RUNNING: 2, BLOCKED: 3 };
const SCHEDREC_SIZE = 24, VCPUINFO_SIZE = 32;
const DOMFLAG_PAUSED = 1, DOMFLAG_CONTROL = 2;
const LOG_RING = 65536, CONSOLE_RING = 16384;

export class Halted extends Error {}

export interface SimDomain {
  id: number;
  name: string;
  state: number;
  memKiB: number;
  vcpus: number;
  paused: boolean;
  control: boolean;
  rights?: number;         // RIGHT_* (default: all for a control domain, none otherwise)
  console: number[];       // every byte ever written (the ring keeps the last CONSOLE_RING)
  input: number[];         // bytes queued by HC_CONSOLE_INPUT
  inputRoom: number;       // how many more its UART's input ring takes
  runTicks: bigint;
  exitCode: number;
  stopCause?: number;      // DOMSTOP_* (DOMINFO_STOP_CAUSE)
  restarts?: number;       // DOMINFO_RESTARTS
  exits: Map<number, bigint>;
  config?: string;         // HC_DOMAIN_CREATE's text
  image?: bigint;          // and its image and initrd modules (1 + index, 0 none)
  initrd?: bigint;
  loads: Array<{ dst: bigint; bytes: Uint8Array }>;
  entry?: Uint8Array;
  weight: number;          // HC_SCHED_GET/SET
  cap: number;
  credit: bigint;
  vcpuInfo: SimVcpu[];     // HC_VCPU_INFO/PIN (made for `vcpus` if not given)
  ram: Map<number, number>; // HC_DOMAIN_MEM_READ/WRITE: bytes by guest-physical address (0 if absent)
  record?: Uint8Array;      // HC_DOMAIN_STATE_GET/SET's state record (stateRecord() makes one)
  regs: bigint[][];        // HC_VCPU_GET/SET: VCPUREG_* per vCPU
}

export interface SimVcpu {
  state: number;           // VCPUSTATE
  cpu: number;             // -1: never ran
  affinity: bigint;
  runTicks: bigint;
}

export interface SimModule {
  cmdline: string;
  bytes: Uint8Array;
}

export interface PciFunction {
  bus: number; dev: number; fn: number;
  vendor: number; device: number; classCode: number; revision?: number;
  multi?: boolean; secondary?: number;
  progIf?: number;         // the programming interface (byte 0x09)
  bars?: number[];         // BAR0..5 (0x10..0x24) of a type 0 header
}

// Bochs' i440FX machine: host bridge, PIIX3 ISA bridge + IDE + ACPI.
export const I440FX: PciFunction[] = [
  { bus: 0, dev: 0, fn: 0, vendor: 0x8086, device: 0x1237, classCode: 0x0600, revision: 2 },
  { bus: 0, dev: 1, fn: 0, vendor: 0x8086, device: 0x7000, classCode: 0x0601, multi: true },
  { bus: 0, dev: 1, fn: 1, vendor: 0x8086, device: 0x7010, classCode: 0x0101, progIf: 0x80 }, // both channels legacy, bus master
  { bus: 0, dev: 1, fn: 3, vendor: 0x8086, device: 0x7113, classCode: 0x0680, revision: 3 },
];

export interface Dom0Options {
  domains?: Array<Partial<SimDomain> & { name: string }>;
  modules?: SimModule[];
  memTotalKiB?: number;
  memFreeKiB?: number;
  /** HC_DOMAIN_CREATE is -ENOMEM whatever memory is free (the hypervisor's heap is used up). */
  heapFull?: boolean;
  events?: boolean;        // HC_EVENT_SETUP works (default true)
  pci?: PciFunction[];
  cpus?: number;
  control?: boolean;       // Domain 0 holds the control right (default true)
  /** The IDE controller (default: one with nothing attached, all its ports read 0xFF). */
  ata?: AtaController;
  /** Ports Domain 0 is given, inclusive ranges (default: all); the others read all ones and ignore writes. */
  ioports?: Array<[number, number]>;
  /** How far the TSC moves at each rdtsc (default 1000): large, a timeout comes after a few polls. */
  tscStep?: bigint;
}

const COM1 = 0x3f8;

export class Dom0 {
  readonly exports: any;
  readonly memory: WebAssembly.Memory;
  serial = "";                              // bytes written to COM1's THR (take() reads them)
  rx: number[] = [];                        // bytes waiting in COM1's receiver
  domains: SimDomain[] = [];
  modules: SimModule[];
  log: number[] = [];                       // the hypervisor log, every byte ever
  memTotalKiB: number;
  memFreeKiB: number;
  wallSecs = 1796083200;                     // HOSTINFO_WALL_SECS: 2026-12-01 00:00 UTC
  heapFull: boolean;
  events: boolean;
  eventPage = 0;
  eventVector = 0;
  pci: PciFunction[];
  cpus: number;
  control: boolean;
  ata: AtaController;
  ioports: Array<[number, number]> | null;
  tscStep: bigint;
  calls: Array<{ nr: number; args: bigint[]; rc: bigint }> = [];
  onHypercall?: (nr: number, args: bigint[]) => void;   // after each call (a test's hook)
  sse42 = true;                             // CPUID's SSE4.2: the CRC32 instruction (hw.crc32c)
  // What happens while Domain 0 sleeps in its main loop: each HLT runs the
  // next step (which raises events with pend()); with none left, the HLT
  // ends the run (Halted).
  script: Array<() => void> = [];
  power: number | null = null;
  private pciAddress = 0;
  private tsc = 0n;
  private uartRegs = new Map<number, number>();

  constructor(o: Dom0Options = {}) {
    this.modules = o.modules ?? [];
    this.memTotalKiB = o.memTotalKiB ?? 512 * 1024;
    this.memFreeKiB = o.memFreeKiB ?? 400 * 1024;
    this.heapFull = o.heapFull ?? false;
    this.events = o.events ?? true;
    this.pci = o.pci ?? I440FX;
    this.cpus = o.cpus ?? 1;
    this.control = o.control ?? true;
    this.ata = o.ata ?? new AtaController();
    this.ioports = o.ioports ?? null;
    this.tscStep = o.tscStep ?? 1000n;
    for (const d of o.domains ?? [{ name: "dom0", memKiB: 16384, control: true }]) this.addDomain(d);
    const instance = new WebAssembly.Instance(wasmModule(), { hw: this.imports() });
    this.exports = instance.exports;
    this.memory = this.exports.memory as WebAssembly.Memory;
  }

  addDomain(d: Partial<SimDomain> & { name: string }): SimDomain {
    const dom: SimDomain = {
      id: this.domains.length + 1, state: STATE.RUNNABLE, memKiB: 2048, vcpus: 1, paused: false, control: false,
      console: [], input: [], inputRoom: 256, runTicks: 0n, exitCode: -1, exits: new Map(), loads: [],
      weight: 256, cap: 0, credit: 0n, vcpuInfo: [], ram: new Map(), regs: [], ...d,
    };
    for (let i = dom.regs.length; i < dom.vcpus; i++) dom.regs.push(Array.from({ length: 24 }, (_, r) => BigInt(r * 0x100 + i)));
    for (let i = dom.vcpuInfo.length; i < dom.vcpus; i++) {
      dom.vcpuInfo.push({ state: VCPUSTATE.RUNNING, cpu: i % this.cpus, affinity: (1n << 64n) - 1n, runTicks: 1000n * BigInt(i + 1) });
    }
    this.domains.push(dom);
    return dom;
  }

  byId(id: bigint | number): SimDomain | undefined {
    return this.domains.find((d) => BigInt(d.id) === BigInt(id));
  }

  logLine(s: string): void {
    for (const c of Buffer.from(s + "\n", "latin1")) this.log.push(c);
  }

  consoleWrite(d: SimDomain, s: string): void {
    for (const c of Buffer.from(s, "latin1")) d.console.push(c);
  }

  // ── Memory and strings ────────────────────────────────────────────────
  get bytes(): Uint8Array { return new Uint8Array(this.memory.buffer); }
  get view(): DataView { return new DataView(this.memory.buffer); }
  readString(ptr: number): string {
    const n = this.view.getUint32(ptr - 4, true);
    return Buffer.from(this.memory.buffer, ptr, n).toString("utf16le");
  }
  // A new AssemblyScript string: Latin-1 bytes at a scratch address below
  // the wasm data (memoryBase 2 MiB), converted by the wasm itself.
  str(s: string): number {
    const b = Buffer.from(s, "latin1");
    if (b.length > 0x10000) throw new Error("str: too long");
    this.bytes.set(b, 0x100000);
    return this.exports.bytesToString(0x100000, b.length) >>> 0;
  }
  call(name: string, ...args: unknown[]): string {
    return this.readString(this.exports[name](...args) >>> 0);
  }
  json(name: string, ...args: unknown[]): any {
    return JSON.parse(this.call(name, ...args));
  }

  // Serial output since the last call, CR LF as LF.
  take(): string {
    const s = this.serial.replace(/\r\n/g, "\n");
    this.serial = "";
    return s;
  }

  // ── The shell ─────────────────────────────────────────────────────────
  // Starts the shell as kmain would after HC_EVENT_SETUP returned `logFrom`.
  start(logFrom = this.log.length): string {
    this.exports.shellStart(BigInt(logFrom));
    return this.take();
  }
  // Types `text`; the bytes arrive as one EVENT_SERIAL. Returns the output.
  type(text: string | number[]): string {
    const bytes = typeof text === "string" ? [...Buffer.from(text, "latin1")] : text;
    this.rx.push(...bytes);
    this.exports.shellEvents(BigInt(EVENT_SERIAL));
    return this.take();
  }
  // Runs a command line as typed and returns what it printed (echo included).
  run(line: string): string {
    return this.type(line + "\r");
  }
  event(bits: number): string {
    this.exports.shellEvents(BigInt(bits));
    return this.take();
  }

  // Raises events: sets bits in the event page (HC_EVENT_SETUP's).
  pend(bits: number): void {
    if (this.eventPage === 0) throw new Error("pend: no event page registered");
    const old = this.view.getBigUint64(this.eventPage, true);
    this.view.setBigUint64(this.eventPage, old | BigInt(bits), true);
  }

  // Runs kmain; returns when Domain 0 halts (the script is used up).
  boot(): string {
    try {
      this.exports.kmain(0);
    } catch (e) {
      if (!(e instanceof Halted)) throw e;
    }
    return this.take();
  }

  // ── The simulated machine ─────────────────────────────────────────────
  private imports(): Record<string, Function> {
    const hw: Record<string, Function> = {
      inb: (port: number) => (this.given(port) ? this.inb(port) : 0xff),
      outb: (port: number, v: number) => { if (this.given(port)) this.outb(port, v & 0xff); },
      inl: (port: number) => (port === 0xcfc && this.given(port) ? this.pciRead() : 0xffffffff) | 0,
      outl: (port: number, v: number) => {
        if (port === 0xcf8 && this.given(port)) this.pciAddress = v >>> 0;
      },
      // rep insw / rep outsw: `count` words between the port and wasm memory at `buf`.
      insw: (port: number, buf: number, count: number) => {
        const v = this.view, p = buf >>> 0, ata = this.given(port) && this.ata.handles(port);
        for (let i = 0; i < count >>> 0; i++) v.setUint16(p + 2 * i, ata ? this.ata.inw(port) : 0xffff, true);
      },
      outsw: (port: number, buf: number, count: number) => {
        const v = this.view, p = buf >>> 0;
        if (!this.given(port) || !this.ata.handles(port)) return;
        for (let i = 0; i < count >>> 0; i++) this.ata.outw(port, v.getUint16(p + 2 * i, true));
      },
      vmcall: (nr: number, a0: bigint, a1: bigint, a2: bigint, a3: bigint) => {
        const args = [a0, a1, a2, a3].map((a) => BigInt.asUintN(64, a));
        const rc = this.hypercall(nr >>> 0, args);
        this.calls.push({ nr: nr >>> 0, args, rc });
        this.onHypercall?.(nr >>> 0, args);
        return rc;
      },
      rdtsc: () => (this.tsc += this.tscStep),
      crc32c: (crc: number, p: number, len: number) => crc32cRaw(crc, this.bytes.subarray(p >>> 0, (p >>> 0) + (len >>> 0))) | 0,
      cpu_has_sse42: () => (this.sse42 ? 1 : 0),
      halt_forever: () => { throw new Halted("halt_forever"); },
      idt_init: (v: number) => { this.eventVector = v; },
      irq_disable: () => {},
      irq_enable: () => {},
      wait_interrupt: () => {
        const step = this.script.shift();
        if (!step) throw new Halted("idle: HLT with nothing left to do");
        step();
      },
      xchg64: (addr: number, v: bigint) => {
        const old = this.view.getBigUint64(addr, true);
        this.view.setBigUint64(addr, BigInt.asUintN(64, v), true);
        return old;
      },
    };
    for (const imp of WebAssembly.Module.imports(wasmModule())) {
      if (imp.module === "hw" && !(imp.name in hw)) hw[imp.name] = () => { throw new Error(`hw.${imp.name} is not simulated`); };
    }
    return hw;
  }

  private given(port: number): boolean {
    return this.ioports === null || this.ioports.some(([from, to]) => port >= from && port <= to);
  }

  private inb(port: number): number {
    if (this.ata.handles(port)) return this.ata.inb(port);
    if (port === COM1 + 5) return 0x60 | (this.rx.length ? 1 : 0); // THRE, TEMT, DR
    if (port === COM1 && !((this.uartRegs.get(COM1 + 3) ?? 0) & 0x80)) return this.rx.shift() ?? 0;
    if (port >= COM1 && port < COM1 + 8) return this.uartRegs.get(port) ?? 0;
    return 0xff;
  }

  private outb(port: number, v: number): void {
    if (this.ata.handles(port)) return this.ata.outb(port, v);
    if (port === COM1 && !((this.uartRegs.get(COM1 + 3) ?? 0) & 0x80)) {
      this.serial += String.fromCharCode(v);
      return;
    }
    this.uartRegs.set(port, v);
  }

  uartReg(off: number): number | undefined { return this.uartRegs.get(COM1 + off); }

  private pciRead(): number {
    const a = this.pciAddress;
    if (!(a & 0x80000000)) return 0xffffffff;
    const bus = (a >> 16) & 0xff, dev = (a >> 11) & 31, fn = (a >> 8) & 7, reg = a & 0xfc;
    const f = this.pci.find((p) => p.bus === bus && p.dev === dev && p.fn === fn);
    if (!f) return 0xffffffff;
    const bridge = f.secondary !== undefined;
    switch (reg) {
      case 0x00: return (f.device << 16) | f.vendor;
      case 0x08: return (f.classCode << 16) | ((f.progIf ?? 0) << 8) | (f.revision ?? 0);
      case 0x0c: return ((f.multi ? 0x80 : 0) | (bridge ? 1 : 0)) << 16;
      case 0x18: return bridge ? (f.secondary! << 8) | bus : (f.bars?.[2] ?? 0);
      case 0x10: case 0x14: case 0x1c: case 0x20: case 0x24:
        return bridge ? 0 : (f.bars?.[(reg - 0x10) >> 2] ?? 0);
      default: return 0;
    }
  }

  // ── The hypercalls ────────────────────────────────────────────────────
  private mem(addr: bigint, len: number): boolean {
    return addr + BigInt(len) <= BigInt(this.memory.buffer.byteLength);
  }

  private hypercall(nr: number, a: bigint[]): bigint {
    const err = (e: number) => BigInt(-e);
    const v = this.view;
    if (nr >= HC.DOMAIN_LIST && !this.control) return err(EPERM);
    switch (nr) {
      case HC.VERSION: return 0x10000n;
      case HC.EVENT_SETUP:
        if (!this.events) return err(ENOSYS);
        this.eventPage = Number(a[0]);
        return BigInt(this.log.length);
      case HC.DOMAIN_LIST: {
        const max = Number(a[1]);
        if (max > 1024) return err(EINVAL);
        if (!this.mem(a[0], max * DOMREC_SIZE)) return err(EFAULT);
        const n = Math.min(max, this.domains.length);
        for (let i = 0; i < n; i++) this.record(Number(a[0]) + i * DOMREC_SIZE, this.domains[i]);
        return BigInt(n);
      }
      case HC.DOMAIN_INFO: {
        const d = this.byId(a[0]);
        if (!d) return err(ESRCH);
        const p = Number(a[1]);
        this.bytes.fill(0, p, p + DOMINFO_SIZE);
        this.record(p, d);
        v.setBigUint64(p + 56, d.runTicks, true);
        v.setInt32(p + 64, d.exitCode, true);
        v.setUint32(p + 68, 80, true);
        for (const [r, n] of d.exits) v.setBigUint64(p + 72 + 8 * r, n, true);
        v.setUint32(p + 712, d.stopCause ?? (d.state === STATE.STOPPED ? 5 : 0), true);
        v.setUint32(p + 716, d.restarts ?? 0, true);
        // Frames: all its own (no snapshots here).
        if (d.state !== STATE.STOPPED) v.setUint32(p + 720, Math.floor(d.memKiB / 4), true);
        v.setUint32(p + 736, d.rights ?? (d.control ? 0x3f : 0), true);
        return 0n;
      }
      case HC.DOMAIN_RIGHTS: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED || d.id === 1) return err(d?.id === 1 ? EPERM : ESRCH);
        if (a[1] > 0x3fn) return err(EINVAL);
        d.rights = Number(a[1]);
        return 0n;
      }
      case HC.DOMAIN_PAUSE:
      case HC.DOMAIN_UNPAUSE:
      case HC.DOMAIN_DESTROY: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED) return err(ESRCH);
        if (d.id === 1 && nr !== HC.DOMAIN_UNPAUSE) return err(EINVAL);
        if (nr === HC.DOMAIN_DESTROY) {
          d.state = STATE.STOPPED;
          this.memFreeKiB += d.memKiB;
          this.logLine(`hv: domain ${d.id} (${d.name}) stopped: destroyed by domain 1`);
        } else d.paused = nr === HC.DOMAIN_PAUSE;
        return 0n;
      }
      case HC.CONSOLE_READ: {
        const d = this.byId(a[0]);
        if (!d) return err(ESRCH);
        return this.ringRead(d.console, CONSOLE_RING, a[1], a[2], a[3]);
      }
      case HC.LOG_READ: return this.ringRead(this.log, LOG_RING, a[0], a[1], a[2]);
      case HC.MODULE_LIST: {
        const max = Number(a[1]);
        if (max > 64) return err(EINVAL);
        const p = Number(a[0]);
        const n = Math.min(max, this.modules.length);
        for (let i = 0; i < n; i++) {
          const r = p + i * MODREC_SIZE;
          const m = this.modules[i];
          this.bytes.fill(0, r, r + MODREC_SIZE);
          v.setUint32(r, i, true);
          v.setUint32(r + 4, m.cmdline.length, true);
          v.setBigUint64(r + 8, BigInt(m.bytes.length), true);
          this.bytes.set(Buffer.from(m.cmdline.slice(0, 95), "latin1"), r + 16);
        }
        return BigInt(n);
      }
      case HC.MODULE_READ: {
        const m = this.modules[Number(a[0])];
        if (!m) return err(ESRCH);
        if (a[3] > 65536n) return err(EINVAL);
        const off = Number(a[1]);
        if (off >= m.bytes.length) return 0n;
        const n = Math.min(Number(a[3]), m.bytes.length - off);
        this.bytes.set(m.bytes.subarray(off, off + n), Number(a[2]));
        return BigInt(n);
      }
      case HC.DOMAIN_CREATE: {
        const text = Buffer.from(this.bytes.subarray(Number(a[0]), Number(a[0] + a[1]))).toString("latin1");
        const words = text.split(/\s+/);
        const di = words.indexOf("domain");
        if (di < 0) return err(EINVAL);
        let name = "", mem = -1;
        for (const w of words.slice(di + 1)) {
          const m = /^(\w+)=(.*)$/.exec(w);
          if (!m) continue;
          if (m[1] === "name") name = m[2];
          if (m[1] === "mem") {
            const s = /^(\d+)([KMG]?)$/i.exec(m[2]);
            if (!s) return err(EINVAL);
            mem = Number(s[1]) * ({ "": 1 / 1024, K: 1, M: 1024, G: 1024 * 1024 } as any)[s[2].toUpperCase()];
          }
        }
        if (mem < 0) return err(EINVAL);
        if (mem > this.memFreeKiB || this.heapFull) return err(ENOMEM);
        this.memFreeKiB -= mem;
        const d = this.addDomain({ name: name || `dom${this.domains.length + 1}`, memKiB: mem, state: STATE.CREATED });
        d.config = text;
        d.image = a[2];
        d.initrd = a[3];
        this.logLine(`hv: domain ${d.id} (${d.name}) created by domain 1: memory ${mem} KiB`);
        return BigInt(d.id);
      }
      case HC.DOMAIN_LOAD: {
        const d = this.byId(a[0]);
        if (!d) return err(ESRCH);
        if (d.state !== STATE.CREATED || a[3] > 65536n) return err(EINVAL);
        if (a[1] + a[3] > BigInt(d.memKiB) * 1024n) return err(EFAULT);
        const bytes = Uint8Array.from(this.bytes.subarray(Number(a[2]), Number(a[2] + a[3])));
        d.loads.push({ dst: a[1], bytes });
        bytes.forEach((x, i) => { if (x !== 0) d.ram.set(Number(a[1]) + i, x); });
        return a[3];
      }
      case HC.VCPU_SET_ENTRY: {
        const d = this.byId(a[0]);
        if (!d) return err(ESRCH);
        if (d.state !== STATE.CREATED) return err(EINVAL);
        d.entry = Uint8Array.from(this.bytes.subarray(Number(a[2]), Number(a[2]) + 80));
        return 0n;
      }
      case HC.DOMAIN_START: {
        const d = this.byId(a[0]);
        if (!d) return err(ESRCH);
        if (d.state !== STATE.CREATED || !d.entry) return err(EINVAL);
        d.state = STATE.RUNNABLE;
        this.logLine(`hv: domain ${d.id} (${d.name}) started by domain 1`);
        return 0n;
      }
      case HC.CONSOLE_INPUT: {
        const d = this.byId(a[0]);
        if (!d) return err(ESRCH);
        if (d.id === 1) return err(EINVAL);
        const n = Math.min(Number(a[2]), d.inputRoom);
        d.input.push(...this.bytes.subarray(Number(a[1]), Number(a[1]) + n));
        d.inputRoom -= n;
        return BigInt(n);
      }
      case HC.HOST_INFO: {
        if (!this.events) return err(ENOSYS);
        const p = Number(a[0]);
        v.setBigUint64(p, BigInt(this.memTotalKiB), true);
        v.setBigUint64(p + 8, BigInt(this.memFreeKiB), true);
        v.setUint32(p + 16, this.cpus, true);
        v.setUint32(p + 20, this.cpus, true);
        v.setBigUint64(p + 24, 123456789n, true);
        v.setUint32(p + 32, this.domains.filter((d) => d.state !== STATE.STOPPED).length, true);
        // The hypervisor's heap: in use, of it the domains' state, free (KiB).
        v.setBigUint64(p + 40, 1536n, true);
        v.setBigUint64(p + 48, 512n, true);
        v.setBigUint64(p + 56, 10240n, true);
        v.setBigUint64(p + 72, BigInt(this.wallSecs), true);
        v.setBigUint64(p + 80, 1000000n, true);   // a 1 GHz TSC
        return 0n;
      }
      case HC.CPU_INFO: {
        if (Number(a[0]) >= this.cpus) return err(EINVAL);
        const p = Number(a[1]);
        v.setUint32(p, Number(a[0]), true);
        v.setUint32(p + 4, Number(a[0]) === 0 ? 3 : 1, true);
        v.setBigUint64(p + 8, 250n, true);
        v.setBigUint64(p + 16, 750n, true);
        v.setUint32(p + 24, 0, true);
        v.setUint32(p + 28, 1, true);
        return 0n;
      }
      case HC.SCHED_GET: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED) return err(ESRCH);
        if (!this.mem(a[1], SCHEDREC_SIZE)) return err(EFAULT);
        const p = Number(a[1]);
        v.setUint32(p, d.weight, true);
        v.setUint32(p + 4, d.cap, true);
        v.setBigInt64(p + 8, d.credit, true);
        v.setBigUint64(p + 16, d.runTicks, true);
        return 0n;
      }
      case HC.SCHED_SET: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED) return err(ESRCH);
        if (a[1] < 1n || a[1] > 65535n || a[2] > BigInt(100 * d.vcpus)) return err(EINVAL);
        d.weight = Number(a[1]);
        d.cap = Number(a[2]);
        return 0n;
      }
      case HC.VCPU_INFO:
      case HC.VCPU_PIN: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED || a[1] >= BigInt(d.vcpus)) return err(ESRCH);
        const c = d.vcpuInfo[Number(a[1])];
        if (nr === HC.VCPU_PIN) {
          if ((a[2] & ((1n << BigInt(this.cpus)) - 1n)) === 0n) return err(EINVAL);
          c.affinity = a[2];
          return 0n;
        }
        if (!this.mem(a[2], VCPUINFO_SIZE)) return err(EFAULT);
        const p = Number(a[2]);
        v.setUint32(p, c.state, true);
        v.setInt32(p + 4, c.cpu, true);
        v.setBigUint64(p + 8, c.affinity, true);
        v.setBigUint64(p + 16, c.runTicks, true);
        v.setBigUint64(p + 24, c.cpu < 0 ? 0n : 1n << BigInt(c.cpu), true);
        return 0n;
      }
      case HC.DOMAIN_STATE_GET: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED || d.state === STATE.CREATED || d.id === 1) return err(ESRCH);
        let out: Uint8Array;
        if (a[1] === 1n) out = Buffer.from(d.config ?? `domain name=${d.name} mem=${d.memKiB}K`, "latin1");
        else if (a[1] === 0n) {
          if (!d.paused) return err(EBUSY);
          out = d.record ??= stateRecord(d.memKiB, d.vcpus);
        } else return err(EINVAL);
        if (a[3] < BigInt(out.length)) return BigInt(out.length);
        if (!this.mem(a[2], out.length)) return err(EFAULT);
        this.bytes.set(out, Number(a[2]));
        return BigInt(out.length);
      }
      case HC.DOMAIN_STATE_SET: {
        const d = this.byId(a[0]);
        if (!d) return err(ESRCH);
        if (d.state !== STATE.CREATED) return err(EINVAL);
        const [buf, len] = [Number(a[1]), Number(a[2])];
        if (len < 128 || !this.mem(a[1], len)) return err(EFAULT);
        const rec = Uint8Array.from(this.bytes.subarray(buf, buf + len));
        const v = new DataView(rec.buffer);
        const why = v.getUint32(0, true) !== 0x4d445354 ? "not a domain's state (magic)"
          : v.getUint32(8, true) !== len ? "size differs" : v.getBigUint64(24, true) !== BigInt(d.memKiB) * 1024n ? "memory size differs from the domain's" : "";
        if (why) {
          this.bytes.set(Buffer.from(why + "\0", "latin1"), buf);
          return err(EINVAL);
        }
        d.record = rec;
        d.state = STATE.RUNNABLE;
        d.paused = true;
        return 0n;
      }
      case HC.DOMAIN_MEM_PAGES: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED || d.id === 1) return err(ESRCH);
        const [frame, count, buf] = [Number(a[1]), Number(a[2]), Number(a[3])];
        const frames = (d.memKiB * 1024) / 4096;
        if (count < 1 || count > 64 || frame >= frames || count > frames - frame) return err(EINVAL);
        if (!this.mem(a[3], count * (8 + 4096))) return err(EFAULT);
        let data = buf + count * 8, n = 0;
        for (let i = 0; i < count; i++) {
          const page = new Uint8Array(4096);
          for (let b = 0; b < 4096; b++) page[b] = d.ram.get((frame + i) * 4096 + b) ?? 0;
          const zero = page.every((x) => x === 0);
          this.view.setBigUint64(buf + i * 8, BigInt(frame + i) | (zero ? 1n << 63n : 0n), true);
          if (zero) continue;
          this.bytes.set(page, data);
          data += 4096;
          n++;
        }
        return BigInt(n);
      }
      case HC.DOMAIN_MEM_READ:
      case HC.DOMAIN_MEM_WRITE: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED || d.id === 1) return err(ESRCH);
        const [gpa, buf, len] = [a[1], a[2], Number(a[3])];
        if (len > 4096 || gpa + BigInt(len) > BigInt(d.memKiB) * 1024n) return err(EINVAL);
        if (!this.mem(buf, len)) return err(EFAULT);
        for (let i = 0; i < len; i++) {
          if (nr === HC.DOMAIN_MEM_READ) this.bytes[Number(buf) + i] = d.ram.get(Number(gpa) + i) ?? 0;
          else d.ram.set(Number(gpa) + i, this.bytes[Number(buf) + i]);
        }
        return BigInt(len);
      }
      case HC.VCPU_GET:
      case HC.VCPU_SET: {
        const d = this.byId(a[0]);
        if (!d || d.state === STATE.STOPPED || d.id === 1 || a[1] >= BigInt(d.vcpus)) return err(ESRCH);
        if (!d.paused) return err(EBUSY);
        const r = d.regs[Number(a[1])];
        if (nr === HC.VCPU_SET) {
          if (a[2] >= 18n || (a[2] === 17n && (a[3] & 2n) === 0n)) return err(EINVAL);
          r[Number(a[2])] = a[3];
          return 0n;
        }
        if (!this.mem(a[2], 24 * 8)) return err(EFAULT);
        r.forEach((x, i) => v.setBigUint64(Number(a[2]) + 8 * i, x, true));
        return 0n;
      }
      case HC.DOMAIN_DEDUP: {
        // Each DomU named must be paused: it merges a quarter of their memory.
        const n = Number(a[1]);
        if (n < 1 || n > 64) return err(EINVAL);
        const doms = Array.from({ length: n }, (_, i) => this.byId(BigInt(v.getUint32(Number(a[0]) + 4 * i, true))));
        if (doms.some((d) => !d || d.state === STATE.STOPPED || d.control)) return err(ESRCH);
        if (doms.some((d) => !d!.paused)) return err(EBUSY);
        const pages = doms.reduce((t, d) => t + d!.memKiB / 16, 0);
        this.memFreeKiB += pages * 4;
        return BigInt(pages);
      }
      case HC.HOST_POWER:
        if (a[0] > 1n) return err(EINVAL);
        this.power = Number(a[0]);
        throw new Halted(a[0] === 0n ? "power off" : "reboot");
    }
    return err(ENOSYS);
  }

  private record(p: number, d: SimDomain): void {
    const v = this.view;
    this.bytes.fill(0, p, p + DOMREC_SIZE);
    v.setUint32(p, d.id, true);
    v.setUint32(p + 4, d.state, true);
    v.setBigUint64(p + 8, BigInt(d.memKiB), true);
    v.setUint32(p + 16, d.vcpus, true);
    v.setUint32(p + 20, (d.paused ? DOMFLAG_PAUSED : 0) | (d.control ? DOMFLAG_CONTROL : 0), true);
    this.bytes.set(Buffer.from(d.name.slice(0, 31), "latin1"), p + 24);
  }

  private ringRead(all: number[], size: number, from: bigint, buf: bigint, len: bigint): bigint {
    if (len > 4096n) return BigInt(-EINVAL);
    const head = all.length;
    const oldest = Math.max(0, head - size);
    let pos = Math.max(Number(from > BigInt(head) ? BigInt(head) : from), oldest);
    const n = Math.max(0, Math.min(Number(len), head - pos));
    this.bytes.set(all.slice(pos, pos + n), Number(buf));
    return BigInt(n);
  }
}
