// Powering the machine off or resetting it.
import { outb, halt_forever, rdtsc, vmxoff, triple_fault } from "../arch/hw";
import {
  BOCHS_SHUTDOWN_PORT, ISA_DEBUG_EXIT_PORT, RESET_CONTROL_PORT, RESET_CONTROL_SYS_RST, RESET_CONTROL_RST_CPU,
  KBC_COMMAND_PORT, KBC_PULSE_RESET,
} from "../arch/platform";
import { println, logFlush } from "../log/log";

// How long each reset method gets before the next is tried.
const RESET_SETTLE_TSC: u64 = 1 << 24;

// Ends Bochs or QEMU (isa-debug-exit: exit status 1 for code 0); on hardware
// neither port is decoded and the CPU halts.
export function powerOff(code: u8 = 0): void {
  println("hv: powering off");
  logFlush();
  const bochs = "Shutdown";
  for (let i = 0; i < bochs.length; i++) outb(BOCHS_SHUTDOWN_PORT, <u8>bochs.charCodeAt(i));
  outb(ISA_DEBUG_EXIT_PORT, code);
  halt_forever();
}

// Resets the machine, as Linux's reboot=pci,kbd,triple would: the reset
// control register (SYS_RST set, then RST_CPU rising: a full reset), then
// the keyboard controller's reset pulse, then a triple fault. VMX root
// operation is left first: INIT, which some chipsets make of these, is
// blocked in it (SDM Vol. 3C 24.8).
export function reboot(): void {
  println("hv: rebooting");
  logFlush();
  vmxoff();
  outb(RESET_CONTROL_PORT, RESET_CONTROL_SYS_RST);
  outb(RESET_CONTROL_PORT, RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU);
  settle();
  outb(KBC_COMMAND_PORT, KBC_PULSE_RESET);
  settle();
  triple_fault();
}

function settle(): void {
  const t = rdtsc();
  while (rdtsc() - t < RESET_SETTLE_TSC) {}
}
