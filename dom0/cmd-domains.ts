// Shell commands on domains: list, create, destroy, pause, unpause, info.
import { rightsText, rightsNamed, RIGHT_NAMES } from "../src/domain/config";
import { vmcall } from "./hw";
import { puts, putsln, putDec, putDecRight, putPad, putSigned, spaces, newline } from "./uart";
import { fail, usageError } from "./cmdutil";
import {
  domainsLoad, domainCount, domId, domState, domMemKiB, domVcpus, domFlags, domName, domLive, domLabel,
  domainResolve, resolveError, stateName, selfId,
} from "./domains";
import { planCreate } from "./create";
import { buildDomain } from "./build";
import { firstOutputTrack, firstOutputTicks } from "./firstout";
import { errnoText, kibText } from "./text";
import {
  HC_DOMAIN_PAUSE, HC_DOMAIN_UNPAUSE, HC_DOMAIN_DESTROY, HC_DOMAIN_INFO, DOMINFO_SIZE, DOMINFO_RUN_TICKS, DOMINFO_RIGHTS, RIGHT_CONTROL, HC_DOMAIN_RIGHTS, EPERM, ESRCH,
  DOMINFO_EXIT_CODE, DOMINFO_STOP_CAUSE, DOMINFO_RESTARTS, DOMINFO_PAGES_OWN, DOMINFO_PAGES_SHARED, DOMINFO_PAGES_SNAPSHOTS, DOMINFO_SNAPSHOTS, DOMSTOP_EXIT, DOMSTOP_POWEROFF, DOMSTOP_REBOOT,
  DOMSTOP_CRASH, DOMSTOP_DESTROYED, DOMINFO_EXIT_SLOTS, DOMINFO_EXITS, DOMINFO_EXIT_COUNT_MAX, DOMREC_STATE, DOMREC_FLAGS,
  DOMREC_MEM_KIB, DOMREC_VCPUS, DOMFLAG_PAUSED, DOMFLAG_CONTROL, DOMSTATE_STOPPED,
} from "../src/arch/abi";
import { exitReasonName } from "../src/arch/vmx-exit";
import { dec } from "../src/lib/str";

const info = memory.data(<i32>DOMINFO_SIZE, 8);

export const DOMAIN_USAGE = "<domain>";
export const LIST_USAGE = "[-a]";
export const CREATE_USAGE = "<config|module> [key=value ...] | key=value ...";

// The one domain argument of `cmd`: its list slot, or -1 after the error.
export function domainArg(cmd: string, args: string[], stoppedOk: bool): i32 {
  if (args.length != 1) {
    usageError(cmd, DOMAIN_USAGE);
    return -1;
  }
  const slot = domainResolve(args[0], stoppedOk);
  if (slot < 0) fail(cmd, resolveError);
  return slot;
}

export function cmdList(args: string[]): void {
  const all = args.length == 1 && args[0] == "-a";
  if (args.length > 1 || (args.length == 1 && !all)) {
    usageError("list", LIST_USAGE);
    return;
  }
  const n = domainsLoad();
  if (n < 0) {
    fail("list", "HC_DOMAIN_LIST failed (" + errnoText(n) + ")");
    return;
  }
  putsln("   ID  Name                              Mem(MiB)  VCPUs  State");
  for (let s = 0; s < domainCount(); s++) {
    if (!all && !domLive(s)) continue;
    putDecRight(domId(s), 5);
    spaces(2);
    putPad(domName(s), 32);
    putDecRight(domMemKiB(s) >> 10, 10);
    putDecRight(domVcpus(s), 7);
    spaces(2);
    puts(stateName(domState(s), domFlags(s)));
    if ((domFlags(s) & DOMFLAG_CONTROL) != 0) puts(", control");
    newline();
  }
}

export function cmdCreate(args: string[]): void {
  const plan = planCreate(args);
  if (plan.error.length != 0) {
    fail("create", plan.error);
    return;
  }
  const r = buildDomain(plan.line, plan.slot, plan.rdSlot);
  if (r.error.length != 0) {
    fail("create", r.error);
    return;
  }
  firstOutputTrack(<u64>r.id, r.createTsc);
  puts("created domain ");
  putDec(<u64>r.id);
  putsln(" (" + r.name + ")");
}

// pause, unpause, destroy: one live domain, not Domain 0 itself.
function manage(cmd: string, args: string[], nr: u32, done: string): void {
  const slot = domainArg(cmd, args, false);
  if (slot < 0) return;
  const id = <u64>domId(slot);
  if (id == selfId && nr != HC_DOMAIN_UNPAUSE) {
    fail(cmd, "domain " + domLabel(slot) + " is Domain 0 itself");
    return;
  }
  const paused = (domFlags(slot) & DOMFLAG_PAUSED) != 0;
  if (nr == HC_DOMAIN_PAUSE && paused) {
    fail(cmd, "domain " + domLabel(slot) + " is already paused");
    return;
  }
  if (nr == HC_DOMAIN_UNPAUSE && !paused) {
    fail(cmd, "domain " + domLabel(slot) + " is not paused");
    return;
  }
  const rc = vmcall(nr, id, 0, 0, 0);
  if (rc != 0) {
    fail(cmd, "domain " + domLabel(slot) + ": " + errnoText(rc));
    return;
  }
  putsln(done + " domain " + domLabel(slot));
}

export function cmdDestroy(args: string[]): void { manage("destroy", args, HC_DOMAIN_DESTROY, "destroyed"); }
export function cmdPause(args: string[]): void { manage("pause", args, HC_DOMAIN_PAUSE, "paused"); }
export function cmdUnpause(args: string[]): void { manage("unpause", args, HC_DOMAIN_UNPAUSE, "unpaused"); }

export const RIGHTS_USAGE = "<domain> <rights|all|none>";

// rights <dom> <names>: the domain's rights become those named
// (HC_DOMAIN_RIGHTS): given if this domain holds them, taken back if not.
export function cmdRights(args: string[]): void {
  if (args.length != 2) {
    usageError("rights", RIGHTS_USAGE);
    return;
  }
  const slot = domainResolve(args[0], false);
  if (slot < 0) {
    fail("rights", resolveError);
    return;
  }
  if (<u64>domId(slot) == selfId) {
    fail("rights", "domain " + domLabel(slot) + " is Domain 0 itself: its rights are its own");
    return;
  }
  const r = rightsNamed(args[1]);
  if (r < 0) {
    fail("rights", args[1] + ": unknown right (" + RIGHT_NAMES.join(", ") + ", all, none)");
    return;
  }
  const rc = vmcall(HC_DOMAIN_RIGHTS, <u64>domId(slot), <u64>r, 0, 0);
  if (rc != 0) {
    const why = rc == -<i64>EPERM ? "only rights this domain holds, over a domain holding no more" :
      rc == -<i64>ESRCH ? "not another live domain" : errnoText(rc);
    fail("rights", "domain " + domLabel(slot) + ": " + why);
    return;
  }
  putsln("domain " + domLabel(slot) + ": rights " + rightsText(<u32>r));
}

// What DOMINFO_STOP_CAUSE says, in the words of the on_* policies.
function stopCauseName(c: u32): string {
  if (c == DOMSTOP_EXIT) return "its own shutdown with an exit code (on_poweroff)";
  if (c == DOMSTOP_POWEROFF) return "ACPI power-off, S5 (on_poweroff)";
  if (c == DOMSTOP_REBOOT) return "a reset of its machine (on_reboot)";
  if (c == DOMSTOP_CRASH) return "a crash (on_crash; dmesg says why)";
  if (c == DOMSTOP_DESTROYED) return "destroy";
  return "unknown (" + dec(c) + ")";
}

function row(label: string): void {
  puts("  ");
  putPad(label, 14);
}

export function cmdInfo(args: string[]): void {
  const slot = domainArg("info", args, true);
  if (slot < 0) return;
  const id = <u64>domId(slot);
  const rc = vmcall(HC_DOMAIN_INFO, id, info, 0, 0);
  if (rc != 0) {
    fail("info", "domain " + domLabel(slot) + ": HC_DOMAIN_INFO failed (" + errnoText(rc) + ")");
    return;
  }
  const state = load<u32>(info + DOMREC_STATE);
  const flags = load<u32>(info + DOMREC_FLAGS);
  putsln("domain " + domLabel(slot));
  row("state");
  putsln(stateName(state, flags));
  row("memory");
  putsln(kibText(load<u64>(info + DOMREC_MEM_KIB)));
  row("vcpus");
  putDec(load<u32>(info + DOMREC_VCPUS));
  newline();
  if (state != DOMSTATE_STOPPED) {
    // Pages: its own frames, snapshots' frames it maps (copy-on-write), and
    // what its snapshots hold.
    row("frames");
    putsln(dec(<u64>load<u32>(info + DOMINFO_PAGES_OWN)) + " own, " + dec(<u64>load<u32>(info + DOMINFO_PAGES_SHARED)) +
      " shared, " + dec(<u64>load<u32>(info + DOMINFO_PAGES_SNAPSHOTS)) + " in its " +
      dec(<u64>load<u32>(info + DOMINFO_SNAPSHOTS)) + " snapshots (4 KiB each)");
  }
  const rights = load<u32>(info + DOMINFO_RIGHTS);
  if (rights != 0) {
    row("rights");
    putsln((rights == RIGHT_CONTROL ? "control: " : "") + rightsText(rights) + (id == selfId ? " (Domain 0)" : ""));
  }
  row("run time");
  putDec(load<u64>(info + DOMINFO_RUN_TICKS));
  putsln(" TSC ticks");
  const code = load<i32>(info + DOMINFO_EXIT_CODE);
  if (state == DOMSTATE_STOPPED) {
    row("exit code");
    if (code < 0) putsln("none (stopped by the hypervisor or destroyed; dmesg says why)");
    else {
      putSigned(code);
      newline();
    }
    row("stopped by");
    putsln(stopCauseName(load<u32>(info + DOMINFO_STOP_CAUSE)));
  }
  const restarts = load<u32>(info + DOMINFO_RESTARTS);
  if (restarts != 0) {
    row("restarts");
    putDec(restarts);
    putsln(" (on_poweroff, on_reboot or on_crash = restart)");
  }
  const first = firstOutputTicks(id);
  if (first != 0) {
    row("first output");
    putDec(first);
    putsln(" TSC ticks after create");
  }
  let slots = load<u32>(info + DOMINFO_EXIT_SLOTS);
  if (slots > DOMINFO_EXIT_COUNT_MAX) slots = DOMINFO_EXIT_COUNT_MAX;
  let total: u64 = 0;
  for (let i: u32 = 0; i < slots; i++) total += load<u64>(info + DOMINFO_EXITS + (i << 3));
  row("VM exits");
  putDec(total);
  newline();
  for (let i: u32 = 0; i < slots; i++) {
    const n = load<u64>(info + DOMINFO_EXITS + (i << 3));
    if (n == 0) continue;
    puts("    ");
    putPad(i + 1 == slots ? "reason >= " + dec(i) : exitReasonName(i), 34);
    putDecRight(n, 12);
    newline();
  }
}
