// The state tree's management calls (HC_SNAPSHOT_*; src/state/snapshot.ts):
// take, revert to, delete and list a DomU's snapshots, fork one, merge the
// identical pages of a group (HC_DOMAIN_DEDUP). The dispatcher has
// checked the caller's right for each (RIGHT_*); a domain snapshots no one but DomUs
// other than itself.
import { Domain, domainById, DOMSTATE_STOPPED, DOMSTATE_CREATED } from "../domain/domain";
import { guestCopy, guestRangeOk } from "../domain/memory";
import { Snapshot, snapshotName, snapshotById } from "../domain/snapshots";
import { domainFork } from "../state/fork";
import { domainOnOtherCpu } from "../state/capture";
import { dedupScan } from "../domain/dedup";
import { isControlDomain } from "../domain/rights";
import { dec } from "../lib/str";
import { snapshotCreate, snapshotRevert, snapshotDelete, snapshotOf, snapshotFlags, snapshotsListed } from "../state/snapshot";
import {
  ESRCH, EFAULT, EINVAL, ENOENT, SNAPSHOT_NAME_MAX, SNAPDEL_CHILDREN, SNAPREC_ID, SNAPREC_PARENT,
  SNAPREC_FLAGS, SNAPREC_PAGES, SNAPREC_CREATED, SNAPREC_NAME, SNAPREC_SIZE, FORK_COUNT_MAX,
  HC_SNAPSHOT_LIST_MAX, DEDUP_DOMAINS_MAX, EBUSY, ENOMEM,
} from "../arch/abi";

const nameBuf = memory.data(<i32>SNAPSHOT_NAME_MAX + 1);
const record = memory.data(<i32>SNAPREC_SIZE, 8);
const idBuf = memory.data(<i32>(DEDUP_DOMAINS_MAX << 2), 4);

@inline function err(e: u32): i64 { return -<i64>e; }

// A live DomU other than the caller, or null.
function target(caller: Domain, id: u64): Domain | null {
  const d = domainById(id);
  if (d === null || d.state == DOMSTATE_STOPPED || d === caller || isControlDomain(d)) return null;
  return d;
}

// A snapshot name: 1 to SNAPSHOT_NAME_MAX of [A-Za-z0-9._-], not all digits
// (a number names a snapshot by id).
function nameOk(p: usize, n: u32): bool {
  let digits = true;
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2e || c == 0x5f || c == 0x2d;
    if (!ok) return false;
    if (c < 0x30 || c > 0x39) digits = false;
  }
  return !digits;
}

// HC_SNAPSHOT_CREATE: the new snapshot's id.
export function hcSnapshotCreate(caller: Domain, id: u64, name: u64, len: u64): i64 {
  const d = target(caller, id);
  if (d === null) return err(ESRCH);
  if (len > <u64>SNAPSHOT_NAME_MAX) return err(EINVAL);
  if (!guestCopy(caller, name, nameBuf, len, false)) return err(EFAULT);
  if (len != 0 && !nameOk(nameBuf, <u32>len)) return err(EINVAL);
  return snapshotCreate(d, String.UTF8.decodeUnsafe(nameBuf, <usize>len));
}

export function hcSnapshotRevert(caller: Domain, id: u64, snap: u64): i64 {
  const d = target(caller, id);
  if (d === null) return err(ESRCH);
  const s = snapshotOf(d, snap);
  if (s === null) return err(ENOENT);
  return snapshotRevert(d, s);
}

export function hcSnapshotDelete(caller: Domain, id: u64, snap: u64, flags: u64): i64 {
  const d = target(caller, id);
  if (d === null) return err(ESRCH);
  if ((flags & ~<u64>SNAPDEL_CHILDREN) != 0) return err(EINVAL);
  const s = snapshotOf(d, snap);
  if (s === null) return err(ENOENT);
  return snapshotDelete(d, s, (flags & SNAPDEL_CHILDREN) != 0);
}

// HC_SNAPSHOT_LIST: up to `max` records at the caller's `buf`, parents
// first; the number of snapshots in the tree (which may be more).
export function hcSnapshotList(caller: Domain, id: u64, buf: u64, max: u64): i64 {
  const d = target(caller, id);
  if (d === null) return err(ESRCH);
  if (max > <u64>HC_SNAPSHOT_LIST_MAX) return err(EINVAL);
  if (!guestRangeOk(caller, buf, max * <u64>SNAPREC_SIZE)) return err(EFAULT);
  const ids: u32[] = [];
  const parents: u32[] = [];
  snapshotsListed(d, ids, parents);
  for (let i = 0; i < ids.length && <u64>i < max; i++) {
    const s = snapshotOf(d, unchecked(ids[i]))!;
    fill(d, s, unchecked(parents[i]));
    guestCopy(caller, buf + <u64>i * SNAPREC_SIZE, record, SNAPREC_SIZE, true);
  }
  return <i64>ids.length;
}

function fill(d: Domain, s: Snapshot, parent: u32): void {
  memory.fill(record, 0, SNAPREC_SIZE);
  store<u32>(record + SNAPREC_ID, s.id);
  store<u32>(record + SNAPREC_PARENT, parent);
  store<u32>(record + SNAPREC_FLAGS, snapshotFlags(d, s));
  store<u32>(record + SNAPREC_PAGES, s.pages + s.frames);
  store<u64>(record + SNAPREC_CREATED, s.created);
  const name = snapshotName(s);
  String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, record + SNAPREC_NAME);
}

// HC_DOMAIN_FORK: `count` forks of the domain, from snapshot `snap` of its
// tree or (0) from its state now (paused); named `name`, or name-1 ...
// name-K for several ("" for <domain>-f<N>). The first new id (the others
// follow it), or -errno; forks made before a failure stay.
export function hcDomainFork(caller: Domain, id: u64, snap: u64, name: u64, lenCount: u64): i64 {
  const d = target(caller, id);
  if (d === null) return err(ESRCH);
  const len = lenCount & 0xffff;
  const count = (lenCount >> 16) == 0 ? 1 : lenCount >> 16;
  if (len > <u64>SNAPSHOT_NAME_MAX || count > <u64>FORK_COUNT_MAX || (lenCount >> 32) != 0) return err(EINVAL);
  if (!guestCopy(caller, name, nameBuf, len, false)) return err(EFAULT);
  if (len != 0 && !nameOk(nameBuf, <u32>len)) return err(EINVAL);
  let s: Snapshot | null = null;
  if (snap != 0) {
    s = snapshotOf(d, snap);
    if (s === null) return err(ENOENT);
  }
  const given = String.UTF8.decodeUnsafe(nameBuf, <usize>len);
  let first: i64 = 0;
  for (let i: u64 = 0; i < count; i++) {
    let n = given;
    if (n.length == 0) n = d.name + "-f" + dec(++d.forkSeq);
    else if (count > 1) n = given + "-" + dec(i + 1);
    const r = domainFork(d, s, n);
    if (r < 0) return first != 0 ? first : r;
    if (first == 0) first = r;
    // The others share the first one's snapshot.
    if (s === null) s = snapshotById(domainById(<u64>r)!.base);
  }
  return first;
}

// HC_DOMAIN_DEDUP: the identical pages of the `count` DomUs listed at
// `ids` merged; the pages merged.
export function hcDomainDedup(caller: Domain, ids: u64, count: u64): i64 {
  if (count == 0 || count > <u64>DEDUP_DOMAINS_MAX) return err(EINVAL);
  if (!guestCopy(caller, ids, idBuf, count << 2, false)) return err(EFAULT);
  const doms: Domain[] = [];
  for (let i: u32 = 0; i < <u32>count; i++) {
    const d = target(caller, <u64>load<u32>(idBuf + (<usize>i << 2)));
    if (d === null || d.state == DOMSTATE_CREATED) return err(ESRCH);
    if (doms.includes(d)) return err(EINVAL);
    doms.push(d);
  }
  for (let i = 0; i < doms.length; i++) {
    const d = unchecked(doms[i]);
    if (!d.paused || domainOnOtherCpu(d)) return err(EBUSY);
  }
  const merged = dedupScan(doms);
  return merged < 0 ? err(ENOMEM) : merged;
}
