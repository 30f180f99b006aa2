// Save and restore, the hypervisor's part (HC_DOMAIN_STATE_GET, _SET):
// a DomU's config line and state record (src/state/capture.ts) go out to
// the caller, and a record comes back into a domain the caller created from
// that config and loaded with the saved memory. The stream around them
// (src/state/stream.ts), the memory and the disk are Domain 0's, as Xen's
// toolstack writes its migration stream from domctls.
import { Domain, Vcpu, domainById, DOMSTATE_STOPPED, DOMSTATE_CREATED } from "../domain/domain";
import { guestCopy, guestRangeOk } from "../domain/memory";
import { isControlDomain } from "../domain/rights";
import { captureSize, domainCapture, domainRestore, captureRefusal, domainOnOtherCpu } from "../state/capture";
import { domainStart } from "../lifecycle/builder";
import { domainStop } from "../lifecycle/stop";
import { ESRCH, EFAULT, EINVAL, EBUSY, STATE_RECORD, STATE_CONFIG, STATE_WHY_MAX } from "../arch/abi";

@inline function err(e: u32): i64 { return -<i64>e; }

// HC_DOMAIN_STATE_GET: the size of what is asked for, copied out when the
// buffer holds it.
export function hcDomainStateGet(caller: Domain, id: u64, what: u64, buf: u64, len: u64): i64 {
  const d = domainById(id);
  if (d === null || d === caller || isControlDomain(d) || d.state == DOMSTATE_STOPPED || d.state == DOMSTATE_CREATED) {
    return err(ESRCH);
  }
  if (what == <u64>STATE_CONFIG) {
    const line = String.UTF8.encode(d.configLine);
    const n = <u64>line.byteLength;
    if (len < n) return <i64>n;
    return guestCopy(caller, buf, changetype<usize>(line), n, true) ? <i64>n : err(EFAULT);
  }
  if (what != <u64>STATE_RECORD) return err(EINVAL);
  if (!d.paused || domainOnOtherCpu(d)) return err(EBUSY);
  const n = <u64>captureSize(d);
  if (len < n) return <i64>n;
  if (!guestRangeOk(caller, buf, n)) return err(EFAULT);
  const stage = heap.alloc(<usize>n);
  if (domainCapture(d, stage).length != 0) return err(EBUSY);
  guestCopy(caller, buf, stage, n, true);
  return <i64>n;
}

// HC_DOMAIN_STATE_SET: a created domain takes the record and is started,
// paused. A record it cannot take leaves it as it was, and says why.
export function hcDomainStateSet(caller: Domain, id: u64, buf: u64, len: u64): i64 {
  const d = domainById(id);
  if (d === null) return err(ESRCH);
  if (d.state != DOMSTATE_CREATED) return err(EINVAL);
  if (len < <u64>STATE_WHY_MAX || !guestRangeOk(caller, buf, len)) return err(EFAULT);
  const n = captureSize(d);
  if (len != <u64>n) return refused(caller, buf, "the record is " + len.toString() + " bytes, a domain of this shape has " + n.toString());
  const stage = heap.alloc(<usize>n);
  guestCopy(caller, buf, stage, len, false);
  const why = captureRefusal(d, stage, n);
  if (why.length != 0) return refused(caller, buf, why);
  // Started as a fork is: its vCPUs come out of the record.
  unchecked(d.vcpus[0]).state.entrySet = true;
  const e = domainStart(d);
  if (e != 0) return err(e);
  d.paused = true;
  const late = domainRestore(d, stage, n);
  if (late.length != 0) {
    domainStop(d, "restore: its state refused: " + late);
    return err(EINVAL);
  }
  return 0;
}

function refused(caller: Domain, buf: u64, why: string): i64 {
  const text = String.UTF8.encode(why, true);
  let n = <u64>text.byteLength;
  if (n > <u64>STATE_WHY_MAX) {
    n = <u64>STATE_WHY_MAX;
    store<u8>(changetype<usize>(text) + <usize>n - 1, 0);
  }
  guestCopy(caller, buf, changetype<usize>(text), n, true);
  return err(EINVAL);
}
