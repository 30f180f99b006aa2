// The microkernel's entry: boot/entry.asm enters long mode and the runtime
// shim (boot/wasm-rt.c) calls kmain with the boot stub's hand-off block.
import { HANDOFF_MB_MAGIC, HANDOFF_MB_INFO, HANDOFF_ENTRY_TSC, HV_VECTOR_SPURIOUS } from "./arch/layout";
import { rdtsc, halt_forever } from "./arch/hw";
import { print, println, printDec, panic } from "./log/log";
import { serialInit } from "./log/serial";
import { parseBootInfo, bootInfoPrint } from "./boot/bootinfo";
import { optionValue } from "./boot/cmdline";
import { framesInit, framesFree, framesTotal } from "./mm/frames";
import { bootReservedRanges } from "./mm/reserved";
import {
  vmxProbe, vmxPrintSummary, vmxPrintMissing, vmxMiscMsr, vmxPreemptionTimerRate, vmxCanSet, vmxExitCtlsMsr, VMX_OK,
} from "./vmx/capabilities";
import { EXIT_SAVE_VMX_PREEMPTION_TIMER_VALUE } from "./arch/vmx";
import { vmxEnable } from "./vmx/vmxon";
import { runInit, run } from "./vmx/run";
import { buildBootDomains } from "./domain/builder";
import { domains } from "./sched/domain";
import { picMaskAll } from "./platform/pic";
import { powerOff } from "./platform/power";
import { lapicInit, lapicId, lapicTimerCalibrate } from "./platform/lapic";
import { acpiInit, acpiPrint } from "./platform/acpi";
import { ioapicInit, ioapicUnits } from "./platform/ioapic";
import { cpusInit } from "./sched/cpus";

export * from "./exports";

const VERSION = "0.1.0";
// TSC ticks over which the LAPIC timer is measured at boot.
const LAPIC_CALIBRATE_TSC: u64 = 1 << 20;

export function kmain(handoff: u32): void {
  serialInit();
  println("hv: tshv " + VERSION + ", a hypervisor for Intel VT-x written in TypeScript");

  const bi = parseBootInfo(<u32>load<u64>(handoff + HANDOFF_MB_MAGIC), <u32>load<u64>(handoff + HANDOFF_MB_INFO));
  if (bi.error.length != 0) panic("bad boot information: " + bi.error);
  bootInfoPrint(bi);

  framesInit(bi.memory, bootReservedRanges(bi));
  print("hv: memory: ");
  printDec(framesTotal() >> 8);
  print(" MiB usable, ");
  printDec(framesFree() >> 8);
  println(" MiB free for domains");

  debugFault(bi.cmdline);

  lapicInit(HV_VECTOR_SPURIOUS);
  acpiPrint(acpiInit(bi.rsdp, lapicId()));
  cpusInit(load<u64>(handoff + HANDOFF_ENTRY_TSC));
  picMaskAll();
  const inputs = ioapicInit();
  const perTsc = lapicTimerCalibrate(LAPIC_CALIBRATE_TSC);
  print("hv: interrupts: ");
  printDec(inputs);
  print(" I/O APIC inputs (");
  printDec(ioapicUnits());
  print(" unit");
  print(ioapicUnits() == 1 ? "" : "s");
  print(") masked; LAPIC timer ");
  printDec((perTsc * 1000000) >> 32);
  println(" ticks per million TSC ticks");

  if (vmxProbe() != VMX_OK) {
    vmxPrintMissing();
    powerOff();
  }
  vmxPrintSummary();
  print("hv: boot to VT-x summary took ");
  printDec(rdtsc() - load<u64>(handoff + HANDOFF_ENTRY_TSC));
  println(" TSC ticks");

  vmxEnable();
  runInit(vmxPreemptionTimerRate(vmxMiscMsr()), vmxCanSet(vmxExitCtlsMsr(), EXIT_SAVE_VMX_PREEMPTION_TIMER_VALUE));
  buildBootDomains(bi, handoff);
  if (domains.length == 0) {
    println("hv: no domains to run; halting");
    halt_forever();
  }
  run();
}

// Test only: `debug_fault=pf` touches memory beyond the direct map (a page
// fault, caught by the boot stub's exception dump); `debug_fault=trap` runs
// into a wasm trap (reported by the runtime shim).
function debugFault(cmdline: string): void {
  const kind = optionValue(cmdline, "debug_fault");
  if (kind === null) return;
  println("hv: debug_fault=" + kind + ": faulting on purpose");
  if (kind == "pf") {
    // Address (4 GiB - 16) + offset 32: 16 bytes past the end of the map.
    load<u64>(<usize>0xfffffff0, 32);
  } else if (kind == "trap") {
    unreachable();
  }
  println("hv: debug_fault: unknown kind \"" + kind + "\" (pf, trap)");
}
