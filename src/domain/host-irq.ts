// Host interrupts: the one place a vector taken by the host is handled.
// Both ways in lead here: an external-interrupt VM exit (the vector
// acknowledged on exit, or taken through the IDT in irq_window when the CPU
// cannot acknowledge on exit) and the idle loop (idle_wait). The interrupt
// stubs of boot/idt.asm only record vectors; irqDrain takes them.
//
// Each I/O APIC input has at most one owner, a domain, which receives it as
// an event (src/domain/events.ts): COM1's IRQ 4 is Domain 0's EVENT_SERIAL
// once it holds the serial console. Inputs are edge-triggered ISA IRQs, so
// the EOI goes at once; a level-triggered owner would need the input masked
// until the domain has serviced its device.
import { Domain } from "./domain";
import { eventRaise } from "./events";
import { lapicEoi } from "../platform/lapic";
import { irq_take } from "../arch/hw";
import { HV_VECTOR_IRQ_BASE, HV_VECTOR_IRQ_COUNT, HV_VECTOR_SPURIOUS, HV_VECTOR_TIMER, HV_VECTOR_IPI } from "../arch/layout";
import { print, println, printHex } from "../log/log";
import { VECTOR_COUNT as VECTORS } from "../arch/vmx-exit";

const owners = new StaticArray<Domain | null>(<i32>HV_VECTOR_IRQ_COUNT);
const ownerEvents = new StaticArray<u32>(<i32>HV_VECTOR_IRQ_COUNT);
const counts = new StaticArray<u64>(<i32>VECTORS);

// I/O APIC input `gsi` goes to `dom` as `event`.
export function irqBind(gsi: u32, dom: Domain, event: u32): void {
  if (gsi >= HV_VECTOR_IRQ_COUNT) return;
  unchecked(owners[gsi] = dom);
  unchecked(ownerEvents[gsi] = event);
}

export function irqUnbind(gsi: u32): void {
  if (gsi < HV_VECTOR_IRQ_COUNT) unchecked(owners[gsi] = null);
}

// Handles one vector taken by this CPU. No allocation: runs on exit paths.
export function irqDispatch(vector: u32): void {
  vector &= VECTORS - 1;
  unchecked(counts[vector] = counts[vector] + 1);
  if (vector == HV_VECTOR_SPURIOUS) return; // no EOI for the spurious vector (SDM Vol. 3A 11.9)
  lapicEoi();
  const gsi = vector - HV_VECTOR_IRQ_BASE;
  if (gsi < HV_VECTOR_IRQ_COUNT && unchecked(owners[gsi]) !== null) {
    eventRaise(unchecked(owners[gsi])!, unchecked(ownerEvents[gsi]), true);
    return;
  }
  // HV_VECTOR_TIMER ended an idle wait: the run loop looks again.
  // HV_VECTOR_IPI: another CPU changed this one's run queue (SMP).
  if (vector == HV_VECTOR_TIMER || vector == HV_VECTOR_IPI) return;
  // Nobody's: a masked input or a source the firmware left armed. Said once.
  if (unchecked(counts[vector]) == 1) {
    print("hv: interrupt on vector ");
    printHex(vector, 2);
    println(" that nothing owns; counted and ignored");
  }
}

// Takes every vector the interrupt stubs recorded; how many there were.
export function irqDrain(): u32 {
  let n: u32 = 0;
  let v = irq_take();
  while (v >= 0) {
    irqDispatch(<u32>v);
    n++;
    v = irq_take();
  }
  return n;
}

// Interrupts taken on `vector` since boot.
export function irqCount(vector: u32): u64 {
  return vector < VECTORS ? unchecked(counts[vector]) : 0;
}
