// The host's CPUs as the scheduler and HC_CPU_INFO see them: one record per
// CPU the firmware lists (index 0 is the boot CPU, then ACPI MADT order),
// with its state and where its time went. Only the boot CPU runs vCPUs
// today; SMP bring-up marks the others online (or failed), and each CPU's
// run loop charges its own record, so nothing here is shared between CPUs.
import { ACPI_CPUS_MAX, acpiCpuCount, acpiCpuApicId } from "../platform/acpi";
import { CPUFLAG_ONLINE, CPUFLAG_BSP } from "../hypercall/abi";
import { rdtsc } from "../arch/hw";

const apicIds = new StaticArray<u32>(<i32>ACPI_CPUS_MAX);
const flags = new StaticArray<u32>(<i32>ACPI_CPUS_MAX);
const busy = new StaticArray<u64>(<i32>ACPI_CPUS_MAX);    // TSC ticks running vCPUs, exits included
const idle = new StaticArray<u64>(<i32>ACPI_CPUS_MAX);    // TSC ticks with nothing to run
const current = new StaticArray<u32>(<i32>ACPI_CPUS_MAX); // id of the domain running there, 0 if none
let count: u32 = 1;
let bootTsc: u64 = 0;

// Until cpusInit: the boot CPU alone.
unchecked(flags[0] = CPUFLAG_ONLINE | CPUFLAG_BSP);

// The CPUs ACPI found (acpiInit first); `startTsc`: the TSC at boot.
export function cpusInit(startTsc: u64): void {
  bootTsc = startTsc;
  count = acpiCpuCount();
  if (count == 0) count = 1;
  if (count > ACPI_CPUS_MAX) count = ACPI_CPUS_MAX;
  for (let i: u32 = 0; i < count; i++) {
    unchecked(apicIds[i] = acpiCpuApicId(i));
    unchecked(flags[i] = i == 0 ? CPUFLAG_ONLINE | CPUFLAG_BSP : 0);
  }
}

export function cpuCount(): u32 { return count; }

export function cpusOnline(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < count; i++) if (unchecked(flags[i]) & CPUFLAG_ONLINE) n++;
  return n;
}

export function cpuApicId(cpu: u32): u32 { return cpu < count ? unchecked(apicIds[cpu]) : 0; }
export function cpuFlags(cpu: u32): u32 { return cpu < count ? unchecked(flags[cpu]) : 0; }
export function cpuBusyTicks(cpu: u32): u64 { return cpu < count ? unchecked(busy[cpu]) : 0; }
export function cpuIdleTicks(cpu: u32): u64 { return cpu < count ? unchecked(idle[cpu]) : 0; }
export function cpuCurrent(cpu: u32): u32 { return cpu < count ? unchecked(current[cpu]) : 0; }

// The run loop's accounting (allocation-free).
export function cpuChargeBusy(cpu: u32, ticks: u64): void { if (cpu < count) unchecked(busy[cpu] = busy[cpu] + ticks); }
export function cpuChargeIdle(cpu: u32, ticks: u64): void { if (cpu < count) unchecked(idle[cpu] = idle[cpu] + ticks); }
export function cpuSetCurrent(cpu: u32, domainId: u32): void { if (cpu < count) unchecked(current[cpu] = domainId); }

// TSC ticks since the boot loader handed over.
export function hostUptime(): u64 { return rdtsc() - bootTsc; }
