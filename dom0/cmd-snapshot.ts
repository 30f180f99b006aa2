// Shell commands of the state tree (HC_SNAPSHOT_*, HC_DOMAIN_FORK,
// HC_DOMAIN_DEDUP): snapshot-create, snapshot-list [--tree],
// snapshot-revert, snapshot-delete [--children], named as virsh names them,
// fork-vm and dedup. A running domain is paused for the moment a call
// takes and runs on after; a paused one stays paused.
import { vmcall } from "./hw";
import { puts, putsln, putDec, putDecRight, putPad, newline } from "./uart";
import { fail, usageError } from "./cmdutil";
import { domainResolve, resolveError, domId, domLabel, domFlags, domainsLoad, findById } from "./domains";
import { parseDecimal } from "./words";
import { errnoText } from "./text";
import { dec } from "../src/lib/str";
import {
  HC_SNAPSHOT_CREATE, HC_SNAPSHOT_REVERT, HC_SNAPSHOT_DELETE, HC_SNAPSHOT_LIST, DOMFLAG_CONTROL, SNAPREC_ID, SNAPREC_PARENT, SNAPREC_FLAGS, SNAPREC_PAGES,
  SNAPREC_CREATED, SNAPREC_NAME, SNAPREC_SIZE, SNAPFLAG_CURRENT, SNAPSHOT_NAME_MAX, SNAPDEL_CHILDREN,
  EBUSY, ENOENT, EEXIST, ENOSPC, ENOMEM, EINVAL, HC_DOMAIN_FORK, FORK_COUNT_MAX, HC_DOMAIN_DEDUP, DEDUP_DOMAINS_MAX,
} from "../src/arch/abi";
import { hostRead, hostMemFreeKiB } from "./host";
import { pauseAll, unpauseAll, untilOffCpu, timed, callTicks } from "./pause";

export const SNAPSHOT_CREATE_USAGE = "<domain> [name]";
export const SNAPSHOT_LIST_USAGE = "<domain> [--tree]";
export const SNAPSHOT_REVERT_USAGE = "<domain> <snapshot>";
export const SNAPSHOT_DELETE_USAGE = "<domain> <snapshot> [--children]";
export const FORK_VM_USAGE = "<domain>[@snapshot] [--name N] [--count K]";
export const DEDUP_USAGE = "<domain>...";

// The most snapshots one listing shows.
const LIST_MAX: u32 = 256;
const list = memory.data(<i32>(LIST_MAX * SNAPREC_SIZE), 8);
const nameBuf = memory.data(<i32>SNAPSHOT_NAME_MAX + 1);
const idBuf = memory.data(<i32>(DEDUP_DOMAINS_MAX << 2), 4);
@inline function rec(i: u32): usize { return list + <usize>(i * SNAPREC_SIZE); }
function recName(i: u32): string {
  const p = rec(i) + SNAPREC_NAME;
  let n: u32 = 0;
  while (n < 32 && load<u8>(p + n) != 0) n++;
  return String.UTF8.decodeUnsafe(p, n);
}

let slot: i32 = -1;
// The domain argument; false after the error.
function domainArg(cmd: string, what: string): bool {
  slot = domainResolve(what, false);
  if (slot < 0) {
    fail(cmd, resolveError);
    return false;
  }
  return true;
}

// Loads the domain's snapshots; their count, or -1 after the error.
function loadList(cmd: string): i32 {
  const rc = vmcall(HC_SNAPSHOT_LIST, <u64>domId(slot), list, LIST_MAX, 0);
  if (rc < 0) {
    fail(cmd, "domain " + domLabel(slot) + ": HC_SNAPSHOT_LIST failed (" + errnoText(rc) + ")");
    return -1;
  }
  return <i32>(rc < <i64>LIST_MAX ? rc : <i64>LIST_MAX);
}

// The snapshot named (or numbered) `what`: its id, or 0 after the error.
function snapshotArg(cmd: string, what: string): u32 {
  const n = loadList(cmd);
  if (n < 0) return 0;
  const byId = parseDecimal(what);
  for (let i: u32 = 0; i < <u32>n; i++) {
    const id = load<u32>(rec(i) + SNAPREC_ID);
    if (recName(i) == what || (byId > 0 && <u32>byId == id)) return id;
  }
  fail(cmd, "domain " + domLabel(slot) + " has no snapshot " + what + " (snapshot-list " + dec(domId(slot)) + " lists them)");
  return 0;
}

function why(rc: i64): string {
  const e = <u32>(-rc);
  if (e == EEXIST) return "a snapshot of that name exists";
  if (e == ENOENT) return "no such snapshot";
  if (e == ENOSPC) return "no snapshot id left (delete some)";
  if (e == ENOMEM) return "not enough free memory";
  if (e == EINVAL) return "refused (dmesg says why)";
  if (e == EBUSY) return "the domain does not leave its CPU";
  return errnoText(rc);
}

// `nr` (a, b) on the domain, paused for it: a running domain is paused
// first and unpaused after; -EBUSY while a CPU still runs it is tried again.
function whilePaused(nr: u32, a: u64, b: u64, c: u64 = 0): i64 {
  const paused: u64[] = [];
  const p = pauseAll([slot], paused);
  if (p < 0) return p;
  const rc = untilOffCpu(nr, <u64>domId(slot), a, b, c);
  unpauseAll(paused);
  return rc;
}

export function cmdSnapshotCreate(args: string[]): void {
  if (args.length < 1 || args.length > 2) {
    usageError("snapshot-create", SNAPSHOT_CREATE_USAGE);
    return;
  }
  if (!domainArg("snapshot-create", args[0])) return;
  const name = args.length == 2 ? args[1] : "";
  const n = String.UTF8.byteLength(name);
  if (n > <i32>SNAPSHOT_NAME_MAX) {
    fail("snapshot-create", "name " + name + ": longer than " + dec(SNAPSHOT_NAME_MAX) + " bytes");
    return;
  }
  String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, nameBuf);
  const rc = whilePaused(HC_SNAPSHOT_CREATE, nameBuf, <u64>n);
  if (rc < 0) {
    const bad = rc == -<i64>EINVAL && n > 0 ? "name " + name + ": letters, digits, . _ - only, not all digits" : why(rc);
    fail("snapshot-create", "domain " + domLabel(slot) + ": " + bad);
    return;
  }
  const count = loadList("snapshot-create");
  for (let i: u32 = 0; count > 0 && i < <u32>count; i++) {
    if (<i64>load<u32>(rec(i) + SNAPREC_ID) == rc) {
      putsln("snapshot " + recName(i) + " (id " + dec(<u64>rc) + ") of domain " + domLabel(slot) + ": " +
        dec(<u64>load<u32>(rec(i) + SNAPREC_PAGES) * 4) + " KiB, " + dec(callTicks()) + " TSC ticks");
      return;
    }
  }
}

export function cmdSnapshotRevert(args: string[]): void {
  if (args.length != 2) {
    usageError("snapshot-revert", SNAPSHOT_REVERT_USAGE);
    return;
  }
  if (!domainArg("snapshot-revert", args[0])) return;
  const id = snapshotArg("snapshot-revert", args[1]);
  if (id == 0) return;
  const rc = whilePaused(HC_SNAPSHOT_REVERT, id, 0);
  if (rc < 0) {
    fail("snapshot-revert", "domain " + domLabel(slot) + ": " + why(rc));
    return;
  }
  putsln("domain " + domLabel(slot) + " reverted to snapshot " + args[1] + " in " + dec(callTicks()) + " TSC ticks");
}

export function cmdSnapshotDelete(args: string[]): void {
  const children = args.length == 3 && args[2] == "--children";
  if (args.length != 2 && !children) {
    usageError("snapshot-delete", SNAPSHOT_DELETE_USAGE);
    return;
  }
  if (!domainArg("snapshot-delete", args[0])) return;
  const id = snapshotArg("snapshot-delete", args[1]);
  if (id == 0) return;
  const rc = vmcall(HC_SNAPSHOT_DELETE, <u64>domId(slot), id, children ? SNAPDEL_CHILDREN : 0, 0);
  if (rc < 0) {
    fail("snapshot-delete", "domain " + domLabel(slot) + ": " + why(rc));
    return;
  }
  putsln("snapshot " + args[1] + (children ? " and its descendants" : "") + " deleted");
}

export function cmdSnapshotList(args: string[]): void {
  const tree = args.length == 2 && args[1] == "--tree";
  if (args.length != 1 && !tree) {
    usageError("snapshot-list", SNAPSHOT_LIST_USAGE);
    return;
  }
  if (!domainArg("snapshot-list", args[0])) return;
  const n = loadList("snapshot-list");
  if (n < 0) return;
  if (n == 0) {
    putsln("domain " + domLabel(slot) + " has no snapshots");
    return;
  }
  if (!tree) {
    putsln("   ID  Name                              Parent    KiB  Taken (TSC ticks)");
    for (let i: u32 = 0; i < <u32>n; i++) {
      putDecRight(load<u32>(rec(i) + SNAPREC_ID), 5);
      puts("  ");
      putPad(recName(i) + ((load<u32>(rec(i) + SNAPREC_FLAGS) & SNAPFLAG_CURRENT) != 0 ? " *" : ""), 32);
      const p = load<u32>(rec(i) + SNAPREC_PARENT);
      putPad(p == 0 ? "-" : dec(p), 8);
      putDecRight(<u64>load<u32>(rec(i) + SNAPREC_PAGES) * 4, 6);
      puts("  ");
      putDec(load<u64>(rec(i) + SNAPREC_CREATED));
      newline();
    }
    putsln("* current: the domain runs on from it");
    return;
  }
  // Depth first: the records come parents first, children in order.
  for (let i: u32 = 0; i < <u32>n; i++) if (load<u32>(rec(i) + SNAPREC_PARENT) == 0) branch(<u32>n, i, "", "");
}

// Draws record `i` and its subtree: `lead` before its own name, `indent`
// before its children's lines.
function branch(n: u32, i: u32, lead: string, indent: string): void {
  const id = load<u32>(rec(i) + SNAPREC_ID);
  puts(lead + recName(i));
  if ((load<u32>(rec(i) + SNAPREC_FLAGS) & SNAPFLAG_CURRENT) != 0) puts("  <- current");
  newline();
  let last: i32 = -1;
  for (let k: u32 = 0; k < n; k++) if (load<u32>(rec(k) + SNAPREC_PARENT) == id) last = <i32>k;
  for (let k: u32 = 0; k < n; k++) {
    if (load<u32>(rec(k) + SNAPREC_PARENT) != id) continue;
    const end = <i32>k == last;
    branch(n, k, indent + (end ? "`-- " : "|-- "), indent + (end ? "    " : "|   "));
  }
}

export function cmdForkVm(args: string[]): void {
  if (args.length < 1) {
    usageError("fork-vm", FORK_VM_USAGE);
    return;
  }
  let name = "";
  let count: i64 = 1;
  for (let i = 1; i < args.length; i += 2) {
    if (i + 1 >= args.length || (args[i] != "--name" && args[i] != "--count")) {
      usageError("fork-vm", FORK_VM_USAGE);
      return;
    }
    if (args[i] == "--name") name = args[i + 1];
    else {
      count = parseDecimal(args[i + 1]);
      if (count < 1 || count > <i64>FORK_COUNT_MAX) {
        fail("fork-vm", "--count " + args[i + 1] + ": 1 to " + dec(FORK_COUNT_MAX));
        return;
      }
    }
  }
  const at = args[0].indexOf("@");
  if (!domainArg("fork-vm", at < 0 ? args[0] : args[0].substring(0, at))) return;
  const n = String.UTF8.byteLength(name);
  if (n > <i32>SNAPSHOT_NAME_MAX) {
    fail("fork-vm", "name " + name + ": longer than " + dec(SNAPSHOT_NAME_MAX) + " bytes");
    return;
  }
  String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, nameBuf);
  const lenCount = <u64>n | (<u64>count << 16);
  let rc: i64;
  if (at < 0) {
    rc = whilePaused(HC_DOMAIN_FORK, 0, nameBuf, lenCount);
  } else {
    const snap = snapshotArg("fork-vm", args[0].substring(at + 1));
    if (snap == 0) return;
    rc = timed(HC_DOMAIN_FORK, <u64>domId(slot), snap, nameBuf, lenCount);
  }
  if (rc < 0) {
    const bad = rc == -<i64>EEXIST ? "a live domain has that name" :
      rc == -<i64>EINVAL && n > 0 ? "name " + name + ": letters, digits, . _ - only, not all digits" : why(rc);
    fail("fork-vm", "domain " + domLabel(slot) + ": " + bad);
    return;
  }
  // The new ids follow the first; fewer than asked if memory ran out.
  domainsLoad();
  let made: i64 = 0;
  for (let i: i64 = 0; i < count; i++) {
    const s = findById(<u64>(rc + i));
    if (s < 0) break;
    putsln("forked domain " + domLabel(s));
    made++;
  }
  if (made > 0) putsln(dec(<u64>made) + " in " + dec(callTicks()) + " TSC ticks");
  if (made < count) fail("fork-vm", dec(<u64>made) + " of " + dec(<u64>count) + " forks made (dmesg says why)");
}

export function cmdDedup(args: string[]): void {
  if (args.length < 1 || args.length > <i32>DEDUP_DOMAINS_MAX) {
    usageError("dedup", DEDUP_USAGE);
    return;
  }
  const slots: i32[] = [];
  for (let i = 0; i < args.length; i++) {
    if (!domainArg("dedup", args[i])) return;
    if ((domFlags(slot) & DOMFLAG_CONTROL) != 0) {
      fail("dedup", "domain " + domLabel(slot) + " is a control domain: only DomUs share pages");
      return;
    }
    if (slots.includes(slot)) {
      fail("dedup", "domain " + domLabel(slot) + " is named twice");
      return;
    }
    store<u32>(idBuf + (<usize>i << 2), domId(slot));
    slots.push(slot);
  }
  const before = hostRead() == 0 ? hostMemFreeKiB() : 0;
  const paused: u64[] = [];
  const p = pauseAll(slots, paused);
  if (p < 0) {
    fail("dedup", "a domain could not be paused (" + errnoText(p) + ")");
    return;
  }
  const rc = untilOffCpu(HC_DOMAIN_DEDUP, idBuf, <u64>slots.length, 0, 0);
  unpauseAll(paused);
  if (rc < 0) {
    fail("dedup", why(rc));
    return;
  }
  const after = hostRead() == 0 ? hostMemFreeKiB() : 0;
  putsln("dedup of " + dec(<u64>slots.length) + (slots.length == 1 ? " domain: " : " domains: ") + dec(<u64>rc) +
    " pages merged, " + dec(after > before ? after - before : 0) + " KiB freed, " + dec(callTicks()) + " TSC ticks");
}
