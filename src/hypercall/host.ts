// Host calls (HC_HOST_INFO, HC_CPU_INFO, HC_HOST_POWER): the machine as
// Domain 0's management stack sees it. The dispatcher has already checked
// the call's right (RIGHT_HOST, RIGHT_POWER); each record is built here, then copied out
// whole or not at all.
import { pcWallClockNow } from "../domain/pc";
import { tscHz } from "../cpu/tsc";
import { Domain, domains, DOMSTATE_STOPPED } from "../domain/domain";
import { guestCopy } from "../domain/memory";
import { framesTotal, framesFree } from "../mm/frames";
import { framesShared } from "../mm/share";
import { heapPermanentUsed, heapArenaBytes, heapFree } from "../mm/region";
import { heapScratchBytes } from "../mm/heap";
import {
  cpusFound, cpusOnline, cpuApicId, cpuFlags, cpuBusyTicks, cpuIdleTicks, cpuCurrent, hostUptime,
} from "../cpu/percpu";
import { schedQueueLength } from "../sched/scheduler";
import { powerOff, reboot } from "../platform/power";
import { serialConsoleHolder, serialConsoleRelease } from "../domain/serial-console";
import { print, println, printDec } from "../log/log";
import {
  EFAULT, EINVAL, HOST_POWER_OFF, HOST_REBOOT,
  HOSTINFO_MEM_TOTAL_KIB, HOSTINFO_MEM_FREE_KIB, HOSTINFO_CPUS_FOUND, HOSTINFO_CPUS_ONLINE,
  HOSTINFO_UPTIME_TICKS, HOSTINFO_DOMAINS, HOSTINFO_HEAP_USED_KIB, HOSTINFO_HEAP_DOMAINS_KIB, HOSTINFO_HEAP_FREE_KIB, HOSTINFO_SHARED_KIB,
  HOSTINFO_WALL_SECS, HOSTINFO_TSC_KHZ, HOSTINFO_SIZE,
  CPUINFO_APIC_ID, CPUINFO_FLAGS, CPUINFO_BUSY_TICKS, CPUINFO_IDLE_TICKS, CPUINFO_RUNQ, CPUINFO_CURRENT,
  CPUINFO_SIZE,
} from "../arch/abi";

const FRAME_KIB: u64 = 4;
const RECORD_SIZE: u32 = HOSTINFO_SIZE > CPUINFO_SIZE ? HOSTINFO_SIZE : CPUINFO_SIZE;
const record = memory.data(<i32>RECORD_SIZE, 8);

@inline function err(e: u32): i64 { return -<i64>e; }

// HC_HOST_INFO: memory, CPUs, uptime and live domains.
export function hcHostInfo(caller: Domain, buf: u64): i64 {
  let live: u32 = 0;
  for (let i = 0; i < domains.length; i++) if (unchecked(domains[i]).state != DOMSTATE_STOPPED) live++;
  store<u64>(record + HOSTINFO_MEM_TOTAL_KIB, framesTotal() * FRAME_KIB);
  store<u64>(record + HOSTINFO_MEM_FREE_KIB, framesFree() * FRAME_KIB);
  store<u32>(record + HOSTINFO_CPUS_FOUND, cpusFound());
  store<u32>(record + HOSTINFO_CPUS_ONLINE, cpusOnline());
  store<u64>(record + HOSTINFO_UPTIME_TICKS, hostUptime());
  store<u32>(record + HOSTINFO_DOMAINS, live);
  store<u32>(record + HOSTINFO_DOMAINS + 4, 0);
  store<u64>(record + HOSTINFO_HEAP_USED_KIB, <u64>(heapPermanentUsed() + heapArenaBytes()) >> 10);
  store<u64>(record + HOSTINFO_HEAP_DOMAINS_KIB, <u64>(heapArenaBytes() - heapScratchBytes()) >> 10);
  store<u64>(record + HOSTINFO_HEAP_FREE_KIB, <u64>heapFree() >> 10);
  store<u64>(record + HOSTINFO_SHARED_KIB, framesShared() * FRAME_KIB);
  store<i64>(record + HOSTINFO_WALL_SECS, pcWallClockNow());
  store<u64>(record + HOSTINFO_TSC_KHZ, tscHz() / 1000);
  return guestCopy(caller, buf, record, HOSTINFO_SIZE, true) ? 0 : err(EFAULT);
}

// HC_CPU_INFO: one CPU's record; -EINVAL at or past the CPUs found.
export function hcCpuInfo(caller: Domain, cpu: u64, buf: u64): i64 {
  if (cpu >= <u64>cpusFound()) return err(EINVAL);
  const c = <u32>cpu;
  store<u32>(record + CPUINFO_APIC_ID, cpuApicId(c));
  store<u32>(record + CPUINFO_FLAGS, cpuFlags(c));
  store<u64>(record + CPUINFO_BUSY_TICKS, cpuBusyTicks(c));
  store<u64>(record + CPUINFO_IDLE_TICKS, cpuIdleTicks(c));
  store<u32>(record + CPUINFO_RUNQ, schedQueueLength(c));
  store<u32>(record + CPUINFO_CURRENT, cpuCurrent(c));
  return guestCopy(caller, buf, record, CPUINFO_SIZE, true) ? 0 : err(EFAULT);
}

// HC_HOST_POWER: does not return for a known operation. The serial console
// comes back to the hypervisor first, so its last words reach the port.
export function hcHostPower(caller: Domain, op: u64): i64 {
  if (op != <u64>HOST_POWER_OFF && op != <u64>HOST_REBOOT) return err(EINVAL);
  const h = serialConsoleHolder();
  if (h !== null) serialConsoleRelease(h, op == <u64>HOST_REBOOT ? "reboot" : "power off");
  print("hv: domain ");
  printDec(caller.id);
  print(" (");
  print(caller.name);
  println(op == <u64>HOST_REBOOT ? ") asks for a reboot" : ") asks for power off");
  if (op == <u64>HOST_REBOOT) reboot();
  else powerOff();
  return 0; // only where neither worked: the emulators' ports are absent and the CPU halted
}
