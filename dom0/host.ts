// The host as the hypervisor reports it: HC_HOST_INFO (memory, CPUs,
// uptime) and HC_CPU_INFO (one record per CPU).
import { vmcall } from "./hw";
import {
  HC_HOST_INFO, HC_CPU_INFO, HOSTINFO_MEM_TOTAL_KIB, HOSTINFO_MEM_FREE_KIB, HOSTINFO_CPUS_FOUND,
  HOSTINFO_CPUS_ONLINE, HOSTINFO_UPTIME_TICKS, HOSTINFO_DOMAINS, HOSTINFO_HEAP_USED_KIB, HOSTINFO_HEAP_DOMAINS_KIB,
  HOSTINFO_HEAP_FREE_KIB, HOSTINFO_SHARED_KIB, HOSTINFO_WALL_SECS, HOSTINFO_TSC_KHZ, HOSTINFO_SIZE,
  CPUINFO_APIC_ID, CPUINFO_FLAGS, CPUINFO_BUSY_TICKS, CPUINFO_IDLE_TICKS, CPUINFO_RUNQ, CPUINFO_CURRENT,
  CPUINFO_SIZE,
} from "../src/arch/abi";

const host = memory.data(<i32>HOSTINFO_SIZE, 8);
const cpu = memory.data(<i32>CPUINFO_SIZE, 8);

// Reads the host record: 0 or a negative errno.
export function hostRead(): i64 { return vmcall(HC_HOST_INFO, host, 0, 0, 0); }
export function hostMemTotalKiB(): u64 { return load<u64>(host + HOSTINFO_MEM_TOTAL_KIB); }
export function hostMemFreeKiB(): u64 { return load<u64>(host + HOSTINFO_MEM_FREE_KIB); }
export function hostCpusFound(): u32 { return load<u32>(host + HOSTINFO_CPUS_FOUND); }
export function hostCpusOnline(): u32 { return load<u32>(host + HOSTINFO_CPUS_ONLINE); }
export function hostUptime(): u64 { return load<u64>(host + HOSTINFO_UPTIME_TICKS); }
export function hostDomains(): u32 { return load<u32>(host + HOSTINFO_DOMAINS); }
export function hostHeapUsedKiB(): u64 { return load<u64>(host + HOSTINFO_HEAP_USED_KIB); }
export function hostHeapDomainsKiB(): u64 { return load<u64>(host + HOSTINFO_HEAP_DOMAINS_KIB); }
export function hostHeapFreeKiB(): u64 { return load<u64>(host + HOSTINFO_HEAP_FREE_KIB); }
export function hostSharedKiB(): u64 { return load<u64>(host + HOSTINFO_SHARED_KIB); }
export function hostWallSecs(): u64 { return load<u64>(host + HOSTINFO_WALL_SECS); }
export function hostTscKHz(): u64 { return load<u64>(host + HOSTINFO_TSC_KHZ); }

// Reads CPU `n`'s record: 0 or a negative errno.
export function cpuRead(n: u32): i64 { return vmcall(HC_CPU_INFO, n, cpu, 0, 0); }
export function cpuApicId(): u32 { return load<u32>(cpu + CPUINFO_APIC_ID); }
export function cpuFlags(): u32 { return load<u32>(cpu + CPUINFO_FLAGS); }
export function cpuBusy(): u64 { return load<u64>(cpu + CPUINFO_BUSY_TICKS); }
export function cpuIdle(): u64 { return load<u64>(cpu + CPUINFO_IDLE_TICKS); }
export function cpuRunq(): u32 { return load<u32>(cpu + CPUINFO_RUNQ); }
export function cpuCurrent(): u32 { return load<u32>(cpu + CPUINFO_CURRENT); }

// TSC ticks per second (HC_HOST_INFO's rate; 1 GHz if it is unknown).
export function ticksPerSecond(): u64 {
  const k = hostRead() == 0 ? hostTscKHz() : 0;
  return k != 0 ? k * 1000 : 1000000000;
}
