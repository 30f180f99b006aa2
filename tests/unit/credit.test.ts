// The credit scheduler policy (src/sched/credit.ts) through the SchedPolicy
// interface (src/sched/policy.ts), driven by a simulated clock: each CPU
// picks, runs its vCPU for the slice (or until the simulated guest halts),
// charges it, and time advances to the next event. Every run checks the
// invariants: no blocked vCPU is picked, no vCPU outside its affinity, none on
// two CPUs at once, and a runnable UNDER vCPU waits at most vCPUs x slice.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const PERIOD = 30_000;          // accounting period (ticks)
const SLICE = 10_000;           // Xen's 30 ms / 10 ms ratio
const POLICY_CREDIT = 0;
const PRIO_UNDER = 1, PRIO_BOOST = 2;
const ALL = (1n << 64n) - 1n;

// A guest's behaviour: CPU-bound, or runs `burst` ticks then halts for `sleep`.
interface Work { burst?: number; sleep?: number }

interface SimVcpu {
  id: number; dom: number; mask: bigint; work: Work;
  blocked: boolean; wakeAt: number; burstLeft: number;
  ran: number;                 // inside the measuring window
  queuedUnderAt: number;       // -1: not waiting as UNDER
  wokeAt: number;              // -1: not waiting after a wake
}

class Sim {
  readonly m = new Machine();
  readonly x = this.m.exports;
  readonly vcpus: SimVcpu[] = [];
  readonly freeAt: number[];
  readonly cur: number[];
  readonly start: number[];
  readonly trace: string[] = [];
  readonly wakeLatency: number[] = [];
  readonly boostedOnWake: boolean[] = [];
  coRun = 0;                   // picks that found a sibling running on another CPU
  preempts = 0;                // wakes that preempted a running vCPU
  maxUnderWait = 0;
  now = 0;
  windowStart = 0;
  checkStarvation = true;

  constructor(readonly cpus: number, period = PERIOD, slice = SLICE) {
    expect(this.x.schedTestCreate(POLICY_CREDIT, cpus, 64, BigInt(period), BigInt(slice))).toBe(1);
    this.freeAt = Array(cpus).fill(0);
    this.cur = Array(cpus).fill(-1);
    this.start = Array(cpus).fill(0);
    this.x.schedTick(0n);
  }

  add(dom: number, mask = ALL, work: Work = {}): number {
    const id = this.vcpus.length;
    expect(this.x.schedAdd(id, dom, mask)).toBe(1);
    this.vcpus.push({
      id, dom, mask, work, blocked: false, wakeAt: -1, burstLeft: work.burst ?? Infinity,
      ran: 0, queuedUnderAt: -1, wokeAt: -1,
    });
    return id;
  }
  params(dom: number, weight: number, cap = 0): void { this.x.schedSetDomainParams(dom, weight, cap); }

  // Runs the clock up to `until`.
  run(until: number): void {
    while (true) {
      let t = Math.min(...this.freeAt);
      for (const v of this.vcpus) if (v.blocked && v.wakeAt >= 0 && v.wakeAt < t) t = v.wakeAt;
      if (t >= until) break;
      this.now = t;
      for (const v of this.vcpus) {
        if (!v.blocked || v.wakeAt !== t) continue;
        v.blocked = false;
        v.wakeAt = -1;
        v.burstLeft = v.work.burst ?? Infinity;
        const kick = this.x.schedWake(v.id, BigInt(t));
        v.wokeAt = t;
        this.boostedOnWake.push(this.x.schedVcpuPriority(v.id) === PRIO_BOOST);
        // The named CPU picks again now: it idles, or runs something the
        // woken vCPU outranks (preempted: its run so far is charged).
        if (kick >= 0) {
          if (this.cur[kick] >= 0) this.preempts++;
          this.freeAt[kick] = t;
        }
      }
      for (let c = 0; c < this.cpus; c++) if (this.freeAt[c] === t) this.step(c, t);
      this.checkWaits(t);
    }
  }

  private step(c: number, t: number): void {
    const prev = this.cur[c];
    if (prev >= 0) {
      const v = this.vcpus[prev];
      const ran = t - this.start[c];
      v.ran += Math.max(0, t - Math.max(this.start[c], this.windowStart));
      v.burstLeft -= ran;
      if (v.burstLeft <= 0) {
        // The guest halted: the run loop blocks it, then charges it.
        v.blocked = true;
        v.wakeAt = t + (v.work.sleep ?? 0);
        this.x.schedBlock(v.id);
      }
      this.x.schedCharge(v.id, BigInt(ran), BigInt(t));
      this.cur[c] = -1;
    }
    const id = this.x.schedPick(c, BigInt(t));
    const slice = Number(this.x.schedSlice(c));
    expect(slice).toBeGreaterThan(0);
    expect(slice).toBeLessThanOrEqual(SLICE);
    this.trace.push(`${t}:${c}:${id}`);
    if (id < 0) { this.freeAt[c] = t + slice; return; }
    const v = this.vcpus[id];
    if (v.blocked) throw new Error(`blocked vCPU ${id} picked on CPU ${c} at ${t}`);
    if (((v.mask >> BigInt(c)) & 1n) === 0n) throw new Error(`vCPU ${id} picked on CPU ${c} outside its affinity`);
    if (this.cur.includes(id)) throw new Error(`vCPU ${id} picked on two CPUs at ${t}`);
    if (this.cur.some((o, oc) => oc !== c && o >= 0 && this.vcpus[o].dom === v.dom)) this.coRun++;
    if (v.wokeAt >= 0) { this.wakeLatency.push(t - v.wokeAt); v.wokeAt = -1; }
    expect(this.x.schedRunning(c)).toBe(id);
    this.cur[c] = id;
    this.start[c] = t;
    this.freeAt[c] = t + Math.min(slice, v.burstLeft);
  }

  // A queued vCPU that has been UNDER (or BOOST) the whole time it waited
  // must run within (number of vCPUs) x slice.
  private checkWaits(t: number): void {
    for (const v of this.vcpus) {
      const queued = !v.blocked && !this.cur.includes(v.id);
      if (queued && this.x.schedVcpuPriority(v.id) >= PRIO_UNDER) {
        if (v.queuedUnderAt < 0) v.queuedUnderAt = t;
        const wait = t - v.queuedUnderAt;
        this.maxUnderWait = Math.max(this.maxUnderWait, wait);
        if (this.checkStarvation && wait > this.vcpus.length * SLICE) {
          throw new Error(`UNDER vCPU ${v.id} waited ${wait} ticks`);
        }
      } else v.queuedUnderAt = -1;
    }
  }

  // Runs `warm` periods, then measures each domain's CPU time over `window` periods.
  measure(warm: number, window: number): Map<number, number> {
    this.run(warm * PERIOD);
    this.windowStart = warm * PERIOD;
    for (const v of this.vcpus) v.ran = 0;
    this.run((warm + window) * PERIOD);
    const end = (warm + window) * PERIOD;
    // Slices still running at the end count up to the window's end.
    for (let c = 0; c < this.cpus; c++) {
      if (this.cur[c] >= 0) this.vcpus[this.cur[c]].ran += end - Math.max(this.start[c], this.windowStart);
    }
    const byDom = new Map<number, number>();
    for (const v of this.vcpus) byDom.set(v.dom, (byDom.get(v.dom) ?? 0) + v.ran);
    return byDom;
  }
}

// Relative error of each domain's share of all CPUs against the expected one.
function shareErrors(used: Map<number, number>, expected: Map<number, number>, capacity: number): number[] {
  return [...expected].map(([d, e]) => Math.abs((used.get(d) ?? 0) / capacity - e) / e);
}

const worst: Record<string, number> = {};
function record(name: string, errs: number[]): void {
  worst[name] = Math.max(...errs);
  console.log(`credit: ${name}: worst relative share error ${(worst[name] * 100).toFixed(2)}%`);
}

function weighted(cpus: number, vcpusPerDomain: number): Sim {
  const s = new Sim(cpus);
  [1, 2, 4].forEach((w, i) => {
    s.params(i + 1, 256 * w);
    for (let k = 0; k < vcpusPerDomain; k++) s.add(i + 1);
  });
  return s;
}
const SEVENTHS = new Map([[1, 1 / 7], [2, 2 / 7], [3, 4 / 7]]);

describe("credit scheduler policy", () => {
  it("is the credit policy and refuses bad parameters", () => {
    const m = new Machine();
    expect(m.exports.schedTestCreate(POLICY_CREDIT, 0, 8, 30n, 10n)).toBe(0);
    expect(m.exports.schedTestCreate(POLICY_CREDIT, 65, 8, 30n, 10n)).toBe(0);
    expect(m.exports.schedTestCreate(99, 1, 8, 30n, 10n)).toBe(0);
    expect(m.exports.schedTestCreate(POLICY_CREDIT, 2, 8, 30n, 10n)).toBe(1);
    expect(m.str("schedPolicyName")).toBe("credit");
    expect(m.exports.schedAdd(0, 1, 0b100n)).toBe(0);   // no online CPU in the mask
    expect(m.exports.schedAdd(8, 1, ALL)).toBe(0);      // id out of range
    expect(m.exports.schedAdd(0, 1, ALL)).toBe(1);
    expect(m.exports.schedAdd(0, 1, ALL)).toBe(0);      // already present
    expect(m.exports.schedQueueLength(0) + m.exports.schedQueueLength(1)).toBe(1);
  });

  it("shares one CPU 1:2:4 by weight among three CPU-bound domains", () => {
    const s = weighted(1, 1);
    const used = s.measure(10, 100);
    const errs = shareErrors(used, SEVENTHS, 100 * PERIOD);
    record("1:2:4 on 1 CPU", errs);
    for (const e of errs) expect(e).toBeLessThan(0.05);
  });

  it.each([[2, 2], [4, 3]])("shares %i CPUs 1:2:4 with %i vCPUs per domain", (cpus, per) => {
    const s = weighted(cpus, per);
    const used = s.measure(10, 100);
    const errs = shareErrors(used, SEVENTHS, 100 * PERIOD * cpus);
    record(`1:2:4 on ${cpus} CPUs`, errs);
    for (const e of errs) expect(e).toBeLessThan(0.05);
    for (let c = 0; c < cpus; c++) expect(s.x.schedIdleTicks(c)).toBe(0n);
  });

  it("keeps a capped domain at its cap even when the CPU would idle", () => {
    const s = new Sim(1);
    s.params(1, 256, 25);
    s.add(1);
    const used = s.measure(5, 100);
    const share = used.get(1)! / (100 * PERIOD);
    console.log(`credit: cap 25% alone: ${(share * 100).toFixed(2)}%`);
    expect(share).toBeLessThanOrEqual(0.25 + 1 / PERIOD);
    expect(share).toBeGreaterThan(0.24);
    expect(Number(s.x.schedIdleTicks(0))).toBeGreaterThan(0.7 * 105 * PERIOD);
  });

  it("keeps a heavy capped 2-vCPU domain at its cap and gives the rest away", () => {
    const s = new Sim(2);
    s.checkStarvation = false;   // a parked UNDER vCPU legitimately waits
    s.params(1, 256 * 8, 25);
    s.add(1); s.add(1);
    s.params(2, 256);
    s.add(2); s.add(2);
    const used = s.measure(5, 100);
    const capped = used.get(1)! / (100 * PERIOD);      // of one CPU
    console.log(`credit: cap 25% of 2 vCPUs vs a competitor: ${(capped * 100).toFixed(2)}% of one CPU`);
    expect(capped).toBeLessThanOrEqual(0.25 + 1 / PERIOD);
    expect(capped).toBeGreaterThan(0.24);
    expect(used.get(2)! / (100 * PERIOD)).toBeGreaterThan(1.74);
  });

  it("never runs a pinned vCPU on another CPU", () => {
    const s = new Sim(4);
    const pinned = s.add(1, 0b0100n);
    for (let i = 0; i < 6; i++) s.add(2 + (i % 3));
    s.run(50 * PERIOD);   // the loop throws on a pick outside the mask
    const picks = s.trace.filter((e) => e.endsWith(`:${pinned}`));
    expect(picks.length).toBeGreaterThan(10);
    for (const p of picks) expect(p.split(":")[1]).toBe("2");
    expect(s.x.schedVcpuCpu(pinned)).toBe(2);
    // Re-pinning a queued or running vCPU takes effect at once.
    expect(s.x.schedSetAffinity(pinned, 0b1000n)).toBe(1);
    expect(s.x.schedSetAffinity(pinned, 1n << 40n)).toBe(0);
    s.vcpus[pinned].mask = 0b1000n;
    s.run(100 * PERIOD);
    expect(s.trace.filter((e) => e.endsWith(`:${pinned}`) && e.split(":")[1] === "3").length).toBeGreaterThan(10);
  });

  it("never picks a blocked vCPU; a mostly idle domain uses almost nothing", () => {
    const s = new Sim(1);
    s.add(1, ALL, { burst: 100, sleep: 100_000 });
    s.add(2);
    s.add(3);
    const used = s.measure(10, 100);
    const cap = 100 * PERIOD;
    const idle = used.get(1)! / cap, a = used.get(2)! / cap, b = used.get(3)! / cap;
    console.log(`credit: mostly idle domain ${(idle * 100).toFixed(2)}%, others ${(a * 100).toFixed(2)}% / ${(b * 100).toFixed(2)}%`);
    expect(idle).toBeLessThan(0.01);
    expect(idle).toBeGreaterThan(0);
    expect(Math.abs(a - (1 - idle) / 2)).toBeLessThan(0.05 * 0.5);
    expect(Math.abs(b - (1 - idle) / 2)).toBeLessThan(0.05 * 0.5);
    expect(s.x.schedIdleTicks(0)).toBe(0n);
    // While it sleeps it is not on a queue.
    const v = s.vcpus[0];
    if (v.blocked) {
      expect(s.x.schedVcpuState(0)).toBe(3);
      expect(s.x.schedQueueLength(0)).toBe(1);
    }
  });

  it("boosts a woken vCPU: it runs within one slice", () => {
    const s = new Sim(2);
    for (let i = 0; i < 6; i++) s.add(1 + (i % 3));
    s.add(9, ALL, { burst: 500, sleep: 47_000 });
    s.run(200 * PERIOD);
    expect(s.wakeLatency.length).toBeGreaterThan(50);
    console.log(`credit: wake latency max ${Math.max(...s.wakeLatency)} ticks (slice ${SLICE}), ${s.preempts} preemptions`);
    // With every CPU busy the wake names a CPU whose vCPU it outranks: that
    // one is preempted and the woken vCPU runs at once (Xen's tickle).
    expect(Math.max(...s.wakeLatency)).toBe(0);
    expect(s.preempts).toBeGreaterThan(50);
    expect(s.boostedOnWake.every((b) => b)).toBe(true);
    // BOOST jumps ahead of vCPUs that are UNDER too (FIFO alone would not).
    const x = new Machine().exports;
    x.schedTestCreate(POLICY_CREDIT, 1, 8, BigInt(PERIOD), BigInt(SLICE));
    x.schedTick(0n);
    for (let i = 0; i < 5; i++) x.schedAdd(i, i + 1, ALL);
    x.schedTick(BigInt(PERIOD));                     // every domain gets credit
    x.schedBlock(4);
    expect(x.schedPick(0, BigInt(PERIOD))).toBe(0);
    x.schedCharge(0, 10n, BigInt(PERIOD + 10));
    for (let i = 0; i < 4; i++) expect(x.schedVcpuPriority(i)).toBe(PRIO_UNDER);
    expect(x.schedWake(4, BigInt(PERIOD + 10))).toBe(0);   // CPU 0 is between vCPUs: kick it
    expect(x.schedVcpuPriority(4)).toBe(PRIO_BOOST);
    expect(x.schedPick(0, BigInt(PERIOD + 10))).toBe(4);
    x.schedCharge(4, 10n, BigInt(PERIOD + 20));
    expect(x.schedVcpuPriority(4)).toBe(PRIO_UNDER);  // for one slice only
    expect(x.schedPick(0, BigInt(PERIOD + 20))).toBe(1);
  });

  it("runs every one of 16 domains on 2 CPUs with equal shares", () => {
    const s = new Sim(2);
    for (let d = 1; d <= 16; d++) s.add(d);
    const used = s.measure(10, 300);
    const expected = new Map([...Array(16).keys()].map((i) => [i + 1, 1 / 16]));
    const errs = shareErrors(used, expected, 300 * PERIOD * 2);
    record("16 domains on 2 CPUs", errs);
    for (const d of expected.keys()) expect(used.get(d)!).toBeGreaterThan(0);
    for (const e of errs) expect(e).toBeLessThan(0.05);
    console.log(`credit: longest UNDER wait ${s.maxUnderWait} ticks (bound ${16 * SLICE})`);
  });

  it("runs a 2-vCPU domain on both CPUs at once", () => {
    const s = new Sim(2);
    s.params(1, 512);   // entitled to 4/3 of a CPU: it must use both
    s.add(1); s.add(1);
    s.add(2);
    s.run(PERIOD);
    // The first round: both CPUs pick at t=0, and both take a vCPU of domain 1.
    expect(s.trace.slice(0, 2).map((e) => e.split(":")[2]).sort()).toEqual(["0", "1"]);
    const used = s.measure(1, 50);
    expect(s.coRun).toBeGreaterThan(10);
    expect(used.get(1)! / (50 * PERIOD)).toBeGreaterThan(1.3);
  });

  it("steals work for an idle CPU only when affinity allows", () => {
    const m = new Machine();
    const x = m.exports;
    expect(x.schedTestCreate(POLICY_CREDIT, 2, 8, BigInt(PERIOD), BigInt(SLICE))).toBe(1);
    x.schedTick(0n);
    x.schedAdd(0, 1, 0b01n);
    x.schedAdd(1, 2, 0b01n);
    x.schedAdd(2, 3, 0b01n);
    expect(x.schedQueueLength(0)).toBe(3);
    expect(x.schedPick(0, 0n)).toBe(0);
    // Pinned: the idle CPU leaves CPU 0's queue alone.
    expect(x.schedPick(1, 0n)).toBe(-1);
    expect(x.schedQueueLength(0)).toBe(2);
    expect(x.schedSteals(1)).toBe(0n);
    // Allowed: it takes the waiting vCPU.
    expect(x.schedSetAffinity(2, 0b11n)).toBe(1);
    expect(x.schedPick(1, 100n)).toBe(2);
    expect(x.schedSteals(1)).toBe(1n);
    expect(x.schedVcpuCpu(2)).toBe(1);
    expect(x.schedQueueLength(0)).toBe(1);
    // In a run: work queued on a busy CPU spreads to the idle one.
    const s = new Sim(2);
    for (let d = 1; d <= 4; d++) s.add(d, 0b01n);
    for (let i = 0; i < 4; i++) { s.x.schedSetAffinity(i, 0b11n); s.vcpus[i].mask = 0b11n; }
    s.run(20 * PERIOD);
    expect(Number(s.x.schedBusyTicks(1))).toBeGreaterThan(0.95 * 20 * PERIOD);
    expect(Number(s.x.schedSteals(1))).toBeGreaterThan(0);
  });

  it("gives nothing to a CPU outside the online mask", () => {
    const s = new Sim(3);
    expect(s.x.schedSetOnline(0b101n)).toBe(1);
    expect(s.x.schedSetOnline(1n << 5n)).toBe(0);      // none of its 3 CPUs
    for (let d = 1; d <= 4; d++) s.add(d);
    s.params(5, 256);
    expect(s.x.schedAdd(9, 5, 0b010n)).toBe(0);        // only the offline CPU
    for (let i = 0; i < 4; i++) expect(s.x.schedSetAffinity(i, 0b010n)).toBe(0);
    s.run(20 * PERIOD);
    expect(s.trace.filter((e) => e.split(":")[1] === "1" && !e.endsWith(":-1"))).toEqual([]);
    for (let i = 0; i < 4; i++) expect(s.x.schedVcpuCpu(i)).not.toBe(1);
    expect(Number(s.x.schedBusyTicks(0) + s.x.schedBusyTicks(2))).toBeGreaterThan(1.9 * 20 * PERIOD);
  });

  it("names an idle CPU for work queued on a busy one, within affinity", () => {
    const x = new Machine().exports;
    x.schedTestCreate(POLICY_CREDIT, 3, 8, BigInt(PERIOD), BigInt(SLICE));
    x.schedTick(0n);
    x.schedAdd(0, 1, 0b001n);
    x.schedAdd(1, 2, 0b001n);
    expect(x.schedPick(0, 0n)).toBe(0);
    expect(x.schedIdleFor(0)).toBe(-1);                 // CPUs 1 and 2 have not idled yet
    expect(x.schedPick(1, 0n)).toBe(-1);
    expect(x.schedPick(2, 0n)).toBe(-1);
    expect(x.schedIdleFor(0)).toBe(-1);                 // vCPU 1 is pinned to CPU 0
    expect(x.schedSetAffinity(1, 0b101n)).toBe(1);
    expect(x.schedIdleFor(0)).toBe(2);                  // CPU 2 may take it
    expect(x.schedPick(2, 10n)).toBe(1);
    expect(x.schedIdleFor(0)).toBe(-1);                 // nothing left queued
  });

  it("a woken vCPU preempts a lower-priority one, never one it does not outrank", () => {
    const x = new Machine().exports;
    x.schedTestCreate(POLICY_CREDIT, 1, 8, BigInt(PERIOD), BigInt(SLICE));
    x.schedTick(0n);
    x.schedAdd(0, 1, ALL);
    x.schedAdd(1, 2, ALL);
    x.schedTick(BigInt(PERIOD));                        // both UNDER
    x.schedBlock(1);
    expect(x.schedPick(0, BigInt(PERIOD))).toBe(0);
    expect(x.schedWake(1, BigInt(PERIOD + 5))).toBe(0); // BOOST over UNDER: CPU 0 picks again
    expect(x.schedPick(0, BigInt(PERIOD + 5))).toBe(1);
    // A running BOOST vCPU is not preempted by another woken one.
    x.schedBlock(0);
    x.schedCharge(0, 0n, BigInt(PERIOD + 5));
    expect(x.schedWake(0, BigInt(PERIOD + 6))).toBe(-1);
  });

  it("is deterministic", () => {
    const trace = () => {
      const s = new Sim(2);
      [1, 2, 4].forEach((w, i) => { s.params(i + 1, 256 * w); s.add(i + 1); s.add(i + 1); });
      s.add(7, ALL, { burst: 300, sleep: 20_000 });
      s.run(30 * PERIOD);
      return s.trace.join(" ");
    };
    expect(trace()).toBe(trace());
  });
});
