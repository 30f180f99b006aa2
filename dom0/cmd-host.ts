// Shell commands on the host: mem, cpus, modules, lspci, reboot, poweroff.
import { vmcall } from "./hw";
import { puts, putsln, putDec, putDecRight, putPad, putHexDigits, spaces, newline, comDrain } from "./uart";
import { fail, usageError } from "./cmdutil";
import {
  hostRead, hostMemTotalKiB, hostMemFreeKiB, hostHeapUsedKiB, hostHeapDomainsKiB, hostHeapFreeKiB, hostSharedKiB, hostCpusFound, hostCpusOnline, hostUptime,
  cpuRead, cpuApicId, cpuFlags, cpuBusy, cpuIdle, cpuRunq, cpuCurrent,
} from "./host";
import { domainsLoad, domainCount, domId, domName, domMemKiB, domLive, findById } from "./domains";
import {
  modulesLoad, moduleCount, moduleIndex, moduleSize, moduleLine, moduleLineLen, moduleKindOf, moduleKindName,
  moduleLabel,
} from "./modules";
import { HC_DOMAIN_INFO, DOMINFO_SIZE, DOMINFO_PAGES_OWN, DOMINFO_PAGES_SHARED, DOMINFO_PAGES_SNAPSHOTS } from "../src/arch/abi";
import { pciScan, pciFound, pciRead16, pciRead8, pciClassName, PCI_VENDOR_ID, PCI_DEVICE_ID, PCI_CLASS, PCI_REVISION } from "./pci";
import { errnoText, kibText } from "./text";
import { dec } from "../src/lib/str";

import {
  HC_HOST_POWER, HOST_POWER_OFF, HOST_REBOOT, CPUFLAG_ONLINE, CPUFLAG_BSP, CPUFLAG_FAILED, MODREC_CMDLINE_MAX,
} from "../src/arch/abi";

const info = memory.data(<i32>DOMINFO_SIZE, 8);

function noArgs(cmd: string, args: string[]): bool {
  if (args.length == 0) return true;
  usageError(cmd, "");
  return false;
}

function hostOrFail(cmd: string): bool {
  const rc = hostRead();
  if (rc != 0) fail(cmd, "HC_HOST_INFO failed (" + errnoText(rc) + ")");
  return rc == 0;
}

export function cmdMem(args: string[]): void {
  if (!noArgs("mem", args) || !hostOrFail("mem")) return;
  const total = hostMemTotalKiB();
  const free = hostMemFreeKiB();
  putsln("total " + kibText(total) + " (" + dec(total) + " KiB), free " + kibText(free) + " (" + dec(free) +
    " KiB) for new domains");
  putsln("hypervisor heap " + dec(hostHeapUsedKiB()) + " KiB in use (domain state " + dec(hostHeapDomainsKiB()) +
    " KiB), " + dec(hostHeapFreeKiB()) + " KiB free");
  const n = domainsLoad();
  if (n < 0) {
    fail("mem", "HC_DOMAIN_LIST failed (" + errnoText(n) + ")");
    return;
  }
  // Frames in KiB: a domain's own, the pages it maps on frames shared with
  // snapshots or (dedup) other domains (copy-on-write), and those its
  // snapshots hold. Frames shared with snapshots are counted there; those
  // dedup shares once, on their own line.
  let used: u64 = 0;
  putsln("   ID  Name                              Mem(KiB)   Own(KiB) Shared(KiB)  Snaps(KiB)");
  for (let s = 0; s < domainCount(); s++) {
    if (!domLive(s)) continue;
    putDecRight(domId(s), 5);
    spaces(2);
    putPad(domName(s), 32);
    putDecRight(domMemKiB(s), 10);
    let own = domMemKiB(s), shared: u64 = 0, snaps: u64 = 0;
    if (vmcall(HC_DOMAIN_INFO, <u64>domId(s), info, 0, 0) == 0) {
      own = <u64>load<u32>(info + DOMINFO_PAGES_OWN) * 4;
      shared = <u64>load<u32>(info + DOMINFO_PAGES_SHARED) * 4;
      snaps = <u64>load<u32>(info + DOMINFO_PAGES_SNAPSHOTS) * 4;
    }
    putDecRight(own, 11);
    putDecRight(shared, 12);
    putDecRight(snaps, 12);
    newline();
    used += own + snaps;
  }
  const pooled = hostSharedKiB();
  putsln("domains and their snapshots use " + kibText(used + pooled) + (pooled != 0 ? " (" + kibText(pooled) +
    " in frames dedup shares)" : ""));
}

// Busy share in percent of busy + idle.
function percent(part: u64, whole: u64): u64 {
  return whole == 0 ? 0 : part * 100 / whole;
}

export function cmdCpus(args: string[]): void {
  if (!noArgs("cpus", args) || !hostOrFail("cpus")) return;
  const found = hostCpusFound();
  puts("CPUs: ");
  putDec(found);
  puts(" found, ");
  putDec(hostCpusOnline());
  puts(" online; up ");
  putDec(hostUptime());
  putsln(" TSC ticks");
  domainsLoad();
  putsln("  CPU  APIC  State    Busy%  Idle%  RunQ  Running");
  for (let c: u32 = 0; c < found; c++) {
    const rc = cpuRead(c);
    putDecRight(c, 5);
    if (rc != 0) {
      putsln("  HC_CPU_INFO failed (" + errnoText(rc) + ")");
      continue;
    }
    const flags = cpuFlags();
    putDecRight(cpuApicId(), 6);
    spaces(2);
    putPad((flags & CPUFLAG_ONLINE) != 0 ? "online" : (flags & CPUFLAG_FAILED) != 0 ? "failed" : "offline", 7);
    const busy = cpuBusy();
    const all = busy + cpuIdle();
    putDecRight(percent(busy, all), 6);
    putDecRight(all == 0 ? 0 : 100 - percent(busy, all), 7);
    putDecRight(cpuRunq(), 6);
    spaces(2);
    const cur = cpuCurrent();
    if (cur == 0) puts("idle");
    else {
      putDec(cur);
      const s = findById(cur);
      if (s >= 0) puts(" (" + domName(s) + ")");
    }
    if ((flags & CPUFLAG_BSP) != 0) puts(", boot CPU");
    newline();
  }
}

export function cmdModules(args: string[]): void {
  if (!noArgs("modules", args)) return;
  const n = modulesLoad();
  if (n < 0) {
    fail("modules", "HC_MODULE_LIST failed (" + errnoText(n) + ")");
    return;
  }
  if (n == 0) {
    putsln("no boot modules left to Domain 0");
    return;
  }
  putsln("  Idx  Kind     Size(B)  Name                Command line");
  for (let s = 0; s < moduleCount(); s++) {
    putDecRight(moduleIndex(s), 5);
    spaces(2);
    putPad(moduleKindName(moduleKindOf(moduleLine(s))), 7);
    putDecRight(moduleSize(s), 9);
    spaces(2);
    putPad(moduleLabel(s), 19);
    puts(moduleLine(s));
    if (moduleLineLen(s) > MODREC_CMDLINE_MAX - 1) puts("...");
    newline();
  }
}

function lspciLine(bus: u32, dev: u32, fn: u32): void {
  putHexDigits(bus, 2);
  puts(":");
  putHexDigits(dev, 2);
  puts(".");
  putHexDigits(fn, 1);
  puts(" ");
  const cls = pciRead16(bus, dev, fn, PCI_CLASS);
  putHexDigits(cls, 4);
  puts(": ");
  putHexDigits(pciRead16(bus, dev, fn, PCI_VENDOR_ID), 4);
  puts(":");
  putHexDigits(pciRead16(bus, dev, fn, PCI_DEVICE_ID), 4);
  const rev = pciRead8(bus, dev, fn, PCI_REVISION);
  if (rev != 0) {
    puts(" (rev ");
    putHexDigits(rev, 2);
    puts(")");
  }
  putsln("  " + pciClassName(cls));
}

export function cmdLspci(args: string[]): void {
  if (!noArgs("lspci", args)) return;
  const n = pciScan();
  if (n == 0) {
    fail("lspci", "no PCI function answered (configuration ports 0xCF8/0xCFC not passed through?)");
  }
  for (let i: u32 = 0; i < n; i++) {
    const f = pciFound(i);
    lspciLine(f >> 8, (f >> 3) & 31, f & 7);
  }
}

function power(cmd: string, args: string[], op: u32): void {
  if (!noArgs(cmd, args)) return;
  putsln(cmd + ": now");
  comDrain();
  const rc = vmcall(HC_HOST_POWER, op, 0, 0, 0);
  fail(cmd, "HC_HOST_POWER failed (" + errnoText(rc) + ")");
}

export function cmdReboot(args: string[]): void { power("reboot", args, HOST_REBOOT); }
export function cmdPoweroff(args: string[]): void { power("poweroff", args, HOST_POWER_OFF); }
