// Shell commands on the scheduler and vCPUs: sched (xl sched-credit),
// vcpu-list and vcpu-pin (HC_SCHED_GET/SET, HC_VCPU_INFO, HC_VCPU_PIN).
import { vmcall } from "./hw";
import { puts, putsln, putDecRight, putPad, spaces, newline } from "./uart";
import { fail, usageError } from "./cmdutil";
import {
  domainsLoad, domainCount, domId, domName, domVcpus, domLive, domLabel, domainResolve, resolveError,
} from "./domains";
import { hostRead, hostCpusFound } from "./host";
import { cpuListParse, cpuListError, cpuListText, cpuMaskOf, affinityText, CPUS_ALL } from "./cpulist";
import { parseDecimal } from "./words";
import { errnoText } from "./text";
import { dec } from "../src/lib/str";
import {
  HC_SCHED_GET, HC_SCHED_SET, HC_VCPU_INFO, HC_VCPU_PIN, SCHEDREC_WEIGHT, SCHEDREC_CAP, SCHEDREC_CREDIT,
  SCHEDREC_RUN_TICKS, SCHEDREC_SIZE, SCHED_WEIGHT_MAX, VCPUINFO_STATE, VCPUINFO_CPU, VCPUINFO_AFFINITY,
  VCPUINFO_RUN_TICKS, VCPUINFO_SIZE, VCPUSTATE_RUNNABLE, VCPUSTATE_RUNNING, VCPUSTATE_BLOCKED,
} from "../src/arch/abi";

export const SCHED_USAGE = "[-d <domain> [-w <weight>] [-c <cap>]]";
export const VCPU_LIST_USAGE = "[domain]";
export const VCPU_PIN_USAGE = "<domain> <vcpu|all> <cpus>";

const sched = memory.data(<i32>SCHEDREC_SIZE, 8);
const vcpu = memory.data(<i32>VCPUINFO_SIZE, 8);

function rightText(s: string, width: i32): void {
  if (s.length < width) spaces(width - s.length);
  puts(s);
}

function signedText(v: i64): string {
  return v < 0 ? "-" + dec(<u64>(-v)) : dec(<u64>v);
}

// The most a domain's cap may be: 100% of one CPU per vCPU.
function capMax(slot: i32): u64 {
  return 100 * <u64>domVcpus(slot);
}

const SCHED_HEADER = "   ID  Name                  Weight   Cap           Credit      Run(ticks)";

// One `sched` row: the domain's record, or the error in its place.
function schedRow(slot: i32): bool {
  const rc = vmcall(HC_SCHED_GET, <u64>domId(slot), sched, 0, 0);
  putDecRight(domId(slot), 5);
  spaces(2);
  putPad(domName(slot), 20);
  if (rc != 0) {
    putsln("HC_SCHED_GET failed (" + errnoText(rc) + ")");
    return false;
  }
  putDecRight(load<u32>(sched + SCHEDREC_WEIGHT), 7);
  putDecRight(load<u32>(sched + SCHEDREC_CAP), 6);
  rightText(signedText(load<i64>(sched + SCHEDREC_CREDIT)), 17);
  putDecRight(load<u64>(sched + SCHEDREC_RUN_TICKS), 16);
  newline();
  return true;
}

// A number option's value in lo..hi, or -1 after the error.
function optionNumber(opt: string, value: string, lo: u64, hi: u64, what: string): i64 {
  const v = parseDecimal(value);
  const range = "(" + dec(lo) + " to " + dec(hi) + what + ")";
  if (v < 0) {
    fail("sched", opt + " " + value + ": not a number " + range);
    return -1;
  }
  if (<u64>v < lo || <u64>v > hi) {
    fail("sched", opt + " " + value + ": out of range " + range);
    return -1;
  }
  return v;
}

export function cmdSched(args: string[]): void {
  let dom = "", weight = "", cap = "";
  for (let i = 0; i < args.length; i += 2) {
    const opt = args[i];
    if (opt != "-d" && opt != "-w" && opt != "-c") {
      fail("sched", "unknown option \"" + opt + "\" (usage: sched " + SCHED_USAGE + ")");
      return;
    }
    if (i + 1 == args.length) {
      fail("sched", opt + " needs a value (usage: sched " + SCHED_USAGE + ")");
      return;
    }
    if (opt == "-d") dom = args[i + 1];
    else if (opt == "-w") weight = args[i + 1];
    else cap = args[i + 1];
  }
  if (dom.length == 0 && (weight.length != 0 || cap.length != 0)) {
    fail("sched", "-w and -c need -d <domain>");
    return;
  }
  if (dom.length == 0) {
    const n = domainsLoad();
    if (n < 0) {
      fail("sched", "HC_DOMAIN_LIST failed (" + errnoText(n) + ")");
      return;
    }
    putsln(SCHED_HEADER);
    for (let s = 0; s < domainCount(); s++) if (domLive(s)) schedRow(s);
    return;
  }
  let w: i64 = -1, c: i64 = -1;
  if (weight.length != 0) {
    w = optionNumber("-w", weight, 1, SCHED_WEIGHT_MAX, "");
    if (w < 0) return;
  }
  const slot = domainResolve(dom, false);
  if (slot < 0) {
    fail("sched", resolveError);
    return;
  }
  if (cap.length != 0) {
    c = optionNumber("-c", cap, 0, capMax(slot), "% of one CPU, 100 per vCPU; 0 = none");
    if (c < 0) return;
  }
  const id = <u64>domId(slot);
  if (w >= 0 || c >= 0) {
    // Keep what is not given.
    const rc = vmcall(HC_SCHED_GET, id, sched, 0, 0);
    if (rc != 0) {
      fail("sched", "domain " + domLabel(slot) + ": HC_SCHED_GET failed (" + errnoText(rc) + ")");
      return;
    }
    if (w < 0) w = <i64>load<u32>(sched + SCHEDREC_WEIGHT);
    if (c < 0) c = <i64>load<u32>(sched + SCHEDREC_CAP);
    const set = vmcall(HC_SCHED_SET, id, <u64>w, <u64>c, 0);
    if (set != 0) {
      fail("sched", "domain " + domLabel(slot) + ": HC_SCHED_SET failed (" + errnoText(set) + ")");
      return;
    }
  }
  putsln(SCHED_HEADER);
  schedRow(slot);
}

function vcpuStateName(state: u32): string {
  if (state == VCPUSTATE_RUNNING) return "running";
  if (state == VCPUSTATE_RUNNABLE) return "runnable";
  if (state == VCPUSTATE_BLOCKED) return "blocked";
  return "down";
}

// The host's CPU count (HC_HOST_INFO), 1 if it cannot be read.
function hostCpus(): u32 {
  return hostRead() == 0 && hostCpusFound() != 0 ? hostCpusFound() : 1;
}

function vcpuRows(slot: i32, cpus: u32): void {
  const id = <u64>domId(slot);
  for (let v: u32 = 0; v < domVcpus(slot); v++) {
    putPad(domName(slot), 20);
    putDecRight(id, 5);
    putDecRight(v, 6);
    const rc = vmcall(HC_VCPU_INFO, id, v, vcpu, 0);
    if (rc != 0) {
      putsln("  HC_VCPU_INFO failed (" + errnoText(rc) + ")");
      continue;
    }
    const cpu = load<i32>(vcpu + VCPUINFO_CPU);
    rightText(cpu < 0 ? "-" : dec(<u64>cpu), 5);
    spaces(2);
    putPad(vcpuStateName(load<u32>(vcpu + VCPUINFO_STATE)), 9);
    putDecRight(load<u64>(vcpu + VCPUINFO_RUN_TICKS), 16);
    spaces(2);
    putsln(affinityText(load<u64>(vcpu + VCPUINFO_AFFINITY), cpus));
  }
}

export function cmdVcpuList(args: string[]): void {
  if (args.length > 1) {
    usageError("vcpu-list", VCPU_LIST_USAGE);
    return;
  }
  let only = -1;
  if (args.length == 1) {
    only = domainResolve(args[0], false);
    if (only < 0) {
      fail("vcpu-list", resolveError);
      return;
    }
  } else {
    const n = domainsLoad();
    if (n < 0) {
      fail("vcpu-list", "HC_DOMAIN_LIST failed (" + errnoText(n) + ")");
      return;
    }
  }
  const cpus = hostCpus();
  putsln("Name                   ID  VCPU  CPU  State          Time(ticks)  Affinity");
  for (let s = 0; s < domainCount(); s++) {
    if ((only < 0 && domLive(s)) || s == only) vcpuRows(s, cpus);
  }
}

export function cmdVcpuPin(args: string[]): void {
  if (args.length != 3) {
    usageError("vcpu-pin", VCPU_PIN_USAGE);
    return;
  }
  const slot = domainResolve(args[0], false);
  if (slot < 0) {
    fail("vcpu-pin", resolveError);
    return;
  }
  const n = domVcpus(slot);
  let first: u32 = 0, last: u32 = n - 1;
  if (args[1] != "all") {
    const v = parseDecimal(args[1]);
    if (v < 0 || <u64>v >= <u64>n) {
      fail("vcpu-pin", "domain " + domLabel(slot) + " has no vCPU " + args[1] + " (its vCPUs: 0" +
        (n > 1 ? "-" + dec(n - 1) : "") + " or all)");
      return;
    }
    first = last = <u32>v;
  }
  const mask = cpuListParse(args[2]);
  if (mask == 0) {
    fail("vcpu-pin", cpuListError);
    return;
  }
  const cpus = hostCpus();
  const host = cpuMaskOf(cpus);
  if (mask != CPUS_ALL && (mask & ~host) != 0) {
    fail("vcpu-pin", "no CPU " + cpuListText(mask & ~host) + " on this host (it has " + dec(cpus) + ": " +
      cpuListText(host) + ")");
    return;
  }
  for (let v = first; v <= last; v++) {
    const rc = vmcall(HC_VCPU_PIN, <u64>domId(slot), v, mask, 0);
    if (rc != 0) {
      fail("vcpu-pin", "domain " + domLabel(slot) + " vCPU " + dec(v) + ": HC_VCPU_PIN failed (" + errnoText(rc) + ")");
      return;
    }
    putsln("domain " + domLabel(slot) + " vCPU " + dec(v) + ": affinity " + affinityText(mask, cpus));
  }
}
