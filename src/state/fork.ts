// Forks: new domains from a domain's snapshot, or from its state now (then
// through a snapshot of its own, hidden, that lives as long as a domain is
// based on it). A fork has its own id, name, vCPUs, devices and console,
// each a copy of the snapshot's; its memory is the snapshot's image, shared
// copy-on-write (src/domain/memory.ts), so it costs its EPT until it writes.
// Many forks of one snapshot share the same frames.
import { Domain, domains, DOMSTATE_CREATED, DOMSTATE_STOPPED } from "../domain/domain";
import { Snapshot, snapshotById, snapshotDepend, snapshotHide, imageInto } from "../domain/snapshots";
import { parseDomainConfig } from "../domain/config";
import { domainCreate, domainStart, builderHandoff } from "../lifecycle/builder";
import { domainStop } from "../lifecycle/stop";
import { snapshotCreate, snapshotRecord, snapshotRecordSize, ownEventPage } from "./snapshot";
import { domainRestore } from "./capture";
import { schedDomainUnpaused } from "../sched/scheduler";
import { rdtsc } from "../arch/hw";
import { EINVAL, ENOMEM, EEXIST } from "../arch/abi";
import { println } from "../log/log";
import { dec } from "../lib/str";

@inline function err(e: u32): i64 { return -<i64>e; }

function nameTaken(name: string): bool {
  for (let i = 0; i < domains.length; i++) {
    const d = unchecked(domains[i]);
    if (d.state != DOMSTATE_STOPPED && d.name == name) return true;
  }
  return false;
}

// A fork of `src` named `name`, from snapshot `s` of its tree or (null)
// from its state now, which needs it paused and on no CPU. The new
// domain's id, running; or -errno (a fork that failed once built is
// stopped, its frames given back, the snapshot made for it gone).
export function domainFork(src: Domain, s: Snapshot | null, name: string): i64 {
  if (src.state == DOMSTATE_CREATED || src.state == DOMSTATE_STOPPED) return err(EINVAL);
  if (nameTaken(name)) return err(EEXIST);
  const cfg = parseDomainConfig(src.configLine, src.name);
  if (cfg.error.length != 0) return err(EINVAL);
  cfg.name = name;
  let implicit = false;
  if (s === null) {
    const id = snapshotCreate(src, "", true);
    if (id < 0) return id;
    s = snapshotById(id)!;
    implicit = true;
  }
  const snap = changetype<Snapshot>(s);
  if (snap.memBytes != cfg.memBytes) return fail(snap, implicit, err(EINVAL));
  const d = domainCreate(cfg, builderHandoff(), false, false);
  if (d === null) return fail(snap, implicit, err(ENOMEM));
  d.image = src.image;
  d.initrd = src.initrd;
  if (!imageInto(d.eptPml4, snap)) {
    domainStop(d, "fork: out of memory for its EPT");
    return fail(snap, implicit, err(ENOMEM));
  }
  // From here on the fork depends on the snapshot: stopping it lets go of
  // that (and of a snapshot made for it).
  d.base = snap.id;
  snapshotDepend(snap);
  // Started as its builder starts it, then given the snapshot's state (which
  // starts the other vCPUs the snapshot had running) while paused.
  unchecked(d.vcpus[0]).state.entrySet = true;
  if (domainStart(d) != 0) return err(ENOMEM);
  d.paused = true;
  const rec = snapshotRecord(snap, true);
  const why = rec == 0 ? "its stored state is damaged" : domainRestore(d, rec, snapshotRecordSize(snap), false, true);
  if (why.length != 0) {
    domainStop(d, "fork: its state refused: " + why);
    return err(EINVAL);
  }
  ownEventPage(d);
  d.paused = false;
  schedDomainUnpaused(d, rdtsc());
  println("hv: domain " + dec(d.id) + " (" + d.name + ") forked from domain " + dec(src.id) + " (" + src.name + ")");
  return <i64>d.id;
}

// A fork that did not come about before it depended on the snapshot: the
// snapshot made for it goes again.
function fail(s: Snapshot, implicit: bool, e: i64): i64 {
  if (implicit) snapshotHide(s);
  return e;
}
