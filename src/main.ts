// The microkernel's entry: boot/entry.asm enters long mode and the runtime
// shim (boot/wasm-rt.c) calls kmain with the boot stub's hand-off block, and
// apMain on every other CPU. Nothing else is exported (the unit tests' entry
// points are src/exports.ts, in the test build only: src/test.ts).
import {
  HANDOFF_MB_MAGIC, HANDOFF_MB_INFO, HANDOFF_ENTRY_TSC, HV_VECTOR_SPURIOUS, CPU_STATE_ONLINE, CPU_STATE_FAILED,
} from "./arch/layout";
import { IA32_PAT } from "./arch/msr";
import { rdtsc, halt_forever, wrmsr, idle_wait } from "./arch/hw";
import { irqDrain } from "./domain/host-irq";
import { print, println, printDec, panic } from "./log/log";
import { serialInit } from "./log/serial";
import { bootInfoPrint } from "./boot/bootinfo";
import { parseBootInfo } from "./boot/parse";
import { optionValue } from "./boot/cmdline";
import { framesInit, framesFree, framesTotal } from "./mm/frames";
import { bootReservedRanges } from "./mm/reserved";
import {
  vmxProbe, vmxPrintSummary, vmxPrintMissing, vmxMiscMsr, vmxPreemptionTimerRate, vmxCanSet, vmxExitCtlsMsr, VMX_OK,
} from "./vmx/capabilities";
import { EXIT_SAVE_VMX_PREEMPTION_TIMER_VALUE } from "./arch/vmx";
import { vmxEnable, vmxCpuEnable } from "./vmx/vmxon";
import { vmxCpuCheck } from "./vmx/capabilities";
import { runInit, run } from "./run";
import { buildBootDomains } from "./lifecycle/builder";
import { domains } from "./domain/domain";
import { picMaskAll } from "./platform/pic";
import { powerOff } from "./platform/power";
import { lapicInit, lapicId, lapicTimerCalibrate } from "./platform/lapic";
import { tscCalibrate, tscMeasured } from "./cpu/tsc";
import { acpiInit, acpiPrint } from "./platform/acpi";
import { ioapicInit, ioapicUnits } from "./platform/ioapic";
import { smpBootCpu, smpStart, smpBootPat, smpStartTicks, smpScheduling, smpStartScheduling } from "./cpu/smp";
import { thisCpu, cpusSetBootTsc } from "./cpu/percpu";
import { dec } from "./lib/str";
import { heapRunning } from "./mm/heap";
import { hostRtcTime } from "./platform/cmos";
import { pcWallClockSet } from "./domain/pc";
import { apicvConfigure } from "./vmx/apic";
import { specBoot, specAp } from "./cpu/mitigations";
import "./lifecycle/startup";


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
  smpBootCpu();
  cpusSetBootTsc(load<u64>(handoff + HANDOFF_ENTRY_TSC));
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
  apicvPrint(optionValue(bi.cmdline, "apicv"));
  const mitigations = optionValue(bi.cmdline, "mitigations");
  const spec = specBoot(mitigations !== null && mitigations == "off");
  for (let i = 0; i < spec.length; i++) println("hv: " + spec[i]);
  print("hv: boot to VT-x summary took ");
  printDec(rdtsc() - load<u64>(handoff + HANDOFF_ENTRY_TSC));
  println(" TSC ticks");
  tscPrint(tscCalibrate());
  wallClock();

  vmxEnable();
  println("hv: CPU 0 (APIC id " + dec(thisCpu().apicId) + ") up, VMX root (boot CPU)");
  smpStart(bi, handoff);
  runInit(vmxPreemptionTimerRate(vmxMiscMsr()), vmxCanSet(vmxExitCtlsMsr(), EXIT_SAVE_VMX_PREEMPTION_TIMER_VALUE));
  buildBootDomains(bi, handoff);
  if (domains.length == 0) {
    println("hv: no domains to run; halting");
    halt_forever();
  }
  // From here on what exits and hypercalls allocate is for a moment.
  if (!heapRunning()) panic("no room for the scratch heap");
  smpStartScheduling();
  run();
}

// The TSC's rate, measured against the PIT: the other CPUs are started
// with delays in real time.
function tscPrint(hz: u64): void {
  println("hv: TSC " + dec(hz / 1000) + " kHz" + (tscMeasured() ? " (measured against the PIT)" : " (assumed: the PIT did not answer)"));
}

// APIC virtualization for the guests' LAPICs (src/vmx/apic.ts), unless
// the command line says apicv=0.
function apicvPrint(option: string | null): void {
  const off = option !== null && option == "0";
  if (apicvConfigure(off)) println("hv: guests' LAPICs use APIC virtualization (apicv=0 turns it off)");
  else println("hv: guests' LAPICs are emulated on every access (" + (off ? "apicv=0" : "the CPU lacks APIC virtualization") + ")");
}

// The host's RTC, which domains' clocks start from.
function wallClock(): void {
  const t = hostRtcTime();
  pcWallClockSet(t >= 0 ? t : 0, rdtsc());
  println(t >= 0 ? "hv: wall clock " + dec(<u64>t) + " s since 1970 (the host's RTC)" : "hv: the host's RTC does not answer; domains' clocks start at 1970");
}

// Every other CPU, from boot/trampoline.asm with the big lock held: its
// local APIC, VMX root operation, then idle. Returns only if the CPU cannot
// join (it is left out and halts).
export function apMain(index: u32): void {
  const cpu = thisCpu();
  lapicInit(HV_VECTOR_SPURIOUS);
  let why = vmxCpuCheck();
  if (why.length == 0) {
    wrmsr(IA32_PAT, smpBootPat());
    why = vmxCpuEnable();
  }
  const name = "hv: CPU " + dec(index) + " (APIC id " + dec(cpu.apicId) + ")";
  if (why.length != 0) {
    cpu.state = CPU_STATE_FAILED;
    println(name + " cannot enter VMX root: " + why + "; left out");
    return;
  }
  const spec = specAp();
  cpu.state = CPU_STATE_ONLINE;
  println(name + " up, VMX root; 64-bit mode " + dec(smpStartTicks(cpu)) + " TSC ticks after INIT, VMX root after " +
    dec(rdtsc() - cpu.startTsc) + (spec.length != 0 ? "; " + spec : ""));
  // Idle until the boot CPU has built the boot domains and starts scheduling.
  while (!smpScheduling()) {
    const t = rdtsc();
    cpu.idleSince = t;
    idle_wait();
    cpu.idleSince = 0;
    cpu.idleTicks += rdtsc() - t;
    irqDrain();
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
