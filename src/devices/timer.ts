// Device timers: a one-shot deadline in the guest's own time (the TSC of the
// vCPU the timer belongs to), held by a device model or by a vCPU (its
// HC_TIMER_SET timer). An armed timer is on its domain's queue; the CPU that
// serves the vCPU bounds its VMX-preemption or LAPIC timer by the nearest
// deadline and fires what is due (src/domain/timer.ts). A deadline in guest
// time means the same after a restore on another host or at another time.
// Arming and firing allocate nothing.
export abstract class TimerClient {
  // `t`'s deadline passed; it is no longer armed (the client may re-arm it).
  abstract expired(t: Timer): void;
}

// Timers armed anywhere: the exit path's one-load check.
let armedTotal: u32 = 0;

@inline export function timersArmedAnywhere(): bool {
  return armedTotal != 0;
}

// Counts arm() calls: a CPU running a vCPU compares it after each exit and
// bounds its VMX-preemption timer again when a timer was armed (a LAPIC,
// PIT or RTC register write, HC_TIMER_SET), so a deadline nearer than the
// slice's end is not late by a slice.
let armSeq: u32 = 0;

@inline export function timersArmSeq(): u32 {
  return armSeq;
}

// A domain's armed timers: an intrusive list, few entries, scanned.
@final
export class TimerQueue {
  head: Timer | null = null;
}

@final
export class Timer {
  deadline: u64 = 0;            // on vCPU `vcpu`'s TSC; 0: not armed
  next: Timer | null = null;    // on the queue

  constructor(public queue: TimerQueue, public vcpu: u32, public client: TimerClient) {}

  @inline get armed(): bool {
    return this.deadline != 0;
  }

  // Fires once the vCPU's TSC reaches `deadline` (0 is taken as 1).
  arm(deadline: u64): void {
    if (this.deadline == 0) {
      this.next = this.queue.head;
      this.queue.head = this;
      armedTotal++;
    }
    this.deadline = deadline != 0 ? deadline : 1;
    armSeq++;
  }

  cancel(): void {
    if (this.deadline == 0) return;
    this.deadline = 0;
    armedTotal--;
    let p = this.queue.head;
    if (p === this) {
      this.queue.head = this.next;
    } else {
      while (p !== null && p.next !== this) p = p.next;
      if (p !== null) p.next = this.next;
    }
    this.next = null;
  }
}
