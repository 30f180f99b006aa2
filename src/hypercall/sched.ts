// Hypercalls about vCPUs and the scheduler: a domain starting its own further
// vCPUs (HC_VCPU_START), and the management calls behind the shell's
// `sched` and `vcpu` commands (HC_SCHED_GET/SET, HC_VCPU_INFO, HC_VCPU_PIN;
// the dispatcher has checked the call's right). Every argument and guest buffer
// is checked before anything changes; a malformed call has no effect.
import { Vcpu, Domain, domainById, DOMSTATE_STOPPED, DOMSTATE_CREATED } from "../domain/domain";
import { vcpuStart } from "../lifecycle/builder";
import { guestCopy, guestRangeOk } from "../domain/memory";
import { schedPolicy, schedDomainParams, schedSetAffinity } from "../sched/scheduler";
import { VCPU_RUNNABLE, VCPU_RUNNING } from "../sched/policy";
import {
  ESRCH, EFAULT, EINVAL, VCPUENTRY_SIZE, SCHEDREC_WEIGHT, SCHEDREC_CAP, SCHEDREC_CREDIT, SCHEDREC_RUN_TICKS,
  SCHEDREC_SIZE, SCHED_WEIGHT_MAX, VCPUINFO_STATE, VCPUINFO_CPU, VCPUINFO_AFFINITY, VCPUINFO_RUN_TICKS,
  VCPUINFO_RAN_ON, VCPUINFO_SIZE, VCPUSTATE_DOWN, VCPUSTATE_RUNNABLE, VCPUSTATE_RUNNING, VCPUSTATE_BLOCKED,
} from "../arch/abi";

const record = memory.data(<i32>(VCPUENTRY_SIZE > VCPUINFO_SIZE ? VCPUENTRY_SIZE : VCPUINFO_SIZE), 8);

@inline function err(e: u32): i64 { return -<i64>e; }

// HC_VCPU_START: the caller's vCPU `index` starts at the entry record `gpa`.
export function hcVcpuStart(caller: Domain, index: u64, gpa: u64): i64 {
  if (index >= <u64>caller.vcpus.length) return err(ESRCH);
  if (!guestCopy(caller, gpa, record, VCPUENTRY_SIZE, false)) return err(EFAULT);
  const e = vcpuStart(caller, index, record);
  return e != 0 ? err(e) : 0;
}

// A domain the scheduler calls may act on: live, or created and not started.
function schedTarget(id: u64): Domain | null {
  const d = domainById(id);
  return d !== null && d.state != DOMSTATE_STOPPED ? d : null;
}

// HC_SCHED_GET: weight, cap, credit, run time.
export function hcSchedGet(caller: Domain, id: u64, buf: u64): i64 {
  const d = schedTarget(id);
  if (d === null) return err(ESRCH);
  if (!guestRangeOk(caller, buf, SCHEDREC_SIZE)) return err(EFAULT);
  store<u32>(record + SCHEDREC_WEIGHT, d.weight);
  store<u32>(record + SCHEDREC_CAP, d.cap);
  store<i64>(record + SCHEDREC_CREDIT, d.state == DOMSTATE_CREATED ? 0 : schedPolicy().domainCredit(d.id));
  store<u64>(record + SCHEDREC_RUN_TICKS, d.stats.runTicks);
  guestCopy(caller, buf, record, SCHEDREC_SIZE, true);
  return 0;
}

// HC_SCHED_SET: new weight and cap, from the next accounting period.
export function hcSchedSet(caller: Domain, id: u64, weight: u64, cap: u64): i64 {
  const d = schedTarget(id);
  if (d === null) return err(ESRCH);
  if (weight < 1 || weight > <u64>SCHED_WEIGHT_MAX || cap > 100 * <u64>d.vcpus.length) return err(EINVAL);
  d.weight = <u32>weight;
  d.cap = <u32>cap;
  schedDomainParams(d);
  return 0;
}

function vcpuOf(id: u64, index: u64): Vcpu | null {
  const d = schedTarget(id);
  if (d === null || index >= <u64>d.vcpus.length) return null;
  return unchecked(d.vcpus[<i32>index]);
}

// HC_VCPU_INFO: state, CPU, affinity, run time, CPUs ever run on.
export function hcVcpuInfo(caller: Domain, id: u64, index: u64, buf: u64): i64 {
  const v = vcpuOf(id, index);
  if (v === null) return err(ESRCH);
  if (!guestRangeOk(caller, buf, VCPUINFO_SIZE)) return err(EFAULT);
  let state = VCPUSTATE_DOWN;
  let cpu: i32 = -1;
  let ran: u64 = 0;
  if (v.state.started && v.schedId >= 0) {
    const p = schedPolicy();
    const s = p.vcpuState(<u32>v.schedId);
    state = s == VCPU_RUNNING ? VCPUSTATE_RUNNING : s == VCPU_RUNNABLE ? VCPUSTATE_RUNNABLE : VCPUSTATE_BLOCKED;
    cpu = p.vcpuCpu(<u32>v.schedId);
    ran = p.vcpuRunTicks(<u32>v.schedId);
  }
  store<u32>(record + VCPUINFO_STATE, state);
  store<i32>(record + VCPUINFO_CPU, cpu);
  store<u64>(record + VCPUINFO_AFFINITY, v.affinity);
  store<u64>(record + VCPUINFO_RUN_TICKS, ran);
  store<u64>(record + VCPUINFO_RAN_ON, v.stats.ranOn);
  guestCopy(caller, buf, record, VCPUINFO_SIZE, true);
  return 0;
}

// HC_VCPU_PIN: the vCPU runs only on the CPUs in `mask` from now on.
export function hcVcpuPin(caller: Domain, id: u64, index: u64, mask: u64): i64 {
  const v = vcpuOf(id, index);
  if (v === null) return err(ESRCH);
  return schedSetAffinity(v, mask) ? 0 : err(EINVAL);
}
