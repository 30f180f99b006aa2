// The physical serial console, COM1. The hypervisor prints its log there
// until Domain 0 takes it (HC_EVENT_SETUP with EVSETUP_FLAG_CONSOLE); from
// then on the log goes only to the ring, and Domain 0, told of each new
// line by EVENT_LOG, prints it between its own output (dmesg), so the two
// never garble each other. COM1's interrupt becomes Domain 0's EVENT_SERIAL.
// A panic or an exception dump still writes to COM1 directly (log.ts
// panic(), boot/idt.asm). When the holder stops, the hypervisor resets the
// UART to its own settings and prints there again.
import { Domain, DOMSTATE_STOPPED, domain0 } from "./domain";
import { eventRaise } from "./events";
import { hasRight } from "./rights";
import { RIGHT_CONSOLE, EPERM, EBUSY, EVENT_SERIAL, EVENT_LOG } from "../arch/abi";
import { COM1_ISA_IRQ } from "../arch/uart16550";
import { ioapicRouteIsa, ioapicUnmask, ioapicMask } from "../platform/ioapic";
import { irqBind, irqUnbind } from "./host-irq";
import { cpuApicId } from "../cpu/percpu";
import { serialInit } from "../log/serial";
import { print, println, printDec, logHead, logToSerial, logTakeNewLines, logSerialShared } from "../log/log";

let holder: Domain | null = null;
let gsi: i32 = -1;

// 0 if `dom` may take the console, else the errno: EPERM unless it is
// Domain 0 (the domain with the COM1 ports) holding RIGHT_CONSOLE, EBUSY
// while another live domain holds it.
export function serialConsoleCheck(dom: Domain): u32 {
  if (dom !== domain0() || !hasRight(dom, RIGHT_CONSOLE)) return EPERM;
  const h = holder;
  if (h !== null && h !== dom && h.state != DOMSTATE_STOPPED) return EBUSY;
  return 0;
}

// Hands COM1 to `dom` (serialConsoleCheck said yes). Returns the log's
// write position: what follows is the holder's to print.
export function serialConsoleTake(dom: Domain): u64 {
  if (holder === dom) return logHead();
  print("hv: domain ");
  printDec(dom.id);
  print(" (");
  print(dom.name);
  println(") takes the serial console; the hypervisor log goes on in its dmesg");
  gsi = ioapicRouteIsa(COM1_ISA_IRQ, cpuApicId(0));
  if (gsi >= 0) {
    irqBind(<u32>gsi, dom, EVENT_SERIAL);
    ioapicUnmask(<u32>gsi);
  } else {
    println("hv: COM1's IRQ 4 has no I/O APIC input with a host vector: no EVENT_SERIAL");
  }
  holder = dom;
  logTakeNewLines();
  // What has not reached the wire yet is the holder's to print.
  return logToSerial(false);
}

// `dom` stopped: if it held the console, the hypervisor takes COM1 back.
export function serialConsoleRelease(dom: Domain, why: string): void {
  if (holder !== dom) return;
  if (gsi >= 0) {
    ioapicMask(<u32>gsi);
    irqUnbind(<u32>gsi);
    gsi = -1;
  }
  holder = null;
  serialInit();
  logSerialShared(false);
  logToSerial(true);
  print("hv: serial console back from domain ");
  printDec(dom.id);
  print(" (");
  print(dom.name);
  print("): ");
  print(why);
  print("; ");
  printDec(dom.stats.irqEvents);
  print(" interrupts delivered");
  if (dom.stats.irqEvents != 0) {
    print(", interrupt to injection min ");
    printDec(dom.stats.irqLatencyMin);
    print(" avg ");
    printDec(dom.stats.irqLatencySum / dom.stats.irqEvents);
    print(" max ");
    printDec(dom.stats.irqLatencyMax);
    print(" TSC ticks");
  }
  println("");
}

// Before the run loop picks or enters a vCPU: new log lines since the last
// look become one EVENT_LOG for the holder (raising from inside the logger
// could land in the middle of anything).
export function serialConsolePoll(): void {
  const h = holder;
  if (h !== null && logTakeNewLines()) eventRaise(h, EVENT_LOG, false);
}

// The domain holding the console, or null.
export function serialConsoleHolder(): Domain | null { return holder; }

// Test only: makes `dom` the holder without the checks (an -EBUSY case).
export function serialConsoleForce(dom: Domain | null): void { holder = dom; }
