// This CPU's local APIC in xAPIC mode, through the direct map: software
// enable, EOI, inter-processor interrupts and the one-shot timer. The
// hypervisor never clears IA32_APIC_BASE.EN (some CPUs, and Bochs, cannot
// enable it again).
import { rdmsr, wrmsr, rdtsc } from "../arch/hw";
import { IA32_APIC_BASE, IA32_APIC_BASE_ENABLE } from "../arch/msr";
import {
  LAPIC_ID, LAPIC_TPR, LAPIC_EOI, LAPIC_SVR, LAPIC_ESR, LAPIC_ICR_LOW, LAPIC_ICR_HIGH, LAPIC_LVT_TIMER,
  LAPIC_LVT_LINT0, LAPIC_LVT_ERROR, LAPIC_TIMER_INITIAL, LAPIC_TIMER_CURRENT, LAPIC_TIMER_DIVIDE,
  LAPIC_SVR_ENABLE, LAPIC_LVT_MASKED, LAPIC_LVT_VECTOR_MASK, LAPIC_TIMER_DIVIDE_1, ICR_SEND_PENDING, ICR_INIT, ICR_STARTUP,
  ICR_FIXED, ICR_LEVEL_ASSERT, ICR_TRIGGER_LEVEL,
} from "../arch/apic";

const ICR_POLL_MAX: u32 = 1000000;
const BASE_MASK: u64 = 0xffffff000;

let base: usize = 0;

@inline function reg(r: u32): u32 { return load<u32>(base + r); }
@inline function setReg(r: u32, v: u32): void { store<u32>(base + r, v); }

// Enables this CPU's local APIC with interrupts from the I/O APIC and IPIs
// only: LINT0 (the 8259's virtual wire) and the error LVT masked, TPR 0.
export function lapicInit(spuriousVector: u32): void {
  const msr = rdmsr(IA32_APIC_BASE);
  if ((msr & IA32_APIC_BASE_ENABLE) == 0) wrmsr(IA32_APIC_BASE, msr | IA32_APIC_BASE_ENABLE);
  base = <usize>(msr & BASE_MASK);
  setReg(LAPIC_SVR, LAPIC_SVR_ENABLE | (spuriousVector & 0xff));
  setReg(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);
  setReg(LAPIC_LVT_ERROR, LAPIC_LVT_MASKED);
  setReg(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
  setReg(LAPIC_ESR, 0);
  setReg(LAPIC_TPR, 0);
}

// The MMIO base (identity-mapped, below 4 GiB): the same address on every
// CPU, each reaching its own APIC there.
export function lapicBase(): u64 {
  return <u64>base;
}

export function lapicId(): u32 {
  return reg(LAPIC_ID) >> 24;
}

export function lapicEoi(): void {
  setReg(LAPIC_EOI, 0);
}

// Sends an IPI and waits until the APIC has sent it; false if it never did.
function icrSend(apicId: u32, low: u32): bool {
  setReg(LAPIC_ICR_HIGH, apicId << 24);
  setReg(LAPIC_ICR_LOW, low);
  for (let i: u32 = 0; i < ICR_POLL_MAX; i++) if ((reg(LAPIC_ICR_LOW) & ICR_SEND_PENDING) == 0) return true;
  return false;
}

// INIT (assert; the de-assert that old APICs need follows), then the
// STARTUP IPIs: the target starts in real mode at `page` << 12 (SDM 8.4.4).
export function lapicSendInit(apicId: u32): bool {
  if (!icrSend(apicId, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL)) return false;
  return icrSend(apicId, ICR_INIT | ICR_TRIGGER_LEVEL);
}

export function lapicSendStartup(apicId: u32, page: u32): bool {
  return icrSend(apicId, ICR_STARTUP | (page & 0xff));
}

export function lapicSendFixed(apicId: u32, vector: u32): bool {
  return icrSend(apicId, ICR_FIXED | (vector & 0xff));
}

// One-shot timer: `vector` after `ticks` APIC timer ticks (divide by 1).
export function lapicTimerOneShot(vector: u32, ticks: u32): void {
  setReg(LAPIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_1);
  setReg(LAPIC_LVT_TIMER, vector & LAPIC_LVT_VECTOR_MASK);
  setReg(LAPIC_TIMER_INITIAL, ticks == 0 ? 1 : ticks);
}

// APIC timer ticks per TSC tick, 32.32 fixed point; 0 until calibrated (or
// if the timer does not count).
let ticksPerTsc: u64 = 0;

// Counts the APIC timer (divide by 1, masked: no interrupt) down over
// `tscTicks` TSC ticks: its frequency relative to the TSC, which is all the
// hypervisor needs to turn a TSC deadline into a one-shot count. Once, at
// boot; both clocks are constant-rate on the CPUs VT-x runs on.
export function lapicTimerCalibrate(tscTicks: u64): u64 {
  setReg(LAPIC_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_1);
  setReg(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
  setReg(LAPIC_TIMER_INITIAL, 0xffffffff);
  const t0 = rdtsc();
  let t = t0;
  while (t - t0 < tscTicks) t = rdtsc();
  const counted = <u64>(0xffffffff - reg(LAPIC_TIMER_CURRENT));
  setReg(LAPIC_TIMER_INITIAL, 0);
  ticksPerTsc = (counted << 32) / (t - t0);
  return ticksPerTsc;
}

export function lapicTimerUsable(): bool { return ticksPerTsc != 0; }

// APIC timer ticks for `tsc` TSC ticks: at least 1, at most 2^32 - 1.
export function lapicTicksFor(tsc: u64): u32 {
  if (ticksPerTsc == 0) return 1;
  if (tsc > <u64>0xffffffffffffffff / ticksPerTsc) return 0xffffffff;
  const t = (tsc * ticksPerTsc) >> 32;
  return t == 0 ? 1 : t > 0xffffffff ? 0xffffffff : <u32>t;
}

export function lapicTimerStop(): void {
  setReg(LAPIC_TIMER_INITIAL, 0);
  setReg(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
}

export function lapicTimerRemaining(): u32 {
  return reg(LAPIC_TIMER_CURRENT);
}
