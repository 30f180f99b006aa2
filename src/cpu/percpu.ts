// Per-CPU data: one 4 KiB block per CPU (PERCPU_* in src/arch/layout.ts),
// which the CPU finds itself through IA32_GS_BASE (this_cpu). The boot CPU's
// block is in the image's bss (boot/entry.asm); src/platform/smp.ts makes
// the others' when it starts their CPUs. Everything the hypervisor keeps
// per CPU lives here, so that the NASM side (boot/smp.asm, vmx.asm) and the
// microkernel agree on one layout, checked by percpuLayoutCheck.
import { this_cpu, cpu_index, rdtsc } from "../arch/hw";
import { CPUFLAG_ONLINE, CPUFLAG_BSP, CPUFLAG_FAILED } from "../arch/abi";
import {
  HV_CPUS_MAX, CPU_STATE_ONLINE, PERCPU_SELF, PERCPU_INDEX, PERCPU_APIC_ID, PERCPU_STATE,
  PERCPU_IN_GUEST, PERCPU_STACK_TOP, PERCPU_GDT, PERCPU_TSS, PERCPU_VMXON, PERCPU_VMCS, PERCPU_VMCLEAR_REQ,
  PERCPU_LAPIC, PERCPU_BUSY_TICKS, PERCPU_IDLE_TICKS, PERCPU_XSAVE_OWNER, PERCPU_VMCS_OWNER, PERCPU_START_TSC,
  PERCPU_UP_TSC, PERCPU_GDTR, PERCPU_RESCHED, PERCPU_TLB_GEN, PERCPU_CURRENT, PERCPU_IRQ_PENDING,
  PERCPU_IDLE_SINCE, PERCPU_SPEC, PERCPU_L1D_DIRTY, PERCPU_SPEC_DOMAIN, PERCPU_HOST_SPEC_CTRL,
} from "../arch/layout";

// The block's head as fields, in PERCPU_* order. The GDTR, GDT and TSS
// further in are written with explicit offsets (src/platform/smp.ts).
@unmanaged
export class PerCpu {
  self: u64;              // PERCPU_SELF
  index: u32;             // PERCPU_INDEX
  apicId: u32;            // PERCPU_APIC_ID
  state: u32;             // PERCPU_STATE, CPU_STATE_*
  inGuest: u32;           // PERCPU_IN_GUEST
  stackTop: u64;          // PERCPU_STACK_TOP
  gdt: u64;               // PERCPU_GDT
  tss: u64;               // PERCPU_TSS
  vmxon: u64;             // PERCPU_VMXON
  vmcs: u64;              // PERCPU_VMCS: the current VMCS, 0 if none
  vmclearReq: u64;        // PERCPU_VMCLEAR_REQ
  lapic: u64;             // PERCPU_LAPIC
  busyTicks: u64;         // PERCPU_BUSY_TICKS
  idleTicks: u64;         // PERCPU_IDLE_TICKS
  xsaveOwner: usize;      // PERCPU_XSAVE_OWNER: the vCPU whose FPU state and MSRs are in the CPU (0: none)
  vmcsOwner: usize;       // PERCPU_VMCS_OWNER: the vCPU whose VMCS is current (0: none)
  startTsc: u64;          // PERCPU_START_TSC
  upTsc: u64;             // PERCPU_UP_TSC
  resched: u32;           // PERCPU_RESCHED
  tlbGen: u32;            // PERCPU_TLB_GEN
  current: u32;           // PERCPU_CURRENT
  idleSince: u64;         // PERCPU_IDLE_SINCE
  spec: u32;              // PERCPU_SPEC: SPEC_* (src/cpu/mitigations.ts)
  l1dDirty: u32;          // PERCPU_L1D_DIRTY
  specDomain: u32;        // PERCPU_SPEC_DOMAIN
  hostSpecCtrl: u32;      // PERCPU_HOST_SPEC_CTRL
}

// Block addresses by CPU index; 0 for a CPU not (yet) given one.
const blocks = new StaticArray<usize>(<i32>HV_CPUS_MAX);
let found: u32 = 1;
let bootTsc: u64 = 0;

@inline export function thisCpu(): PerCpu {
  return changetype<PerCpu>(this_cpu());
}

// This CPU's L1D may now hold data the next guest must not see: flushed
// before the next VM entry where L1TF applies (src/cpu/mitigations.ts).
@inline export function l1dDirty(): void {
  thisCpu().l1dDirty = 1;
}

@inline export function thisCpuIndex(): u32 {
  return cpu_index();
}

// CPUs the firmware lists (HC_HOST_INFO's CPUS_FOUND; indices below it).
export function cpusFound(): u32 { return found; }
export function cpusSetFound(n: u32): void { found = n < HV_CPUS_MAX ? n : HV_CPUS_MAX; }

export function cpuRegister(index: u32, block: usize): void {
  if (index < HV_CPUS_MAX) unchecked(blocks[index] = block);
}

// CPU `index`'s block, or null if it has none (never started). The boot
// CPU's is there from the start (boot/entry.asm), registered or not.
export function cpuBlock(index: u32): PerCpu | null {
  if (index >= HV_CPUS_MAX) return null;
  const b = unchecked(blocks[index]);
  if (b == 0 && index == 0) return thisCpuIfBoot();
  return b != 0 ? changetype<PerCpu>(b) : null;
}

function thisCpuIfBoot(): PerCpu | null {
  const c = thisCpu();
  return c.index == 0 ? c : null;
}

export function cpuOnline(index: u32): bool {
  const c = cpuBlock(index);
  return c !== null && c.state == CPU_STATE_ONLINE;
}

export function cpusOnline(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < found; i++) if (cpuOnline(i)) n++;
  return n;
}

// Bit i set for each online CPU i (scheduler affinity masks are u64).
export function cpusOnlineMask(): u64 {
  let m: u64 = 0;
  for (let i: u32 = 0; i < found; i++) if (cpuOnline(i)) m |= <u64>1 << i;
  return m;
}

// ── The host's CPUs as HC_HOST_INFO and HC_CPU_INFO report them ─────────

export function cpusSetBootTsc(tsc: u64): void { bootTsc = tsc; }

// TSC ticks since the boot loader handed over.
export function hostUptime(): u64 { return rdtsc() - bootTsc; }

export function cpuApicId(cpu: u32): u32 {
  const c = cpuBlock(cpu);
  return c !== null ? c.apicId : 0;
}

// CPUFLAG_*: online, the boot processor, or listed but left out.
export function cpuFlags(cpu: u32): u32 {
  if (cpu >= found) return 0;
  let f: u32 = cpu == 0 ? CPUFLAG_BSP : 0;
  if (cpuOnline(cpu)) f |= CPUFLAG_ONLINE;
  else if (cpu != 0) f |= CPUFLAG_FAILED;
  return f;
}

export function cpuBusyTicks(cpu: u32): u64 { const c = cpuBlock(cpu); return c !== null ? c.busyTicks : 0; }
// Idle time so far, the sleep in progress included (a CPU asleep since
// before the question has not charged it yet).
export function cpuIdleTicks(cpu: u32): u64 {
  const c = cpuBlock(cpu);
  if (c === null) return 0;
  return c.idleTicks + (c.idleSince != 0 ? rdtsc() - c.idleSince : 0);
}
// The id of the domain running on `cpu`, 0 if none.
export function cpuCurrent(cpu: u32): u32 { const c = cpuBlock(cpu); return c !== null ? c.current : 0; }

// 0 if PerCpu's fields sit at the PERCPU_* offsets, else a bit per mismatch.
export function percpuLayoutCheck(): u32 {
  let bad: u32 = 0;
  if (offsetof<PerCpu>("self") != PERCPU_SELF) bad |= 1 << 0;
  if (offsetof<PerCpu>("index") != PERCPU_INDEX) bad |= 1 << 1;
  if (offsetof<PerCpu>("apicId") != PERCPU_APIC_ID) bad |= 1 << 2;
  if (offsetof<PerCpu>("state") != PERCPU_STATE) bad |= 1 << 3;
  if (offsetof<PerCpu>("inGuest") != PERCPU_IN_GUEST) bad |= 1 << 4;
  if (offsetof<PerCpu>("stackTop") != PERCPU_STACK_TOP) bad |= 1 << 5;
  if (offsetof<PerCpu>("gdt") != PERCPU_GDT) bad |= 1 << 6;
  if (offsetof<PerCpu>("tss") != PERCPU_TSS) bad |= 1 << 7;
  if (offsetof<PerCpu>("vmxon") != PERCPU_VMXON) bad |= 1 << 8;
  if (offsetof<PerCpu>("vmcs") != PERCPU_VMCS) bad |= 1 << 9;
  if (offsetof<PerCpu>("vmclearReq") != PERCPU_VMCLEAR_REQ) bad |= 1 << 10;
  if (offsetof<PerCpu>("lapic") != PERCPU_LAPIC) bad |= 1 << 11;
  if (offsetof<PerCpu>("busyTicks") != PERCPU_BUSY_TICKS) bad |= 1 << 12;
  if (offsetof<PerCpu>("idleTicks") != PERCPU_IDLE_TICKS) bad |= 1 << 13;
  if (offsetof<PerCpu>("xsaveOwner") != PERCPU_XSAVE_OWNER) bad |= 1 << 14;
  if (offsetof<PerCpu>("vmcsOwner") != PERCPU_VMCS_OWNER) bad |= 1 << 15;
  if (offsetof<PerCpu>("startTsc") != PERCPU_START_TSC) bad |= 1 << 16;
  if (offsetof<PerCpu>("upTsc") != PERCPU_UP_TSC) bad |= 1 << 17;
  if (offsetof<PerCpu>("resched") != PERCPU_RESCHED) bad |= 1 << 19;
  if (offsetof<PerCpu>("tlbGen") != PERCPU_TLB_GEN) bad |= 1 << 20;
  if (offsetof<PerCpu>("current") != PERCPU_CURRENT) bad |= 1 << 21;
  if (offsetof<PerCpu>("idleSince") != PERCPU_IDLE_SINCE) bad |= 1 << 22;
  if (offsetof<PerCpu>("spec") != PERCPU_SPEC) bad |= 1 << 23;
  if (offsetof<PerCpu>("l1dDirty") != PERCPU_L1D_DIRTY) bad |= 1 << 24;
  if (offsetof<PerCpu>("specDomain") != PERCPU_SPEC_DOMAIN) bad |= 1 << 25;
  if (offsetof<PerCpu>("hostSpecCtrl") != PERCPU_HOST_SPEC_CTRL) bad |= 1 << 26;
  if (offsetof<PerCpu>() > PERCPU_IRQ_PENDING) bad |= 1 << 18;   // must end before the pending bitmap
  return bad;
}
