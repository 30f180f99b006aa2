// Events: how the hypervisor tells a domain that something happened (a
// physical interrupt of a device it drives, new hypervisor log lines, output
// on another domain's console): a bit in a page of the domain's memory and
// one interrupt vector, as in Xen's event channels reduced to one port per
// cause (EVENT_* in src/arch/abi.ts).
//
// HC_EVENT_SETUP (src/hypercall/events.ts) registers the page and the
// vector; each vCPU has its own pending word in the page (EVPAGE_PENDING + 8 x vCPU): the domain's events
// go to vCPU 0, a vCPU's timer (src/domain/timer.ts) to that vCPU. A raise
// sets the event's bit with a locked OR (the guest takes the bits with an
// atomic exchange, perhaps on another CPU) and marks the vCPU; the vector is
// injected before its next VM entry, as soon as it can take an external
// interrupt (src/vmx/event.ts). Raises coalesce until then. A vCPU halted
// with interrupts enabled wakes; one halted with IF=0 (cli; hlt) stays
// blocked, as a real CPU would. Nothing here touches a VMCS, so an event may
// be raised for any vCPU, current or not.
import { Domain, Vcpu, DOMSTATE_STOPPED, domains } from "./domain";
import { vcpuWake } from "./wake";
import { locked_or64, rdtsc } from "../arch/hw";
import { RIGHT_CONTROL, EVPAGE_PENDING, EVENT_CONSOLE } from "../arch/abi";

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
  if (page == 0 || dom.state == DOMSTATE_STOPPED) return;
  locked_or64(page + EVPAGE_PENDING + (<usize>v.index << 3), <u64>1 << event);
  v.intrPending = true;
  vcpuWake(v, urgent);
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
// again.
export function eventsStop(dom: Domain): void {
  dom.eventPage = 0;
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    v.intrPending = false;
    v.raisedAt = 0;
  }
}
