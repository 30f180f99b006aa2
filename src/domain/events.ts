// Events: how the hypervisor tells a domain that something happened (a
// physical interrupt of a device it drives, new hypervisor log lines, output
// on another domain's console): a bit in a page of the domain's memory and
// one interrupt vector, as in Xen's event channels reduced to one port per
// cause (EVENT_* in src/hypercall/abi.ts).
//
// HC_EVENT_SETUP registers the page and the vector; each vCPU has its own
// pending word in the page (EVPAGE_PENDING + 8 x vCPU): the domain's events
// go to vCPU 0, a vCPU's timer (src/domain/timer.ts) to that vCPU. A raise
// sets the event's bit with a locked OR (the guest takes the bits with an
// atomic exchange, perhaps on another CPU) and marks the vCPU; the vector is
// injected before its next VM entry, as soon as it can take an external
// interrupt (src/vmx/event.ts). Raises coalesce until then. A vCPU halted
// with interrupts enabled wakes; one halted with IF=0 (cli; hlt) stays
// blocked, as a real CPU would. Nothing here touches a VMCS, so an event may
// be raised for any vCPU, current or not.
import { Domain, Vcpu, DOMAIN_STOPPED, domains } from "../sched/domain";
import { schedWake } from "../sched/scheduler";
import { guestRangeOk, guestToHost } from "./memory";
import { serialConsoleCheck, serialConsoleTake } from "../platform/serial-console";
import { timerCancel } from "./timer";
import { locked_or64, rdtsc } from "../arch/hw";
import { VECTOR_COUNT } from "../arch/vmx-exit";
import {
  EFAULT, EINVAL, RIGHT_CONTROL, EVPAGE_PENDING, EVENT_VECTOR_MIN, EVENT_CONSOLE, EVSETUP_FLAG_CONSOLE,
} from "../hypercall/abi";

const PAGE_SIZE: u64 = 4096;
const VECTOR_MAX: u64 = <u64>VECTOR_COUNT - 1;

@inline function err(e: u32): i64 { return -<i64>e; }

// HC_EVENT_SETUP(page, vector, flags). Checks, in order: flags (-EINVAL),
// vector 32-255 (-EINVAL), the page 4 KiB aligned and wholly the caller's
// memory (-EFAULT), and with EVSETUP_FLAG_CONSOLE the right to the console
// (-EPERM, -EBUSY); nothing changes on an error. Calling again moves the
// page and vector; the console stays taken. Returns 0, or with
// EVSETUP_FLAG_CONSOLE the hypervisor log's write position (HC_LOG_READ):
// from there on the log reaches the console only through the caller.
export function hcEventSetup(caller: Domain, page: u64, vector: u64, flags: u64): i64 {
  if ((flags & ~<u64>EVSETUP_FLAG_CONSOLE) != 0) return err(EINVAL);
  if (vector < <u64>EVENT_VECTOR_MIN || vector > VECTOR_MAX) return err(EINVAL);
  if ((page & (PAGE_SIZE - 1)) != 0 || !guestRangeOk(caller, page, PAGE_SIZE)) return err(EFAULT);
  const console = (flags & EVSETUP_FLAG_CONSOLE) != 0;
  if (console) {
    const e = serialConsoleCheck(caller);
    if (e != 0) return err(e);
  }
  // Aligned and mapped: the page is one host page (guest memory is never
  // split below 4 KiB), so its host address holds for all of it.
  caller.eventPage = <usize>guestToHost(caller, page);
  caller.eventVector = <u32>vector;
  return console ? <i64>serialConsoleTake(caller) : 0;
}

// Sets the domain's `event` pending and gets its vector to vCPU 0.
// `fromIrq`: a physical interrupt is behind it, so the injection latency is
// measured and the vCPU, if it wakes, takes the CPU from whatever runs now.
export function eventRaise(dom: Domain, event: u32, fromIrq: bool): void {
  if (dom.vcpus.length == 0) return;
  const v = unchecked(dom.vcpus[0]);
  if (fromIrq && dom.eventPage != 0 && v.raisedAt == 0) v.raisedAt = rdtsc();
  eventRaiseVcpu(v, event, fromIrq);
}

// Sets `event` pending in vCPU `v`'s word and gets the vector to it.
// `urgent`: woken, it takes the CPU from whatever runs there now if it
// outranks that (src/sched/scheduler.ts schedWake).
export function eventRaiseVcpu(v: Vcpu, event: u32, urgent: bool): void {
  const dom = v.domain;
  const page = dom.eventPage;
  if (page == 0 || dom.state == DOMAIN_STOPPED) return;
  locked_or64(page + EVPAGE_PENDING + (<usize>v.index << 3), <u64>1 << event);
  v.intrPending = true;
  if (v.halted && v.haltIf) {
    v.halted = false;
    schedWake(v, rdtsc(), urgent);
  }
}

// `source` wrote to its console ring: EVENT_CONSOLE for every control domain
// with events, except the source itself.
export function eventConsoleOutput(source: Domain): void {
  for (let i = 0; i < domains.length; i++) {
    const d = unchecked(domains[i]);
    if (d !== source && d.eventPage != 0 && (d.rights & RIGHT_CONTROL) != 0) eventRaise(d, EVENT_CONSOLE, false);
  }
}

// The domain stopped: its memory is going, so nothing is written there
// again, and its timers are off.
export function eventsStop(dom: Domain): void {
  dom.eventPage = 0;
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    v.intrPending = false;
    v.raisedAt = 0;
    timerCancel(v);
  }
}
