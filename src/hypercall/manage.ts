// Management hypercalls (HC_DOMAIN_LIST ... HC_LOG_READ, HC_CONSOLE_INPUT):
// the control domain's view of and power over the others. The dispatcher has already
// checked the caller's right for each (RIGHT_*). Each call validates every id, size and
// guest buffer before it changes or writes anything, so a malformed call
// returns a negative errno and has no effect; none allocates, except that
// HC_DOMAIN_DESTROY makes the stop-reason string of the domain it ends.
import { schedDomainUnpaused, schedKickDomain } from "../sched/scheduler";
import { rdtsc } from "../arch/hw";
import { isControlDomain } from "../domain/rights";
import {
  Domain, domains, domainById, DOMSTATE_RUNNABLE, DOMSTATE_BLOCKED, DOMSTATE_STOPPED, EXIT_COUNT_SLOTS,
} from "../domain/domain";
import { guestCopy, guestRangeOk, guestOwnPages, guestPages } from "../domain/memory";
import { snapshotFrames, snapshotCount } from "../domain/snapshots";
import { domainStop } from "../lifecycle/stop";
import { logRead, logReadOwn } from "../log/log";
import {
  ESRCH, EFAULT, EINVAL,
  HC_DOMAIN_LIST_MAX, HC_CONSOLE_READ_MAX, HC_LOG_READ_MAX, LOG_READ_OWN, HC_CONSOLE_WRITE_MAX,
  DOMREC_ID, DOMREC_STATE, DOMREC_MEM_KIB, DOMREC_VCPUS, DOMREC_FLAGS, DOMREC_NAME, DOMREC_NAME_MAX, DOMREC_SIZE,
  DOMFLAG_PAUSED, DOMFLAG_CONTROL,
  DOMINFO_RUN_TICKS, DOMINFO_EXIT_CODE, DOMINFO_EXIT_SLOTS, DOMINFO_EXITS, DOMINFO_EXIT_COUNT_MAX, DOMINFO_SIZE,
  DOMINFO_STOP_CAUSE, DOMINFO_RESTARTS, DOMINFO_PAGES_OWN, DOMINFO_RIGHTS, DOMINFO_PAGES_SHARED, DOMINFO_PAGES_SNAPSHOTS, DOMINFO_SNAPSHOTS, DOMSTOP_DESTROYED,
} from "../arch/abi";
import { dec } from "../lib/str";

// One record, built here and then copied out.
const record = memory.data(<i32>DOMINFO_SIZE, 8);
// Bytes read from a ring, or typed for HC_CONSOLE_INPUT, on their way.
const READ_BOUNCE_SIZE: u32 = HC_CONSOLE_READ_MAX > HC_LOG_READ_MAX ? HC_CONSOLE_READ_MAX : HC_LOG_READ_MAX;
const BOUNCE_SIZE: u32 = READ_BOUNCE_SIZE > HC_CONSOLE_WRITE_MAX ? READ_BOUNCE_SIZE : HC_CONSOLE_WRITE_MAX;
const readBounce = memory.data(<i32>BOUNCE_SIZE);

@inline function err(e: u32): i64 { return -<i64>e; }

// DOMSTATE_BLOCKED for a running domain whose started vCPUs all halted
// (Xen's `b`); otherwise its state.
function reportedState(d: Domain): u32 {
  if (d.state != DOMSTATE_RUNNABLE) return d.state;
  for (let i = 0; i < d.vcpus.length; i++) {
    const v = unchecked(d.vcpus[i]);
    if (v.state.started && !v.state.halted) return DOMSTATE_RUNNABLE;
  }
  return DOMSTATE_BLOCKED;
}

// The DOMREC_SIZE head of a record, at `record`.
function fillRecord(d: Domain): void {
  store<u32>(record + DOMREC_ID, d.id);
  store<u32>(record + DOMREC_STATE, reportedState(d));
  store<u64>(record + DOMREC_MEM_KIB, d.guest.memBytes >> 10);
  store<u32>(record + DOMREC_VCPUS, <u32>d.vcpus.length);
  let flags: u32 = 0;
  if (d.paused) flags |= DOMFLAG_PAUSED;
  if (isControlDomain(d)) flags |= DOMFLAG_CONTROL;
  store<u32>(record + DOMREC_FLAGS, flags);
  const n = d.name.length;
  for (let i: u32 = 0; i < DOMREC_NAME_MAX; i++) {
    let b: u8 = 0;
    if (i < DOMREC_NAME_MAX - 1 && <i32>i < n) {
      const ch = d.name.charCodeAt(<i32>i);
      b = ch >= 0x20 && ch < 0x7f ? <u8>ch : 0x3f;
    }
    store<u8>(record + DOMREC_NAME + i, b);
  }
}

// HC_DOMAIN_LIST: up to `max` records, in creation (id) order.
export function hcDomainList(caller: Domain, buf: u64, max: u64): i64 {
  if (max > <u64>HC_DOMAIN_LIST_MAX) return err(EINVAL);
  if (!guestRangeOk(caller, buf, max * DOMREC_SIZE)) return err(EFAULT);
  let n: u64 = 0;
  for (let i = 0; i < domains.length && n < max; i++) {
    fillRecord(unchecked(domains[i]));
    guestCopy(caller, buf + n * DOMREC_SIZE, record, DOMREC_SIZE, true);
    n++;
  }
  return <i64>n;
}

// HC_DOMAIN_INFO: one DOMINFO_SIZE record.
export function hcDomainInfo(caller: Domain, id: u64, buf: u64): i64 {
  const d = domainById(id);
  if (d === null) return err(ESRCH);
  fillRecord(d);
  store<u64>(record + DOMINFO_RUN_TICKS, d.stats.runTicks);
  store<i32>(record + DOMINFO_EXIT_CODE, d.exitCode);
  store<u32>(record + DOMINFO_STOP_CAUSE, d.stopCause);
  store<u32>(record + DOMINFO_RESTARTS, d.restarts);
  // Its own frames, those no one else holds; the rest of its pages map
  // frames shared with a snapshot or (dedup) other domains.
  const own = guestOwnPages(d) - d.ownShared;
  store<u32>(record + DOMINFO_PAGES_OWN, own);
  store<u32>(record + DOMINFO_RIGHTS, d.rights);
  store<u32>(record + DOMINFO_PAGES_SHARED, d.eptPml4 != 0 ? guestPages(d) - own : 0);
  store<u32>(record + DOMINFO_PAGES_SNAPSHOTS, <u32>snapshotFrames(d.id));
  store<u32>(record + DOMINFO_SNAPSHOTS, snapshotCount(d.id));
  store<u32>(record + DOMINFO_EXIT_SLOTS, DOMINFO_EXIT_COUNT_MAX);
  for (let i: u32 = 0; i < DOMINFO_EXIT_COUNT_MAX; i++) {
    store<u64>(record + DOMINFO_EXITS + (i << 3), i < EXIT_COUNT_SLOTS ? unchecked(d.stats.exitCounts[i]) : 0);
  }
  return guestCopy(caller, buf, record, DOMINFO_SIZE, true) ? 0 : err(EFAULT);
}

// A live domain other than the caller for pause, unpause and destroy:
// 0, or the errno.
function liveTarget(caller: Domain, d: Domain | null, selfAllowed: bool): u32 {
  if (d === null || d.state == DOMSTATE_STOPPED) return ESRCH;
  if (!selfAllowed && d === caller) return EINVAL;
  return 0;
}

// HC_DOMAIN_PAUSE / HC_DOMAIN_UNPAUSE. Idempotent. A domain may not pause
// itself (nothing would run it again to unpause).
export function hcDomainPause(caller: Domain, id: u64, pause: bool): i64 {
  const d = domainById(id);
  const e = liveTarget(caller, d, !pause);
  if (e != 0) return err(e);
  d!.paused = pause;
  if (!pause) schedDomainUnpaused(d!, rdtsc());
  else schedKickDomain(d!);   // its vCPUs on other CPUs stop now, not at their slice's end
  return 0;
}

// HC_DOMAIN_DESTROY: domainStop, which scrubs and frees its memory. A
// stopped domain kept by on_*=preserve is let go (reaped with the others).
export function hcDomainDestroy(caller: Domain, id: u64): i64 {
  const d = domainById(id);
  if (d !== null && d.state == DOMSTATE_STOPPED && d.preserved) {
    d.preserved = false;
    return 0;
  }
  const e = liveTarget(caller, d, false);
  if (e != 0) return err(e);
  domainStop(d!, "destroyed by domain " + dec(caller.id), DOMSTOP_DESTROYED);
  return 0;
}

// HC_CONSOLE_READ: bytes of another domain's console ring from absolute
// position `from` (clamped to the oldest byte the ring still holds).
export function hcConsoleRead(caller: Domain, id: u64, from: u64, buf: u64, len: u64): i64 {
  const d = domainById(id);
  if (d === null || changetype<usize>(d.console) == 0) return err(ESRCH);
  if (len > <u64>HC_CONSOLE_READ_MAX) return err(EINVAL);
  if (!guestRangeOk(caller, buf, len)) return err(EFAULT);
  const n = d.console.read(from, readBounce, <u32>len);
  guestCopy(caller, buf, readBounce, <u64>n, true);
  d.consoleNotified = false;   // the next output is news again
  return <i64>n;
}

// HC_LOG_READ: bytes of the hypervisor log ring from absolute position `from`.
export function hcLogRead(caller: Domain, from: u64, buf: u64, len: u64, flags: u64): i64 {
  if (len > <u64>HC_LOG_READ_MAX || (flags & ~<u64>LOG_READ_OWN) != 0) return err(EINVAL);
  if (!guestRangeOk(caller, buf, len)) return err(EFAULT);
  const n = flags != 0 ? logReadOwn(from, readBounce, <u32>len) : logRead(from, readBounce, <u32>len);
  guestCopy(caller, buf, readBounce, <u64>n, true);
  return <i64>n;
}

// HC_CONSOLE_INPUT: bytes typed at domain `id`'s console, into its emulated
// UART's receiver, as many as its input ring has room for; the caller sends
// the rest again later, so nothing is dropped or flagged as an overrun.
// -EINVAL for Domain 0, whose COM1 is the real one.
export function hcConsoleInput(caller: Domain, id: u64, buf: u64, len: u64): i64 {
  if (len > <u64>HC_CONSOLE_WRITE_MAX) return err(EINVAL);
  const d = domainById(id);
  if (d === null || d.state == DOMSTATE_STOPPED) return err(ESRCH);
  const uart = d.uart;
  if (uart === null) return err(EINVAL);
  if (!guestRangeOk(caller, buf, len)) return err(EFAULT);
  const room = <u64>uart.s.rxRoom();
  const n = len < room ? len : room;
  guestCopy(caller, buf, readBounce, n, false);
  for (let i: u32 = 0; i < <u32>n; i++) uart.receive(load<u8>(readBounce + i));
  return <i64>n;
}
