// Events: how the hypervisor tells a domain that something happened (a
// physical interrupt of a device it drives, new hypervisor log lines, output
// on another domain's console): a bit in a page of the domain's memory and
// one interrupt vector, as in Xen's event channels reduced to one port per
// cause (EVENT_* in src/arch/abi.ts).
//
// HC_EVENT_SETUP (src/hypercall/events.ts) registers the page (its
// guest-physical address is the domain's state; the host address it maps to
// is looked up once and kept beside it) and the vector; each vCPU has its own pending word in the page (EVPAGE_PENDING + 8 x vCPU): the domain's events
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
import { IrqController } from "../devices/irq";
import { COM1_ISA_IRQ } from "../arch/uart16550";
import { EVPAGE_PENDING, EVENT_CONSOLE, EVENT_SERIAL } from "../arch/abi";
import { isControlDomain } from "./rights";

// Sets the domain's `event` pending and gets its vector to vCPU 0.
// `fromIrq`: a physical interrupt is behind it, so the injection latency is
// measured and the vCPU, if it wakes, takes the CPU from whatever runs now.
export function eventRaise(dom: Domain, event: u32, fromIrq: bool): void {
  if (dom.vcpus.length == 0) return;
  const v = unchecked(dom.vcpus[0]);
  if (fromIrq && dom.eventPageHost != 0 && v.stats.raisedAt == 0) v.stats.raisedAt = rdtsc();
  eventRaiseVcpu(v, event, fromIrq);
}

// Sets `event` pending in vCPU `v`'s word and gets the vector to it.
// `urgent`: woken, it takes the CPU from whatever runs there now if it
// outranks that (src/sched/scheduler.ts schedWake).
export function eventRaiseVcpu(v: Vcpu, event: u32, urgent: bool): void {
  const dom = v.domain;
  const page = dom.eventPageHost;
  if (page == 0 || dom.state == DOMSTATE_STOPPED) return;
  locked_or64(page + EVPAGE_PENDING + (<usize>v.index << 3), <u64>1 << event);
  v.state.intrPending = true;
  vcpuWake(v, urgent);
}

// `source` wrote to its console ring: EVENT_CONSOLE for every control domain
// with events, except the source itself, once until one of them reads its
// console (hcConsoleRead): a domain printing without end, whose console
// no one watches, wakes them once, not at every byte.
export function eventConsoleOutput(source: Domain): void {
  if (source.consoleNotified) return;
  source.consoleNotified = true;
  for (let i = 0; i < domains.length; i++) {
    const d = unchecked(domains[i]);
    if (d !== source && d.eventPageHost != 0 && isControlDomain(d)) eventRaise(d, EVENT_CONSOLE, false);
  }
}

// The domain stopped: its memory is going, so nothing is written there
// again.
export function eventsStop(dom: Domain): void {
  dom.guest.eventPage = 0;
  dom.guest.eventVector = 0;
  dom.eventPageHost = 0;
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    v.state.intrPending = false;
    v.stats.raisedAt = 0;
  }
}

// The interrupt controller a domain's device lines go to, until it has a
// model of a PC's: the rising edge of an input raises the event for it
// (COM1's IRQ 4 is EVENT_SERIAL, as the physical COM1's is Domain 0's);
// inputs with no event are ignored.
class EventIrqs extends IrqController {
  constructor(public dom: Domain) {
    super();
  }

  setLevel(input: u32, level: bool): void {
    if (level && input == COM1_ISA_IRQ) eventRaise(this.dom, EVENT_SERIAL, false);
  }
}

// The controller for `dom`'s devices. Creation time.
export function eventIrqs(dom: Domain): IrqController {
  return new EventIrqs(dom);
}
