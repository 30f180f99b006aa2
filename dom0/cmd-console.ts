// Shell commands on consoles and logs: console, log, dmesg. `console`
// asks dom0/shell.ts (dom0/session.ts) for its console mode; it remembers, per
// domain, how far its console was shown, so attaching again shows only
// output not yet seen (the first time: all the ring holds).
import { vmcall } from "./hw";
import { putsln, newline } from "./uart";
import { fail, usageError } from "./cmdutil";
import { domainArg } from "./cmd-domains";
import { domId, domLabel, selfId } from "./domains";
import { sessionAttach, sessionLiveLog } from "./session";
import { ringOldest, ringPrint, ringPrintLast, RING_LOG_OWN } from "./rings";
import { errnoText } from "./text";
import { HC_DOMAIN_INFO, DOMINFO_SIZE, DOMREC_STATE, DOMSTATE_STOPPED } from "../src/arch/abi";

const SEEN_MAX: i32 = 32;
const seenIds = memory.data(SEEN_MAX * 8, 8);
const seenPos = memory.data(SEEN_MAX * 8, 8);
let seenNext: i32 = 0;
const info = memory.data(<i32>DOMINFO_SIZE, 8);

function seenSlot(id: u64): i32 {
  for (let i = 0; i < SEEN_MAX; i++) if (load<u64>(seenIds + <usize>(i * 8)) == id) return i;
  return -1;
}

// The console of domain `id` was shown up to `pos`.
export function consoleSeen(id: u64, pos: u64): void {
  let i = seenSlot(id);
  if (i < 0) {
    i = seenNext;
    seenNext = (seenNext + 1) % SEEN_MAX;
  }
  store<u64>(seenIds + <usize>(i * 8), id);
  store<u64>(seenPos + <usize>(i * 8), pos);
}

// Is domain `id` stopped (or gone)?
export function consoleDomainGone(id: u64): bool {
  if (vmcall(HC_DOMAIN_INFO, id, info, 0, 0) != 0) return true;
  return load<u32>(info + DOMREC_STATE) == DOMSTATE_STOPPED;
}

export function cmdConsole(args: string[]): void {
  const slot = domainArg("console", args, false);
  if (slot < 0) return;
  const id = <u64>domId(slot);
  if (id == selfId) {
    fail("console", "domain " + domLabel(slot) + " is Domain 0 itself (this is its console)");
    return;
  }
  if (!sessionLiveLog()) {
    fail("console", "no console input without hypervisor events");
    return;
  }
  let from: i64 = 0;
  const i = seenSlot(id);
  if (i >= 0) from = <i64>load<u64>(seenPos + <usize>(i * 8));
  const oldest = ringOldest(<i64>id);
  if (oldest < 0) {
    fail("console", "domain " + domLabel(slot) + ": HC_CONSOLE_READ failed (" + errnoText(oldest) + ")");
    return;
  }
  if (from < oldest) from = oldest;
  putsln("[console of domain " + domLabel(slot) + "; Ctrl-] returns to the shell]");
  sessionAttach(id, <u64>from);
}

// Prints a whole ring (the log or a domain's console); false on error.
function printRing(cmd: string, ring: i64, what: string): i64 {
  const from = ringOldest(ring);
  if (from < 0) {
    fail(cmd, what + ": read failed (" + errnoText(from) + ")");
    return from;
  }
  const end = ringPrint(ring, <u64>from);
  if (end < 0) {
    newline();
    fail(cmd, what + ": read failed (" + errnoText(end) + ")");
    return end;
  }
  if (end == from) putsln("(" + what + " has no output)");
  else if (ringPrintLast != 10) newline();
  return end;
}

export function cmdLog(args: string[]): void {
  const slot = domainArg("log", args, true);
  if (slot < 0) return;
  printRing("log", <i64>domId(slot), "domain " + domLabel(slot));
}

export function cmdDmesg(args: string[]): void {
  if (args.length != 0) {
    usageError("dmesg", "");
    return;
  }
  // Its own lines: its domains' console lines are in their rings (log).
  printRing("dmesg", RING_LOG_OWN, "the hypervisor log");
}
