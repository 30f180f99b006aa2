// The domain list (HC_DOMAIN_LIST) and how the shell names a domain: by id
// (digits) or by name. Names are unique among live domains (Domain 0 refuses
// to create a second one); a stopped domain keeps its record, so an id or a
// name may lead to a stopped domain, which management commands refuse by
// saying so.
import { vmcall } from "./hw";
import {
  HC_DOMAIN_LIST, HC_DOMAIN_LIST_MAX, DOMREC_ID, DOMREC_STATE, DOMREC_MEM_KIB, DOMREC_VCPUS, DOMREC_FLAGS,
  DOMREC_NAME, DOMREC_NAME_MAX, DOMREC_SIZE, DOMSTATE_RUNNABLE, DOMSTATE_BLOCKED, DOMSTATE_STOPPED,
  DOMSTATE_CREATED, DOMFLAG_PAUSED, DOMFLAG_CONTROL,
} from "../src/arch/abi";
import { stringFromBytes, strnlen, dec } from "../src/lib/str";
import { parseDecimal } from "./words";
import { errnoText } from "./text";

const records = memory.data(<i32>(HC_DOMAIN_LIST_MAX * DOMREC_SIZE), 8);
let count: i32 = 0;

// Reads the list; the number of records, or a negative errno.
export function domainsLoad(): i32 {
  const n = vmcall(HC_DOMAIN_LIST, records, HC_DOMAIN_LIST_MAX, 0, 0);
  count = n < 0 ? 0 : <i32>n;
  return n < 0 ? <i32>n : count;
}

export function domainCount(): i32 { return count; }

function rec(slot: i32): usize { return records + <usize>(slot * <i32>DOMREC_SIZE); }

export function domId(slot: i32): u32 { return load<u32>(rec(slot) + DOMREC_ID); }
export function domState(slot: i32): u32 { return load<u32>(rec(slot) + DOMREC_STATE); }
export function domMemKiB(slot: i32): u64 { return load<u64>(rec(slot) + DOMREC_MEM_KIB); }
export function domVcpus(slot: i32): u32 { return load<u32>(rec(slot) + DOMREC_VCPUS); }
export function domFlags(slot: i32): u32 { return load<u32>(rec(slot) + DOMREC_FLAGS); }
export function domLive(slot: i32): bool { return domState(slot) != DOMSTATE_STOPPED; }

export function domName(slot: i32): string {
  const p = rec(slot) + DOMREC_NAME;
  const n = strnlen(p, DOMREC_NAME_MAX);
  return stringFromBytes(p, n < 0 ? DOMREC_NAME_MAX : <u32>n);
}

// "3 (counter)": how messages name a domain.
export function domLabel(slot: i32): string {
  return dec(domId(slot)) + " (" + domName(slot) + ")";
}

export function stateName(state: u32, flags: u32): string {
  if (state == DOMSTATE_STOPPED) return "stopped";
  if ((flags & DOMFLAG_PAUSED) != 0) return "paused";
  if (state == DOMSTATE_RUNNABLE) return "runnable";
  if (state == DOMSTATE_BLOCKED) return "blocked";
  if (state == DOMSTATE_CREATED) return "created";
  return "unknown";
}

// The slot of the live domain called `name`, or -1.
export function findLiveByName(name: string): i32 {
  for (let s = 0; s < count; s++) if (domLive(s) && domName(s) == name) return s;
  return -1;
}

export function findById(id: u64): i32 {
  for (let s = 0; s < count; s++) if (<u64>domId(s) == id) return s;
  return -1;
}

// Set when domainResolve returns -1.
export let resolveError: string = "";

// The slot of the domain `what` names (an id or a name), or -1 with
// resolveError set. A stopped domain is refused unless `stoppedOk`.
// Reads the list first.
export function domainResolve(what: string, stoppedOk: bool): i32 {
  const rc = domainsLoad();
  if (rc < 0) {
    resolveError = "cannot list the domains (" + errnoText(rc) + ")";
    return -1;
  }
  const id = parseDecimal(what);
  let slot = -1;
  if (id >= 0) {
    slot = findById(<u64>id);
    if (slot < 0) {
      resolveError = "no domain with id " + what;
      return -1;
    }
  } else {
    slot = findLiveByName(what);
    if (slot < 0) {
      // The newest stopped one of that name, to say it stopped.
      for (let s = count - 1; s >= 0; s--) {
        if (domName(s) == what) {
          slot = s;
          break;
        }
      }
    }
    if (slot < 0) {
      resolveError = "no domain named \"" + what + "\" (list shows them)";
      return -1;
    }
  }
  if (!stoppedOk && !domLive(slot)) {
    resolveError = "domain " + domLabel(slot) + " is stopped";
    return -1;
  }
  return slot;
}

// Domain 0's own id: the live control domain with its name (from its boot
// command line); 0 when not found.
export let selfId: u64 = 0;

export function domainsFindSelf(name: string): void {
  domainsLoad();
  for (let s = 0; s < count; s++) {
    if (domLive(s) && (domFlags(s) & DOMFLAG_CONTROL) != 0 && domName(s) == name) selfId = domId(s);
  }
}
