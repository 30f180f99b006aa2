// The scheduling policy the run loop asks "what runs next on this CPU, and
// for how long". It sees only small integer vCPU ids, domain ids, affinity
// masks and TSC ticks, never VMX state, so it is unit-tested on a simulated
// clock and another policy (real-time, gang) is one more subclass.
//
// Why an abstract class: AssemblyScript has no cheap interface dispatch, but
// it compiles a call through an abstract method to a direct call guarded by
// a class-id compare (a br_table once there are several subclasses): no
// function table, no allocation. The run loop keeps one `SchedPolicy`
// global and calls through it; policyCreate() (src/sched/scheduler.ts) is
// the only place that names the implementations.
//
// Contract, per CPU (the run loop on CPU `c`, all times in TSC ticks):
//   v = pick(c, now); t = slice(c)     v < 0: idle (hlt) for at most t
//   run v for up to t ticks            (preemption timer armed with t)
//   block(v) if it halted              (before or after charge, either works)
//   charge(v, ran, now)                every pick of a vCPU is charged once
//   tick(now)                          from the timer path; pick/charge call it too
//   wake(v, now) -> cpu                when an event arrives for a blocked vCPU;
//                                      cpu >= 0 should pick again now: it is
//                                      idle, or runs something v preempts (IPI)
//   idleFor(c) -> cpu                  after a pick on c: an idle CPU that may
//                                      run a vCPU still queued on c (IPI), or -1
// A CPU's previous vCPU that was never charged is charged 0 at its next pick.
// setOnline(mask) once, before the first add: CPUs outside it get nothing.

export const POLICY_CREDIT: u32 = 0;

// vCPU states as reported by vcpuState() (for `vcpu-list`).
export const VCPU_ABSENT: u32 = 0;
export const VCPU_RUNNABLE: u32 = 1;   // on a run queue
export const VCPU_RUNNING: u32 = 2;
export const VCPU_BLOCKED: u32 = 3;

// Priorities as reported by vcpuPriority(); higher runs first.
export const PRIO_IDLE: i32 = -1;
export const PRIO_OVER: i32 = 0;       // domain out of credit this period
export const PRIO_UNDER: i32 = 1;      // domain has credit
export const PRIO_BOOST: i32 = 2;      // just woken with credit: one slice ahead

export abstract class SchedPolicy {
  abstract name(): string;
  // Entities. add/remove/setDomainParams allocate (at creation only).
  abstract add(vcpu: u32, domain: u32, cpuAffinityMask: u64): bool;
  abstract remove(vcpu: u32): void;
  abstract setDomainParams(domain: u32, weight: u32, cap: u32): void;  // cap: % of one CPU, 0 = none
  abstract setAffinity(vcpu: u32, mask: u64): bool;                   // false: no online CPU in mask
  abstract setOnline(mask: u64): bool;                                // false: no CPU of the policy in mask
  abstract block(vcpu: u32): void;
  abstract wake(vcpu: u32, now: u64): i32;
  // The hot path: allocation-free.
  abstract pick(cpu: u32, now: u64): i32;
  abstract slice(cpu: u32): u64;
  abstract charge(vcpu: u32, ranTicks: u64, now: u64): void;
  abstract tick(now: u64): void;
  abstract idleFor(cpu: u32): i32;
  // Inspection for `cpus` / `vcpu-list`.
  abstract cpuCount(): u32;
  abstract queueLength(cpu: u32): u32;
  abstract running(cpu: u32): i32;
  abstract busyTicks(cpu: u32): u64;
  abstract idleTicks(cpu: u32): u64;
  abstract steals(cpu: u32): u64;
  abstract vcpuState(vcpu: u32): u32;
  abstract vcpuCpu(vcpu: u32): i32;        // running/queued on, or last ran on
  abstract vcpuPriority(vcpu: u32): i32;
  abstract vcpuRunTicks(vcpu: u32): u64;
  abstract domainCredit(domain: u32): i64;
}
