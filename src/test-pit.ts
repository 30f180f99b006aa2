// Test-only (build/hv-test.wasm, tests/unit/pit.test.ts): a PIT on a rig of
// its own: a guest clock the test sets, the timer queue its timer waits on,
// IRQ0 wired to a controller that counts edges (or to the 8259A pair's
// input 0, the pair on the same bus), and a port bus with the device at
// 0x40-0x43 and 0x61, as a domain's builder registers it.
import { PitDevice, PitChannel, pitRegister, PIT_BLOCK_SIZE, PIT_CHANNEL_SIZE, PIT_KIND, PIT_TAIL, PIT_MIN_PERIOD_US } from "./devices/pit";
import { Bus } from "./devices/bus";
import { Access, SPACE_PORT } from "./devices/device";
import { ManualClock } from "./devices/clock";
import { IrqController, IrqLine } from "./devices/irq";
import { TimerQueue } from "./devices/timer";
import { Pic8259Pair } from "./devices/pic";
import { PIC_MASTER_CMD, PIC_SLAVE_CMD, PIC_PORTS, PIC_ELCR1, PIC_ELCR_PORTS } from "./arch/i8259";

export { PIT_BLOCK_SIZE, PIT_CHANNEL_SIZE, PIT_KIND, PIT_TAIL };

// Counts the edges IRQ0 brings.
@final
class EdgeCounter extends IrqController {
  rises: u32 = 0;
  falls: u32 = 0;
  setLevel(input: u32, level: bool): void {
    if (level) this.rises++;
    else this.falls++;
  }
}

@final
class PitRig {
  clock: ManualClock;
  queue: TimerQueue;
  edges: EdgeCounter;
  line: IrqLine;
  dev: PitDevice;
  pic: Pic8259Pair | null;
  bus: Bus;

  // `wiring`: 0 IRQ0 unconnected, 1 to the edge counter, 2 to the 8259A pair.
  constructor(hz: u64, wiring: u32, minPeriodUs: u64 = 0) {
    const clock = new ManualClock(hz);
    const edges = new EdgeCounter();
    const queue = new TimerQueue();
    const bus = new Bus(SPACE_PORT);
    let line = new IrqLine(edges, 0);
    let pic: Pic8259Pair | null = null;
    if (wiring == 2) {
      const pair = new Pic8259Pair(null);
      bus.register(PIC_MASTER_CMD, PIC_PORTS, pair);
      bus.register(PIC_SLAVE_CMD, PIC_PORTS, pair);
      bus.register(PIC_ELCR1, PIC_ELCR_PORTS, pair);
      line = new IrqLine(pair.inputs, 0);
      pic = pair;
    }
    const dev = new PitDevice(wiring != 0 ? line : null, queue, 0, clock, minPeriodUs);
    pitRegister(bus, dev);
    this.clock = clock;
    this.edges = edges;
    this.queue = queue;
    this.line = line;
    this.pic = pic;
    this.bus = bus;
    this.dev = dev;
  }
}

const rigAccess = new Access();

export function pitRigCreate(hz: u64, wired: bool): PitRig { return new PitRig(hz, wired ? 1 : 0); }
export function pitRigWithPic(hz: u64): PitRig { return new PitRig(hz, 2); }
// With the floor a domain's PIT has on the time between expiries.
export function pitRigBounded(hz: u64): PitRig { return new PitRig(hz, 1, PIT_MIN_PERIOD_US); }
// The CPU side of the rig's 8259A pair: INT, and an INTA cycle's vector (-1 without a pair).
export function pitRigPicInt(r: PitRig): bool { return r.pic !== null && r.pic!.hasInterrupt(); }
export function pitRigPicAck(r: PitRig): i32 { return r.pic !== null ? r.pic!.acknowledge() : -1; }
export function pitRigDevice(r: PitRig): PitDevice { return r.dev; }
export function pitRigSetTime(r: PitRig, tsc: u64): void { r.clock.t = tsc; }
export function pitRigTime(r: PitRig): u64 { return r.clock.t; }
export function pitIn(r: PitRig, port: u32, width: u32): u32 { return <u32>r.bus.read(rigAccess, port, width); }
export function pitOut(r: PitRig, port: u32, width: u32, value: u32): u32 { return r.bus.write(rigAccess, port, width, value); }

// Fires the rig's timers that are due at the clock, as src/domain/timer.ts's
// timersFire does (cancel, then the client): how many fired.
export function pitRigFire(r: PitRig): u32 {
  let n: u32 = 0;
  let t = r.queue.head;
  while (t !== null) {
    const next = t.next;
    if (<i64>(r.clock.t - t.deadline) >= 0) {
      t.cancel();
      t.client.expired(t);
      n++;
    }
    t = next;
  }
  return n;
}

export function pitRigDeadline(r: PitRig): u64 { return r.dev.timerDeadline; }
export function pitRigRises(r: PitRig): u32 { return r.edges.rises; }
export function pitRigFalls(r: PitRig): u32 { return r.edges.falls; }
export function pitRigLevel(r: PitRig): bool { return r.line.level; }
export function pitRigEdges(r: PitRig): u64 { return r.dev.edges; }
export function pitRigCoalesced(r: PitRig): u64 { return r.dev.coalesced; }

// The block's layout as src/devices/pit.ts draws it.
export function pitLayoutCheck(): u32 {
  let bad: u32 = 0;
  if (offsetof<PitChannel>() != PIT_CHANNEL_SIZE) bad |= 1;
  if (offsetof<PitChannel>("reloadAt") != 16 || offsetof<PitChannel>("edgeAt") != 24) bad |= 2;
  if (offsetof<PitChannel>("count") != 32 || offsetof<PitChannel>("frozen") != 40) bad |= 4;
  if (offsetof<PitChannel>("ctrl") != 42 || offsetof<PitChannel>("gate") != 52 || offsetof<PitChannel>("reserved1") != 54) bad |= 8;
  if (PIT_TAIL != 168 || PIT_BLOCK_SIZE != 176) bad |= 16;
  return bad;
}
