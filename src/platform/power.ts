// Powering the machine off when the hypervisor has nothing left to do.
import { outb, halt_forever } from "../arch/hw";
import { BOCHS_SHUTDOWN_PORT, ISA_DEBUG_EXIT_PORT } from "../arch/platform";
import { println, logFlush } from "../log/log";

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
