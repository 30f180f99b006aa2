// Starting the other CPUs (SDM Vol. 3A 9.4.4 "MP Initialization Example").
//
// The ACPI MADT lists them (src/platform/acpi.ts). For each CPU after the
// boot one, in MADT order: frames for its per-CPU block, its stacks, its GDT
// and TSS; then INIT, 10 ms, STARTUP, 200 us, and a second STARTUP if it has
// not answered yet, through the trampoline (boot/trampoline.asm) copied to
// HV_TRAMPOLINE_PA; then a bounded wait for it to reach 64-bit mode
// (CPU_STATE_ALIVE). The boot CPU holds the big lock all along and yields it
// once the CPU is alive: the CPU runs apMain (VMX root, then its idle loop)
// and gives it back. One CPU at a time, so the trampoline's parameters are
// that CPU's alone.
//
// A CPU that does not answer in time is marked FAILED (a compare-exchange
// the CPU's own claim races against), sent INIT again so that it waits for a
// STARTUP IPI instead of waking later on parameters meant for another CPU,
// reported and left out; the others go on.
import {
  HV_TRAMPOLINE_PA, TRAMP_PARAMS, TRAMP_CR3, TRAMP_ENTRY, TRAMP_PERCPU, HANDOFF_TRAMPOLINE,
  HANDOFF_TRAMPOLINE_END, HANDOFF_AP_ENTRY, HV_BOOT_STACK_SIZE, HV_IST_STACK_SIZE, HV_CPUS_MAX,
  PERCPU_GDTR, PERCPU_GDT_AREA, PERCPU_TSS_AREA, PERCPU_STATE, PERCPU_SIZE,
  CPU_STATE_STARTING, CPU_STATE_ALIVE, CPU_STATE_FAILED, CPU_STATE_ONLINE,
} from "../arch/layout";
import { IA32_PAT } from "../arch/msr";
import { rdtsc, read_cr3, rdmsr, wrmsr, lock_yield, cmpxchg32 } from "../arch/hw";
import { BootInfo } from "../boot/bootinfo";
import { optionValue, parseSize, BAD_SIZE } from "../boot/cmdline";
import { frameAllocContiguous } from "../mm/frames";
import { PerCpu, thisCpu, cpuRegister, cpusSetFound, cpusOnline, cpusFound } from "./percpu";
import { cpuKick } from "./ipi";
import { tscFromMicros, tscDelay } from "./tsc";
import { acpiCpuCount, acpiCpuApicId } from "../platform/acpi";
import { lapicId, lapicBase, lapicSendInit, lapicSendStartup } from "../platform/lapic";
import { println } from "../log/log";
import { dec, hex } from "../lib/str";

const PAGE: u32 = 4096;
const IST_COUNT: u32 = 3;
// One allocation per CPU: [per-CPU block | IST1 #DF | IST2 NMI | IST3 #MC |
// stack]; the stack grows down towards the IST stacks, not into the block.
const CPU_BYTES: u32 = PERCPU_SIZE + IST_COUNT * HV_IST_STACK_SIZE + HV_BOOT_STACK_SIZE;

// SDM 9.4.4: 10 ms after INIT, 200 us after a STARTUP IPI. A CPU gets
// 100 ms from its last STARTUP IPI to reach 64-bit mode.
const INIT_DELAY_US: u64 = 10000;
const SIPI_DELAY_US: u64 = 200;
const ALIVE_TIMEOUT_US: u64 = 100000;

// The boot CPU's GDT (boot/entry.asm), the same selectors on every CPU:
// null, 64-bit code 0x08, data 0x10, the 16-byte TSS descriptor 0x18.
const GDT_CODE64: u64 = 0x00af9a000000ffff;
const GDT_DATA: u64 = 0x00cf92000000ffff;
const GDT_LIMIT: u16 = 39;
// 64-bit TSS (SDM Vol. 3A 8.7): IST1-3 at 0x24, 0x2c, 0x34; the I/O map
// base at 0x66 set to the TSS's size (no I/O permission bitmap).
const TSS_SIZE: u32 = 104;
const TSS_IST1: u32 = 0x24;
const TSS_IOMAP_BASE: u32 = 0x66;
const TSS_DESC_AVAILABLE: u64 = 0x89;   // present, type 9: available 64-bit TSS

let bootPat: u64 = 0;

// The boot CPU's block (made and loaded by boot/entry.asm), now that its
// local APIC is up.
export function smpBootCpu(): void {
  const c = thisCpu();
  c.index = 0;
  c.apicId = lapicId();
  c.lapic = lapicBase();
  cpuRegister(0, changetype<usize>(c));
}

// Starts every CPU the MADT lists besides the boot one. The boot CPU is in
// VMX root already, the TSC rate known (src/cpu/tsc.ts); the others join it
// one by one.
export function smpStart(bi: BootInfo, handoff: u32): void {
  const n = acpiCpuCount();
  cpusSetFound(n);
  if (n <= 1) return;

  const start = <usize>load<u64>(handoff + HANDOFF_TRAMPOLINE);
  const size = <usize>load<u64>(handoff + HANDOFF_TRAMPOLINE_END) - start;
  const busy = trampolinePageUser(bi);
  if (busy.length != 0 || size > TRAMP_PARAMS) {
    println("hv: SMP: the trampoline page " + hex(HV_TRAMPOLINE_PA) + " is " +
      (busy.length != 0 ? "in use (" + busy + ")" : "too small") + "; the other CPUs are left out");
    return;
  }
  memory.copy(HV_TRAMPOLINE_PA, start, size);
  store<u64>(HV_TRAMPOLINE_PA + TRAMP_CR3, read_cr3());
  store<u64>(HV_TRAMPOLINE_PA + TRAMP_ENTRY, load<u64>(handoff + HANDOFF_AP_ENTRY));
  bootPat = rdmsr(IA32_PAT);

  const skip = skipSipiFor(bi.cmdline);
  const limit = n < HV_CPUS_MAX ? n : HV_CPUS_MAX;
  for (let i: u32 = 1; i < limit; i++) startCpu(i, acpiCpuApicId(i), skip);
  println("hv: SMP: " + dec(cpusOnline()) + " of " + dec(n) + " CPUs online");
}

// What else uses the trampoline page (a boot module, the boot information),
// or "". Low memory is never handed out by the frame allocator.
function trampolinePageUser(bi: BootInfo): string {
  const lo: u64 = HV_TRAMPOLINE_PA;
  const hi: u64 = lo + PAGE;
  for (let i = 0; i < bi.modules.length; i++) {
    const m = unchecked(bi.modules[i]);
    if (m.start < hi && m.end > lo) return "module " + m.cmdline;
  }
  for (let i = 0; i < bi.extents.length; i++) {
    const e = unchecked(bi.extents[i]);
    if (e.start < hi && e.end > lo) return e.what;
  }
  return "";
}

// Test only: `debug_skip_sipi=<APIC id>` sends that CPU INIT but no STARTUP
// IPI, so it never starts (tests/integration/smp.test.ts); -1 if absent.
function skipSipiFor(cmdline: string): i64 {
  const v = optionValue(cmdline, "debug_skip_sipi");
  if (v === null) return -1;
  const id = parseSize(v);
  if (id == BAD_SIZE || id > 0xffffffff) {
    println("hv: debug_skip_sipi: not an APIC id: \"" + v + "\"");
    return -1;
  }
  println("hv: debug_skip_sipi=" + dec(id) + ": that CPU gets no STARTUP IPI");
  return <i64>id;
}

function startCpu(index: u32, apicId: u32, skip: i64): void {
  const mem = frameAllocContiguous(CPU_BYTES / PAGE, 1);
  if (mem == 0) {
    leftOut(index, apicId, "no memory for its stacks");
    return;
  }
  const c = cpuBlockInit(<usize>mem, index, apicId);
  store<u64>(HV_TRAMPOLINE_PA + TRAMP_PERCPU, mem);

  c.startTsc = rdtsc();
  if (!lapicSendInit(apicId)) {
    c.state = CPU_STATE_FAILED;
    leftOut(index, apicId, "its INIT IPI was not sent");
    return;
  }
  tscDelay(tscFromMicros(INIT_DELAY_US));
  if (<i64>apicId != skip) {
    for (let k = 0; k < 2 && c.state == CPU_STATE_STARTING; k++) {
      lapicSendStartup(apicId, HV_TRAMPOLINE_PA >> 12);
      waitWhileStarting(c, tscFromMicros(SIPI_DELAY_US));
    }
  }
  waitWhileStarting(c, tscFromMicros(ALIVE_TIMEOUT_US));
  const before = cmpxchg32(changetype<usize>(c) + PERCPU_STATE, CPU_STATE_STARTING, CPU_STATE_FAILED);
  if (before == CPU_STATE_STARTING) {
    lapicSendInit(apicId);
    println("hv: CPU " + dec(index) + " (APIC id " + dec(apicId) + ") did not start; left out");
    return;
  }
  // Alive, waiting for the big lock with the next ticket: apMain runs now
  // and gives the lock back from its idle loop (or once it has failed).
  if (before == CPU_STATE_ALIVE) lock_yield();
  if (c.state != CPU_STATE_ONLINE && c.state != CPU_STATE_FAILED) c.state = CPU_STATE_FAILED;
}

function waitWhileStarting(c: PerCpu, ticks: u64): void {
  const until = rdtsc() + ticks;
  while (c.state == CPU_STATE_STARTING && rdtsc() < until) {}
}

function leftOut(index: u32, apicId: u32, why: string): void {
  println("hv: CPU " + dec(index) + " (APIC id " + dec(apicId) + ") did not start (" + why + "); left out");
}

// A fresh per-CPU block at `b`: identity, stacks, its GDT and TSS.
function cpuBlockInit(b: usize, index: u32, apicId: u32): PerCpu {
  memory.fill(b, 0, PERCPU_SIZE);
  const c = changetype<PerCpu>(b);
  c.self = <u64>b;
  c.index = index;
  c.apicId = apicId;
  c.lapic = lapicBase();
  c.stackTop = <u64>b + CPU_BYTES;
  const gdt = b + PERCPU_GDT_AREA;
  const tss = b + PERCPU_TSS_AREA;
  for (let i: u32 = 0; i < IST_COUNT; i++) {
    store<u64>(tss + TSS_IST1 + 8 * i, <u64>b + PERCPU_SIZE + <u64>(i + 1) * HV_IST_STACK_SIZE);
  }
  store<u16>(tss + TSS_IOMAP_BASE, <u16>TSS_SIZE);
  const t = <u64>tss;
  store<u64>(gdt, 0);
  store<u64>(gdt, GDT_CODE64, 8);
  store<u64>(gdt, GDT_DATA, 16);
  // SDM Vol. 3A 8.2.3: limit 15:0, base 23:0, type, base 31:24; base 63:32.
  store<u64>(gdt, <u64>(TSS_SIZE - 1) | ((t & 0xffffff) << 16) | (TSS_DESC_AVAILABLE << 40) | (((t >> 24) & 0xff) << 56), 24);
  store<u64>(gdt, t >> 32, 32);
  store<u16>(b + PERCPU_GDTR, GDT_LIMIT);
  store<u64>(b + PERCPU_GDTR + 2, <u64>gdt);
  c.gdt = <u64>gdt;
  c.tss = t;
  c.state = CPU_STATE_STARTING;
  cpuRegister(index, b);
  return c;
}

// The boot CPU's PAT, for the others: VMCS host state is the same on every CPU.
export function smpBootPat(): u64 { return bootPat; }

// For the log: TSC ticks from INIT to 64-bit mode on CPU `c`.
export function smpStartTicks(c: PerCpu): u64 {
  return c.upTsc > c.startTsc ? c.upTsc - c.startTsc : 0;
}

// The other CPUs idle from apMain until the boot CPU has built the boot
// domains; then every CPU runs its run loop.
let scheduling = false;

export function smpScheduling(): bool { return scheduling; }

export function smpStartScheduling(): void {
  scheduling = true;
  for (let i: u32 = 1; i < cpusFound(); i++) cpuKick(i);
}
