// The credit scheduler (Xen credit semantics, per-domain credit as in credit2).
//
// - Every accounting period (P ticks) the capacity of all CPUs (cpus * P) is
//   shared out as credit among active domains in proportion to weight. A
//   domain's share is limited to what it can use (its vCPUs, at most all
//   CPUs; its cap); the excess goes to the others ("water filling"), so
//   credit handed out matches what can be consumed and weights hold.
// - Running debits the domain's credit; all its vCPUs share it. Credit > 0
//   is UNDER, otherwise OVER; UNDER runs before OVER. A vCPU woken while its
//   domain has credit is BOOST until it is next charged (I/O latency).
// - Per-CPU run queues; pick takes the highest priority and, within UNDER or
//   OVER, the domain with the most credit (FIFO on a tie): shares follow
//   weights even when a domain's vCPUs are queued on some CPUs more than on
//   others.
// - A CPU whose best local choice is OVER or nothing steals the best
//   higher-priority queued vCPU from another CPU whose affinity allows it.
// - Caps: a capped domain's usage per period (with overshoot carried into
//   the next one) and the slices in flight on other CPUs never exceed
//   cap% of P; once reached it is parked until the next period.
// Everything is integer and deterministic (ties go to the lowest index).
import {
  SchedPolicy, VCPU_ABSENT, VCPU_RUNNABLE, VCPU_RUNNING, VCPU_BLOCKED,
  PRIO_IDLE, PRIO_OVER, PRIO_UNDER, PRIO_BOOST,
} from "./policy";
import { SCHED_WEIGHT_DEFAULT } from "../arch/abi";

export const CREDIT_DEFAULT_WEIGHT: u32 = SCHED_WEIGHT_DEFAULT;
// A queued vCPU that has not run for this many accounting periods goes
// first within its priority (bestIn).
const STARVE_PERIODS: u64 = 4;
const MAX_DOMAINS: i32 = 256;

class CreditDomain {
  inUse: bool = false;
  weight: u32 = CREDIT_DEFAULT_WEIGHT;
  cap: u32 = 0;              // percent of one CPU, 0 = uncapped
  credit: i64 = 0;
  used: u64 = 0;             // this period, for the cap (carries overshoot)
  inflight: u64 = 0;         // slices granted to its running vCPUs (cap)
  consumed: u64 = 0;         // this period, for "active"
  vcpus: u32 = 0;
  runnable: u32 = 0;
  share: i64 = 0;            // accounting scratch; -1 = not active
  fixed: bool = false;       // accounting scratch: share clamped to its peak
  constructor(public id: u32) {}

  // The slot is domain `id`'s from now on, as if new.
  take(id: u32): void {
    this.id = id;
    this.inUse = true;
    this.weight = CREDIT_DEFAULT_WEIGHT;
    this.cap = 0;
    this.credit = 0;
    this.used = 0;
    this.inflight = 0;
    this.consumed = 0;
    this.vcpus = 0;
    this.runnable = 0;
    this.share = 0;
    this.fixed = false;
  }
}

const ST_ABSENT: u8 = 0;
const ST_QUEUED: u8 = 1;
const ST_RUNNING: u8 = 2;
const ST_IDLE: u8 = 3;       // present but neither queued nor running (blocked)

class CreditVcpu {
  dom: CreditDomain = changetype<CreditDomain>(0);
  mask: u64 = 0;
  state: u8 = ST_ABSENT;
  blocked: bool = false;
  boost: bool = false;
  cpu: i32 = -1;             // queue / running CPU, or the last one it ran on
  granted: u64 = 0;          // slice granted at pick (for the cap's inflight)
  runTicks: u64 = 0;
  waitingSince: u64 = 0;     // when it last became runnable without running since
  next: CreditVcpu | null = null;
  prev: CreditVcpu | null = null;
  constructor(public id: u32) {}
}

// One FIFO run queue per CPU: an intrusive doubly linked list.
class RunQueue {
  head: CreditVcpu | null = null;
  tail: CreditVcpu | null = null;
  length: u32 = 0;
  current: CreditVcpu | null = null;  // running here, not yet charged
  slice: u64 = 0;
  busy: u64 = 0;
  idle: u64 = 0;
  idleSince: u64 = 0;
  isIdle: bool = false;
  steals: u64 = 0;
}

export class CreditPolicy extends SchedPolicy {
  private vcpus: StaticArray<CreditVcpu | null>;
  // Every slot's object is made here, once: adding entities never allocates.
  private doms: StaticArray<CreditDomain> = new StaticArray<CreditDomain>(MAX_DOMAINS);
  private domSlots: i32 = 0;   // slots in use are below this: accounting walks only those
  private queues: StaticArray<RunQueue>;
  private online: u64;
  private nextAccount: u64;
  private clock: u64 = 0;     // the latest `now` seen
  private started: bool = false;

  constructor(private cpus: u32, private maxVcpus: u32, private period: u64, private sliceLen: u64) {
    super();
    this.vcpus = new StaticArray<CreditVcpu | null>(<i32>maxVcpus);
    this.queues = new StaticArray<RunQueue>(<i32>cpus);
    for (let i: u32 = 0; i < cpus; i++) unchecked(this.queues[i] = new RunQueue());
    for (let i: u32 = 0; i < maxVcpus; i++) unchecked(this.vcpus[i] = new CreditVcpu(i));
    for (let i = 0; i < MAX_DOMAINS; i++) unchecked(this.doms[i] = new CreditDomain(0));
    this.online = cpus == 64 ? <u64>-1 : ((<u64>1 << cpus) - 1);
    this.nextAccount = period;
  }

  name(): string { return "credit"; }

  // ── Entities (allocate at creation only) ──────────────────────────────

  private domain(id: u32, create: bool): CreditDomain | null {
    let free: i32 = -1;
    for (let i = 0; i < MAX_DOMAINS; i++) {
      const d = unchecked(this.doms[i]);
      if (!d.inUse) { if (free < 0) free = i; continue; }
      if (d.id == id) return d;
    }
    if (!create) return null;
    if (free < 0) {
      // Table full: reuse the slot of a domain with no vCPUs left.
      for (let i = 0; i < MAX_DOMAINS; i++) if (unchecked(this.doms[i]).vcpus == 0) { free = i; break; }
      if (free < 0) return null;
    }
    const d = unchecked(this.doms[free]);
    d.take(id);
    if (free >= this.domSlots) this.domSlots = free + 1;
    return d;
  }

  private vcpu(id: u32): CreditVcpu | null {
    if (id >= this.maxVcpus) return null;
    const v = unchecked(this.vcpus[id]);
    return v !== null && v.state != ST_ABSENT ? v : null;
  }

  add(vcpu: u32, domain: u32, cpuAffinityMask: u64): bool {
    if (vcpu >= this.maxVcpus || (cpuAffinityMask & this.online) == 0) return false;
    const v = unchecked(this.vcpus[vcpu])!;
    if (v.state != ST_ABSENT) return false;
    const d = this.domain(domain, true);
    if (d === null) return false;
    v.dom = d;
    v.mask = cpuAffinityMask & this.online;
    v.blocked = false;
    v.boost = false;
    v.runTicks = 0;
    v.granted = 0;
    v.cpu = -1;
    d.vcpus++;
    d.runnable++;
    v.waitingSince = this.clock;
    this.enqueue(v, this.place(v));
    return true;
  }

  remove(vcpu: u32): void {
    const v = this.vcpu(vcpu);
    if (v === null) return;
    if (v.state == ST_QUEUED) this.dequeue(v);
    if (v.state == ST_RUNNING) {
      const q = unchecked(this.queues[v.cpu]);
      q.current = null;
      v.dom.inflight -= v.granted;
      v.granted = 0;
    }
    if (!v.blocked) v.dom.runnable--;
    v.dom.vcpus--;
    v.state = ST_ABSENT;
  }

  setDomainParams(domain: u32, weight: u32, cap: u32): void {
    const d = this.domain(domain, true);
    if (d === null) return;
    d.weight = weight == 0 ? 1 : weight;   // weight 0 would divide by zero
    d.cap = cap;
  }

  setOnline(mask: u64): bool {
    const all = this.cpus == 64 ? <u64>-1 : ((<u64>1 << this.cpus) - 1);
    if ((mask & all) == 0) return false;
    this.online = mask & all;
    return true;
  }

  setAffinity(vcpu: u32, mask: u64): bool {
    const v = this.vcpu(vcpu);
    if (v === null || (mask & this.online) == 0) return false;
    v.mask = mask & this.online;
    // A queued vCPU moves now; a running one moves when charged.
    if (v.state == ST_QUEUED && !this.allowed(v, <u32>v.cpu)) {
      this.dequeue(v);
      this.enqueue(v, this.place(v));
    }
    return true;
  }

  block(vcpu: u32): void {
    const v = this.vcpu(vcpu);
    if (v === null || v.blocked) return;
    v.blocked = true;
    v.boost = false;
    v.dom.runnable--;
    if (v.state == ST_QUEUED) { this.dequeue(v); v.state = ST_IDLE; }
  }

  wake(vcpu: u32, now: u64): i32 {
    const v = this.vcpu(vcpu);
    if (v === null || !v.blocked) return -1;
    this.tick(now);
    v.blocked = false;
    v.dom.runnable++;
    if (v.state == ST_RUNNING) return -1;   // woke before its charge: charge requeues it
    v.boost = v.dom.credit > 0;
    v.waitingSince = now;
    const cpu = this.place(v);
    this.enqueue(v, cpu);
    const q = unchecked(this.queues[cpu]);
    // That CPU picks again now if it idles, or if v outranks what it runs
    // (Xen's tickle): a woken BOOST vCPU does not wait out a slice.
    const cur = q.current;
    if (cur === null || this.prio(v) > this.prio(cur)) return <i32>cpu;
    // Else an idle CPU that may run v steals it.
    return this.idleAllowed(v);
  }

  idleFor(cpu: u32): i32 {
    if (cpu >= this.cpus) return -1;
    let v = unchecked(this.queues[cpu]).head;
    while (v !== null) {
      if (!this.parked(v.dom)) {
        const c = this.idleAllowed(v);
        if (c >= 0) return c;
      }
      v = v.next;
    }
    return -1;
  }

  // An online CPU running nothing on which v may run, or -1.
  private idleAllowed(v: CreditVcpu): i32 {
    for (let c: u32 = 0; c < this.cpus; c++) {
      if (!this.allowed(v, c)) continue;
      const q = unchecked(this.queues[c]);
      if (q.current === null && q.isIdle) return <i32>c;
    }
    return -1;
  }

  // ── The hot path (no allocation) ──────────────────────────────────────

  pick(cpu: u32, now: u64): i32 {
    this.tick(now);
    const q = unchecked(this.queues[cpu]);
    const prev = q.current;
    if (prev !== null) this.charge(prev.id, 0, now);   // never charged: requeue it

    // Best local candidate, then a better one from another CPU if the local
    // one is not UNDER (Xen's csched_load_balance).
    let best = this.bestIn(q, cpu);
    let bestPrio = best !== null ? this.prio(best) : PRIO_IDLE;
    let stolen = false;
    if (bestPrio < PRIO_UNDER) {
      for (let i: u32 = 1; i < this.cpus; i++) {
        const peer = (cpu + i) % this.cpus;
        const c = this.bestIn(unchecked(this.queues[peer]), cpu);
        if (c === null) continue;
        const p = this.prio(c);
        if (p > bestPrio) { best = c; bestPrio = p; stolen = true; }
      }
    }

    if (best === null) {
      if (!q.isIdle) { q.isIdle = true; q.idleSince = now; }
      // Idle until the next period at most: a parked domain may run then.
      const left = this.nextAccount > now ? this.nextAccount - now : 1;
      q.slice = left < this.sliceLen ? left : this.sliceLen;
      return -1;
    }
    if (q.isIdle) { q.isIdle = false; q.idle += now - q.idleSince; }
    if (stolen) q.steals++;
    const v = best;
    this.dequeue(v);
    v.state = ST_RUNNING;
    v.cpu = <i32>cpu;
    let s = this.sliceLen;
    const d = v.dom;
    if (d.cap != 0) {
      const room = this.capBudget(d) - d.used - d.inflight;   // > 0: bestIn checked
      if (room < s) s = room;
    }
    d.inflight += s;   // kept for every domain: a cap may be set while it runs
    v.granted = s;
    q.current = v;
    q.slice = s;
    return <i32>v.id;
  }

  slice(cpu: u32): u64 { return cpu < this.cpus ? unchecked(this.queues[cpu]).slice : 0; }

  charge(vcpu: u32, ranTicks: u64, now: u64): void {
    const v = this.vcpu(vcpu);
    if (v === null || v.state != ST_RUNNING) return;
    const d = v.dom;
    const q = unchecked(this.queues[v.cpu]);
    d.credit -= <i64>ranTicks;
    const floor = -this.creditBound(d);
    if (d.credit < floor) d.credit = floor;      // bounded debt, as Xen
    d.used += ranTicks;
    d.consumed += ranTicks;
    d.inflight -= v.granted;
    v.granted = 0;
    v.runTicks += ranTicks;
    v.boost = false;                              // boost lasts one slice
    q.busy += ranTicks;
    q.current = null;
    v.waitingSince = now;
    if (v.blocked) v.state = ST_IDLE;
    else this.enqueue(v, this.allowed(v, <u32>v.cpu) ? <u32>v.cpu : this.place(v));
    this.tick(now);
  }

  tick(now: u64): void {
    if (now > this.clock) this.clock = now;
    if (!this.started) {
      // The first call fixes the clock's origin.
      this.started = true;
      this.nextAccount = now + this.period;
      return;
    }
    if (now < this.nextAccount) return;
    this.nextAccount += this.period;
    if (this.nextAccount <= now) this.nextAccount = now + this.period;   // missed periods: one refill
    this.account();
  }

  // ── Accounting ────────────────────────────────────────────────────────

  private account(): void {
    let remaining: u64 = <u64>this.cpus * this.period;
    let wsum: u64 = 0;
    for (let i = 0; i < this.domSlots; i++) {
      const d = unchecked(this.doms[i]);
      if (!d.inUse) continue;
      // Active: wants the CPU, or used it, and is not already saturated
      // (a mostly idle domain is not handed credit it cannot spend).
      const active = d.vcpus > 0 && (d.runnable > 0 || d.consumed > 0) && d.credit < this.creditBound(d);
      d.share = active ? 0 : -1;
      d.fixed = false;
      if (active) wsum += d.weight;
      // The cap's overshoot counts against the new period.
      const budget = this.capBudget(d);
      d.used = d.used > budget ? d.used - budget : 0;
      d.consumed = 0;
    }
    // Water filling: a domain whose fair share exceeds what it can use gets
    // that peak, and the rest is shared again among the others.
    let changed = true;
    while (changed && wsum > 0) {
      changed = false;
      for (let i = 0; i < this.domSlots; i++) {
        const d = unchecked(this.doms[i]);
        if (!d.inUse || d.share < 0 || d.fixed) continue;
        const fair = remaining * <u64>d.weight / wsum;
        const peak = this.peak(d);
        if (fair >= peak) {
          d.share = <i64>peak;
          d.fixed = true;
          remaining -= peak;
          wsum -= d.weight;
          changed = true;
        }
      }
    }
    for (let i = 0; i < this.domSlots; i++) {
      const d = unchecked(this.doms[i]);
      if (!d.inUse || d.share < 0) continue;
      if (!d.fixed) d.share = wsum > 0 ? <i64>(remaining * <u64>d.weight / wsum) : 0;
      d.credit += d.share;
      const top = this.creditBound(d);
      if (d.credit > top) d.credit = top;
    }
  }

  // What a domain can use in one period: its vCPUs (up to all CPUs), its cap.
  private peak(d: CreditDomain): u64 {
    const n = d.vcpus < this.cpus ? d.vcpus : this.cpus;
    let p = <u64>n * this.period;
    if (d.cap != 0) { const b = this.capBudget(d); if (b < p) p = b; }
    return p;
  }

  private capBudget(d: CreditDomain): u64 {
    return d.cap == 0 ? <u64>-1 : this.period * <u64>d.cap / 100;
  }

  // Credit is kept within +-(one period per usable CPU): enough to absorb
  // a slice's overrun and the refill, small enough that history fades.
  private creditBound(d: CreditDomain): i64 {
    const n = d.vcpus == 0 ? 1 : (d.vcpus < this.cpus ? d.vcpus : this.cpus);
    return <i64>(<u64>n * this.period);
  }

  // ── Queues ────────────────────────────────────────────────────────────

  private prio(v: CreditVcpu): i32 {
    if (v.dom.credit <= 0) return PRIO_OVER;
    return v.boost ? PRIO_BOOST : PRIO_UNDER;
  }

  private allowed(v: CreditVcpu, cpu: u32): bool { return (v.mask >> cpu) & 1 ? true : false; }

  private parked(d: CreditDomain): bool {
    return d.cap != 0 && d.used + d.inflight >= this.capBudget(d);
  }

  // The vCPU in `q` that may run on `cpu` with the highest priority and,
  // within UNDER or OVER, whose domain has the most credit (as credit2
  // picks); the first in queue order on a tie. Credit, not queue order,
  // decides between domains because their vCPUs are spread over the CPUs
  // unevenly: with FIFO alone a CPU's share would follow who happens to be
  // queued there once every domain is OVER. Picking the domain furthest
  // behind its refill keeps what each consumes in line with its weight.
  // But credit is per domain, so it cannot tell a domain's vCPUs apart: one
  // that has waited a starvation limit (STARVE_PERIODS) goes first within
  // its priority, the oldest such first, so none waits on a CPU for ever
  // while a sibling on another CPU takes every turn its domain gets.
  private bestIn(q: RunQueue, cpu: u32): CreditVcpu | null {
    let best: CreditVcpu | null = null;
    let bestPrio = PRIO_IDLE;
    let bestCredit: i64 = 0;
    let bestStarved = false;
    const limit = this.period * STARVE_PERIODS;
    let v = q.head;
    while (v !== null) {
      if (this.allowed(v, cpu) && !this.parked(v.dom)) {
        const p = this.prio(v);
        if (p == PRIO_BOOST) return v;
        const c = v.dom.credit;
        const starved = this.clock - v.waitingSince >= limit;
        if (p > bestPrio || (p == bestPrio && !bestStarved && (starved || c > bestCredit))) {
          best = v; bestPrio = p; bestCredit = c; bestStarved = starved;
        }
      }
      v = v.next;
    }
    return best;
  }

  // Where a vCPU is queued: the allowed CPU with the least work (queued plus
  // running), its previous CPU on a tie (cache), else the lowest index.
  private place(v: CreditVcpu): u32 {
    let best: u32 = 0;
    let bestLoad: u32 = <u32>-1;
    for (let c: u32 = 0; c < this.cpus; c++) {
      if (!this.allowed(v, c)) continue;
      const q = unchecked(this.queues[c]);
      const load = q.length + (q.current !== null ? 1 : 0);
      if (load < bestLoad || (load == bestLoad && <i32>c == v.cpu)) { best = c; bestLoad = load; }
    }
    return best;
  }

  private enqueue(v: CreditVcpu, cpu: u32): void {
    const q = unchecked(this.queues[cpu]);
    v.state = ST_QUEUED;
    v.cpu = <i32>cpu;
    v.next = null;
    v.prev = q.tail;
    const t = q.tail;
    if (t !== null) t.next = v; else q.head = v;
    q.tail = v;
    q.length++;
  }

  private dequeue(v: CreditVcpu): void {
    const q = unchecked(this.queues[v.cpu]);
    const p = v.prev, n = v.next;
    if (p !== null) p.next = n; else q.head = n;
    if (n !== null) n.prev = p; else q.tail = p;
    v.next = null;
    v.prev = null;
    q.length--;
    v.state = ST_IDLE;
  }

  // ── Inspection ────────────────────────────────────────────────────────

  cpuCount(): u32 { return this.cpus; }
  queueLength(cpu: u32): u32 { return cpu < this.cpus ? unchecked(this.queues[cpu]).length : 0; }
  running(cpu: u32): i32 {
    if (cpu >= this.cpus) return -1;
    const c = unchecked(this.queues[cpu]).current;
    return c !== null ? <i32>c.id : -1;
  }
  busyTicks(cpu: u32): u64 { return cpu < this.cpus ? unchecked(this.queues[cpu]).busy : 0; }
  idleTicks(cpu: u32): u64 { return cpu < this.cpus ? unchecked(this.queues[cpu]).idle : 0; }
  steals(cpu: u32): u64 { return cpu < this.cpus ? unchecked(this.queues[cpu]).steals : 0; }
  vcpuState(vcpu: u32): u32 {
    const v = this.vcpu(vcpu);
    if (v === null) return VCPU_ABSENT;
    if (v.state == ST_RUNNING) return VCPU_RUNNING;
    return v.state == ST_QUEUED ? VCPU_RUNNABLE : VCPU_BLOCKED;
  }
  vcpuCpu(vcpu: u32): i32 { const v = this.vcpu(vcpu); return v !== null ? v.cpu : -1; }
  vcpuPriority(vcpu: u32): i32 {
    const v = this.vcpu(vcpu);
    return v !== null && !v.blocked ? this.prio(v) : PRIO_IDLE;
  }
  vcpuRunTicks(vcpu: u32): u64 { const v = this.vcpu(vcpu); return v !== null ? v.runTicks : 0; }
  domainCredit(domain: u32): i64 { const d = this.domain(domain, false); return d !== null ? d.credit : 0; }
}
