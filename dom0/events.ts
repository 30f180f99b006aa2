// Events from the hypervisor (HC_EVENT_SETUP): one page of Domain 0's memory
// whose EVPAGE_PENDING word the hypervisor ORs bits into (EVENT_SERIAL,
// EVENT_LOG, EVENT_CONSOLE), raising EVENT_VECTOR as an external interrupt.
// The interrupt only wakes the vCPU (its stub is `iretq`); the bits say what
// happened. An idle Domain 0 sleeps in HLT and leaves the CPU to the others.
import { vmcall, irq_disable, irq_enable, wait_interrupt, xchg64 } from "./hw";
import { HC_EVENT_SETUP, EVPAGE_PENDING, EVSETUP_FLAG_CONSOLE, EVENT_VECTOR_MIN } from "../src/arch/abi";

// Above the 32 exception vectors; any of 32-255 would do.
export const EVENT_VECTOR: u32 = EVENT_VECTOR_MIN + 32;

const page = memory.data(4096, 4096);

// Registers the page and takes the physical console: the hypervisor's log
// position from which Domain 0 prints new log lines, or a negative errno
// (-ENOSYS from a hypervisor without events).
export function eventsSetup(): i64 {
  store<u64>(page + EVPAGE_PENDING, 0);
  return vmcall(HC_EVENT_SETUP, page, EVENT_VECTOR, EVSETUP_FLAG_CONSOLE, 0);
}

// The pending event bits, taken (cleared) atomically; 0 if none.
export function eventsTake(): u64 {
  return xchg64(page + EVPAGE_PENDING, 0);
}

// Sleeps until at least one event is pending and returns the bits. The
// check and the HLT happen with interrupts off, so an event raised in
// between wakes the HLT rather than being missed.
export function eventsWait(): u64 {
  let bits: u64 = 0;
  do {
    irq_disable();
    bits = eventsTake();
    if (bits == 0) wait_interrupt();
  } while (bits == 0);
  irq_enable();
  return bits;
}
