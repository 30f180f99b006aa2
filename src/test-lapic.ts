// What tests/unit/lapic.test.ts drives: local APICs (src/devices/lapic.ts)
// of a small machine on a bus of their own, a clock set by hand and the
// timer queue served by hand. Register accesses, save and restore go
// through the device exports of src/exports.ts (devRead, devWrite, ...).
import { Lapic } from "./devices/lapic";
import { ApicBus, ApicMessage, APIC_DM_LOWEST, APIC_DEST_NONE, APIC_DEST_SELF, APIC_DEST_ALL } from "./devices/apic-bus";
import { ManualClock } from "./devices/clock";
import { Timer, TimerQueue } from "./devices/timer";
import { IrqController, IrqLine } from "./devices/irq";

export { LAPIC_BLOCK_SIZE, LAPIC_STATE, LAPIC_TIMER_MIN_PERIOD_US } from "./devices/lapic";

const APICS_MAX: i32 = 8;

// The domain's part, as the integrator will write it: shorthands from the
// sender, the rest by each APIC's matches(); a lowest-priority message goes
// to the first APIC that matches. It records what it carried.
@final
class TestApicBus extends ApicBus {
  apics: StaticArray<Lapic | null> = new StaticArray<Lapic | null>(APICS_MAX);
  count: i32 = 0;
  sent: u32 = 0;
  delivered: u32 = 0;
  eois: u32 = 0;
  lastEoi: u32 = 0;
  last: ApicMessage = new ApicMessage();
  lastFrom: i32 = -2;

  send(m: ApicMessage, from: i32): void {
    this.sent++;
    const l = this.last;
    l.vector = m.vector; l.delivery = m.delivery; l.logical = m.logical; l.dest = m.dest;
    l.x2apic = m.x2apic; l.shorthand = m.shorthand; l.level = m.level; l.trigger = m.trigger;
    this.lastFrom = from;
    for (let i = 0; i < this.count; i++) {
      const a = unchecked(this.apics[i])!;
      let hit: bool;
      switch (m.shorthand) {
        case APIC_DEST_SELF: hit = i == from; break;
        case APIC_DEST_ALL: hit = true; break;
        case APIC_DEST_NONE: hit = a.matches(m.dest, m.logical, m.x2apic); break;
        default: hit = i != from; break;
      }
      if (!hit) continue;
      if (a.receive(m)) this.delivered++;
      if (m.delivery == APIC_DM_LOWEST) break;
    }
  }

  eoi(vector: u32): void {
    this.eois++;
    this.lastEoi = vector;
  }
}

// The CPU side's view of each APIC's line: level and rising edges.
@final
class TestIntr extends IrqController {
  level: StaticArray<bool> = new StaticArray<bool>(APICS_MAX);
  rises: StaticArray<u32> = new StaticArray<u32>(APICS_MAX);
  setLevel(input: u32, level: bool): void {
    unchecked(this.level[input] = level);
    if (level) unchecked(this.rises[input]++);
  }
}

@final
class LapicMachine {
  clock: ManualClock;
  queue: TimerQueue = new TimerQueue();
  bus: TestApicBus = new TestApicBus();
  intr: TestIntr = new TestIntr();
  constructor(hz: u64) {
    this.clock = new ManualClock(hz);
  }
}

// `count` APICs (vCPUs 0..count-1) on a guest TSC of `hz`, MAXPHYADDR 39.
export function lapicMachine(count: i32, hz: u64): LapicMachine {
  const m = new LapicMachine(hz);
  for (let i = 0; i < count && i < APICS_MAX; i++) {
    const a = new Lapic(<u32>i, m.bus, m.clock, m.queue, new IrqLine(m.intr, <u32>i), 39);
    unchecked(m.bus.apics[i] = a);
    m.bus.count = i + 1;
  }
  return m;
}
export function lapicOf(m: LapicMachine, i: i32): Lapic { return unchecked(m.bus.apics[i])!; }
export function lapicClockSet(m: LapicMachine, t: u64): void { m.clock.t = t; }

// Fires every timer due at the clock's time, as the domain's timer service
// does; how many fired.
export function lapicTimersFire(m: LapicMachine): u32 {
  let n: u32 = 0;
  let t = m.queue.head;
  while (t !== null) {
    const next = t.next;
    if (<i64>(m.clock.t - t.deadline) >= 0) {
      t.cancel();
      t.client.expired(t);
      n++;
    }
    t = next;
  }
  return n;
}
// Its APIC's Timer deadline, 0 when not armed.
export function lapicTimerDeadline(m: LapicMachine, i: i32): u64 {
  let t: Timer | null = m.queue.head;
  while (t !== null) {
    if (<i32>t.vcpu == i) return t.deadline;
    t = t.next;
  }
  return 0;
}

export function lapicRdmsr(a: Lapic, msr: u32): bool { return a.readMsr(msr); }
export function lapicMsrValue(a: Lapic): u64 { return a.msrValue; }
export function lapicWrmsr(a: Lapic, msr: u32, value: u64): bool { return a.writeMsr(msr, value); }

// A message from `from` (-1: an I/O APIC) on the bus.
const sendMsg = new ApicMessage();
export function lapicSend(m: LapicMachine, from: i32, vector: u32, delivery: u32, logical: bool, dest: u32,
                          x2apic: bool, shorthand: u32, level: bool, trigger: bool): void {
  const s = sendMsg;
  s.vector = vector; s.delivery = delivery; s.logical = logical; s.dest = dest;
  s.x2apic = x2apic; s.shorthand = shorthand; s.level = level; s.trigger = trigger;
  m.bus.send(s, from);
}
export function lapicBusSent(m: LapicMachine): u32 { return m.bus.sent; }
export function lapicBusDelivered(m: LapicMachine): u32 { return m.bus.delivered; }
export function lapicBusEois(m: LapicMachine): u32 { return m.bus.eois; }
export function lapicBusLastEoi(m: LapicMachine): u32 { return m.bus.lastEoi; }
export function lapicBusLastFrom(m: LapicMachine): i32 { return m.bus.lastFrom; }
// The last message as JSON.
export function lapicBusLast(m: LapicMachine): string {
  const l = m.bus.last;
  return "{\"vector\":" + l.vector.toString() + ",\"delivery\":" + l.delivery.toString() +
    ",\"logical\":" + (l.logical ? "true" : "false") + ",\"dest\":" + l.dest.toString() +
    ",\"x2apic\":" + (l.x2apic ? "true" : "false") + ",\"shorthand\":" + l.shorthand.toString() +
    ",\"level\":" + (l.level ? "true" : "false") + ",\"trigger\":" + (l.trigger ? "true" : "false") + "}";
}
export function lapicIntrLevel(m: LapicMachine, i: i32): bool { return unchecked(m.intr.level[i]); }
export function lapicIntrRises(m: LapicMachine, i: i32): u32 { return unchecked(m.intr.rises[i]); }

export function lapicMatches(a: Lapic, dest: u32, logical: bool, x2apic: bool): bool { return a.matches(dest, logical, x2apic); }
export function lapicSetLint(a: Lapic, pin: u32, level: bool): void { a.setLint(pin, level); }
export function lapicHighestDeliverable(a: Lapic): i32 { return a.highestDeliverable(); }
export function lapicAccept(a: Lapic, vector: u32): void { a.accept(vector); }
export function lapicEoi(a: Lapic): void { a.eoi(); }
export function lapicEoiVirtualized(a: Lapic, vector: u32): void { a.eoiVirtualized(vector); }
export function lapicApicWrite(a: Lapic, offset: u32): void { a.apicWrite(offset); }
export function lapicSetTpr(a: Lapic, tpr: u32): void { a.setTpr(tpr); }
export function lapicPpr(a: Lapic): u32 { return a.ppr(); }
export function lapicHighestIrr(a: Lapic): i32 { return a.highestIrr(); }
export function lapicHighestIsr(a: Lapic): i32 { return a.highestIsr(); }
export function lapicPendingNmi(a: Lapic): bool { return a.pendingNmi(); }
export function lapicPendingInit(a: Lapic): bool { return a.pendingInit(); }
export function lapicPendingExtInt(a: Lapic): bool { return a.pendingExtInt(); }
export function lapicTakeNmi(a: Lapic): bool { return a.takeNmi(); }
export function lapicTakeInit(a: Lapic): bool { return a.takeInit(); }
export function lapicTakeSipi(a: Lapic): i32 { return a.takeSipi(); }
export function lapicTakeExtInt(a: Lapic): void { a.takeExtInt(); }
export function lapicWants(a: Lapic): bool { return a.wants(); }
export function lapicSetVirtualDelivery(a: Lapic, on: bool): void { a.virtualDelivery = on; }
export function lapicTakePosted(a: Lapic): i32 { return a.takePosted(); }
export function lapicPage(a: Lapic): usize { return a.block(); }
export function lapicApicBase(a: Lapic): u64 { return a.apicBase(); }
export function lapicMmioBase(a: Lapic): u64 { return a.mmioBase(); }
export function lapicMmioActive(a: Lapic): bool { return a.mmioActive(); }
export function lapicTimerCoalesced(a: Lapic): u64 { return a.timerCoalesced; }
export function lapicTimerExpiries(a: Lapic): u64 { return a.timerExpiries; }
export function lapicIgnored(a: Lapic): u32 { return a.ignored; }
