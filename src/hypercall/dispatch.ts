// The hypercall dispatcher (the ABI is src/arch/abi.ts). Arguments come
// from the caller's registers; every guest-physical pointer and length is
// checked against the caller's memory before anything is read, and data is
// copied, never used in place.
import { Vcpu } from "../domain/domain";
import { ACTION_NEXT, ACTION_YIELD, ACTION_STOP } from "../vmx/action";
import { vmcsRead32 } from "../vmx/vmcs";
import {
  GUEST_CS_ACCESS_RIGHTS, GUEST_SS_ACCESS_RIGHTS, SEGMENT_AR_L, SEGMENT_AR_DPL_SHIFT, SEGMENT_AR_DPL_MASK,
} from "../arch/vmcs";
import { gpr, setGpr, REG_RAX, REG_RDI, REG_RSI, REG_RDX, REG_R10 } from "../vmx/regs";
import { guestCopy } from "../domain/memory";
import { domainStop, domainsReap } from "../lifecycle/stop";
import { scratchReset } from "../mm/heap";
import { thisCpuIndex, l1dDirty } from "../cpu/percpu";
import {
  HC_VERSION, HC_CONSOLE_WRITE, HC_YIELD, HC_SHUTDOWN, HYPERCALL_ABI_VERSION,
  HC_CONSOLE_WRITE_MAX, EPERM, EFAULT, EINVAL, ENOSYS, RIGHT_DOMAINS, RIGHT_MEMORY, RIGHT_SCHED, RIGHT_HOST, RIGHT_POWER,
  HC_DOMAIN_LIST, HC_DOMAIN_INFO, HC_DOMAIN_PAUSE, HC_DOMAIN_UNPAUSE, HC_DOMAIN_DESTROY, HC_CONSOLE_READ,
  HC_LOG_READ, HC_MODULE_LIST, HC_MODULE_READ, HC_DOMAIN_CREATE, HC_DOMAIN_LOAD, HC_VCPU_SET_ENTRY, HC_DOMAIN_START,
  HC_EVENT_SETUP, HC_CONSOLE_INPUT, HC_HOST_INFO, HC_CPU_INFO, HC_HOST_POWER, HC_COUNT,
  HC_VCPU_START, HC_SCHED_GET, HC_SCHED_SET, HC_VCPU_INFO, HC_VCPU_PIN, HC_TIMER_SET, DOMSTOP_EXIT,
  HC_DOMAIN_MEM_READ, HC_DOMAIN_MEM_WRITE, HC_VCPU_GET, HC_VCPU_SET,
  HC_SNAPSHOT_CREATE, HC_SNAPSHOT_REVERT, HC_SNAPSHOT_DELETE, HC_SNAPSHOT_LIST, HC_DOMAIN_FORK, HC_DOMAIN_DEDUP, HC_DOMAIN_RIGHTS,
  HC_DOMAIN_STATE_GET, HC_DOMAIN_STATE_SET, HC_DOMAIN_MEM_PAGES,
} from "../arch/abi";
import { hcVcpuStart, hcSchedGet, hcSchedSet, hcVcpuInfo, hcVcpuPin } from "./sched";
import { hcDomainMem, hcDomainMemPages, hcVcpuGet, hcVcpuSet } from "./inspect";
import { hcDomainStateGet, hcDomainStateSet } from "./save";
import { hcSnapshotCreate, hcSnapshotRevert, hcSnapshotDelete, hcSnapshotList, hcDomainFork, hcDomainDedup } from "./snapshot";
import { hasRight } from "../domain/rights";
import {
  hcDomainList, hcDomainInfo, hcDomainPause, hcDomainDestroy, hcConsoleRead, hcLogRead, hcConsoleInput,
} from "./manage";
import { hcHostInfo, hcCpuInfo, hcHostPower } from "./host";
import { eventConsoleOutput } from "../domain/events";
import { hcEventSetup } from "./events";
import { hcTimerSet } from "../domain/timer";
import { hcModuleList, hcModuleRead, hcDomainCreate, hcDomainLoad, hcVcpuSetEntry, hcDomainStart, hcDomainRights } from "./build";
import { switchTo } from "../vmx/switch";
import { dec } from "../lib/str";

// Bounce buffer for console writes: guest bytes are copied in, then used.
const bounce = memory.data(<i32>HC_CONSOLE_WRITE_MAX);

// The VMCALL that exited (its vCPU's VMCS current): the caller's mode decides
// the argument width, its privilege level whether it may call at all. CPL is
// SS.DPL (SDM Vol. 3C 25.4.1: the VMCS keeps it there).
export function hypercallExit(vcpu: Vcpu): u32 {
  const cpl = (vmcsRead32(GUEST_SS_ACCESS_RIGHTS) & SEGMENT_AR_DPL_MASK) >> SEGMENT_AR_DPL_SHIFT;
  return hypercall(vcpu, (vmcsRead32(GUEST_CS_ACCESS_RIGHTS) & SEGMENT_AR_L) != 0, cpl);
}

// `wide` is false for a caller in 32-bit mode, whose registers' upper halves
// are undefined: its arguments are truncated to 32 bits, and it has only
// three (EDI, ESI, EDX; R10, which it cannot reach, reads as 0). Only the
// guest's kernel (CPL 0) may call; user space gets -EPERM, as under KVM.
// Every call from HC_DOMAIN_LIST on (management, building, the console,
// the host, the scheduler) also needs its right (rightFor), except the
// calls on the caller's own vCPUs and events: HC_VCPU_START, HC_EVENT_SETUP
// (whose console flag checks RIGHT_CONSOLE itself) and HC_TIMER_SET.
export function hypercall(vcpu: Vcpu, wide: bool, cpl: u32): u32 {
  if (cpl != 0) {
    setGpr(vcpu, REG_RAX, <u64>(-<i64>EPERM));
    return ACTION_NEXT;
  }
  const mask: u64 = wide ? 0xffffffffffffffff : 0xffffffff;
  const nr = gpr(vcpu, REG_RAX) & mask;
  const a0 = gpr(vcpu, REG_RDI) & mask;
  const a1 = gpr(vcpu, REG_RSI) & mask;
  const a2 = gpr(vcpu, REG_RDX) & mask;
  const a3 = wide ? gpr(vcpu, REG_R10) : 0;
  const dom = vcpu.domain;
  let result: i64 = -<i64>ENOSYS;
  let action = ACTION_NEXT;
  const right = rightFor(nr);
  if (right != 0) {
    // Management: the right first, so a DomU learns nothing else.
    if (!hasRight(dom, right)) result = -<i64>EPERM;
    else if (nr == HC_DOMAIN_LIST) result = hcDomainList(dom, a0, a1);
    else if (nr == HC_DOMAIN_INFO) result = hcDomainInfo(dom, a0, a1);
    else if (nr == HC_DOMAIN_PAUSE) result = hcDomainPause(dom, a0, true);
    else if (nr == HC_DOMAIN_UNPAUSE) result = hcDomainPause(dom, a0, false);
    else if (nr == HC_DOMAIN_DESTROY) result = hcDomainDestroy(dom, a0);
    else if (nr == HC_CONSOLE_READ) result = hcConsoleRead(dom, a0, a1, a2, a3);
    else if (nr == HC_LOG_READ) result = hcLogRead(dom, a0, a1, a2, a3);
    else if (nr == HC_MODULE_LIST) result = hcModuleList(dom, a0, a1);
    else if (nr == HC_MODULE_READ) result = hcModuleRead(dom, a0, a1, a2, a3);
    else if (nr == HC_DOMAIN_CREATE) result = hcDomainCreate(dom, a0, a1, a2, a3);
    else if (nr == HC_DOMAIN_LOAD) result = hcDomainLoad(dom, a0, a1, a2, a3);
    else if (nr == HC_VCPU_SET_ENTRY) result = hcVcpuSetEntry(dom, a0, a1, a2);
    else if (nr == HC_DOMAIN_START) result = hcDomainStart(dom, a0);
    else if (nr == HC_CONSOLE_INPUT) result = hcConsoleInput(dom, a0, a1, a2);
    else if (nr == HC_HOST_INFO) result = hcHostInfo(dom, a0);
    else if (nr == HC_CPU_INFO) result = hcCpuInfo(dom, a0, a1);
    else if (nr == HC_HOST_POWER) result = hcHostPower(dom, a0);
    else if (nr == HC_SCHED_GET) result = hcSchedGet(dom, a0, a1);
    else if (nr == HC_SCHED_SET) result = hcSchedSet(dom, a0, a1, a2);
    else if (nr == HC_VCPU_INFO) result = hcVcpuInfo(dom, a0, a1, a2);
    else if (nr == HC_VCPU_PIN) result = hcVcpuPin(dom, a0, a1, a2);
    else if (nr == HC_DOMAIN_MEM_READ) result = hcDomainMem(dom, a0, a1, a2, a3, false);
    else if (nr == HC_DOMAIN_MEM_WRITE) result = hcDomainMem(dom, a0, a1, a2, a3, true);
    else if (nr == HC_VCPU_GET) result = hcVcpuGet(dom, a0, a1, a2);
    else if (nr == HC_VCPU_SET) result = hcVcpuSet(dom, a0, a1, a2, a3);
    else if (nr == HC_SNAPSHOT_CREATE) result = hcSnapshotCreate(dom, a0, a1, a2);
    else if (nr == HC_SNAPSHOT_REVERT) result = hcSnapshotRevert(dom, a0, a1);
    else if (nr == HC_SNAPSHOT_DELETE) result = hcSnapshotDelete(dom, a0, a1, a2);
    else if (nr == HC_SNAPSHOT_LIST) result = hcSnapshotList(dom, a0, a1, a2);
    else if (nr == HC_DOMAIN_FORK) result = hcDomainFork(dom, a0, a1, a2, a3);
    else if (nr == HC_DOMAIN_DEDUP) result = hcDomainDedup(dom, a0, a1);
    else if (nr == HC_DOMAIN_RIGHTS) result = hcDomainRights(dom, a0, a1);
    else if (nr == HC_DOMAIN_STATE_GET) result = hcDomainStateGet(dom, a0, a1, a2, a3);
    else if (nr == HC_DOMAIN_STATE_SET) result = hcDomainStateSet(dom, a0, a1, a2);
    else if (nr == HC_DOMAIN_MEM_PAGES) result = hcDomainMemPages(dom, a0, a1, a2, a3);
    // Building a VMCS (create, set entry) or reading another's (vCPU get,
    // set) makes it current: the caller's must be again before its RIP is
    // advanced and it is re-entered.
    if (nr == HC_DOMAIN_CREATE || nr == HC_VCPU_SET_ENTRY || nr == HC_VCPU_GET || nr == HC_VCPU_SET ||
        nr == HC_SNAPSHOT_CREATE || nr == HC_SNAPSHOT_REVERT || nr == HC_DOMAIN_FORK ||
        nr == HC_DOMAIN_STATE_GET || nr == HC_DOMAIN_STATE_SET) switchTo(vcpu);
    // What the call made for a moment goes now, and what it stopped may be
    // reaped: this CPU holds only the caller, which runs.
    domainsReap(thisCpuIndex());
    scratchReset();
    // It may have moved another domain's data through this CPU's caches.
    l1dDirty();
  } else if (nr == HC_VCPU_START) {
    result = hcVcpuStart(dom, a0, a1);
    switchTo(vcpu);
  } else if (nr == HC_EVENT_SETUP) {
    result = hcEventSetup(dom, a0, a1, a2);
  } else if (nr == HC_TIMER_SET) {
    // A 32-bit caller passes the deadline's high half in ESI.
    result = hcTimerSet(vcpu, wide ? a0 : (a1 << 32) | a0);
  } else if (nr == HC_VERSION) {
    result = HYPERCALL_ABI_VERSION;
  } else if (nr == HC_CONSOLE_WRITE) {
    result = consoleWrite(vcpu, a0, a1);
  } else if (nr == HC_YIELD) {
    result = 0;
    action = ACTION_YIELD;
  } else if (nr == HC_SHUTDOWN) {
    vcpu.domain.exitCode = <i32>a0;
    domainStop(vcpu.domain, "shutdown hypercall, code " + dec(a0), DOMSTOP_EXIT);
    return ACTION_STOP;
  }
  setGpr(vcpu, REG_RAX, <u64>result);
  return action;
}

// The right a call needs (0: none, the caller's own business).
function rightFor(nr: u64): u32 {
  if (nr < <u64>HC_DOMAIN_LIST || nr >= <u64>HC_COUNT) return 0;
  const n = <u32>nr;
  if (n == HC_VCPU_START || n == HC_EVENT_SETUP || n == HC_TIMER_SET) return 0;
  if (n == HC_LOG_READ || n == HC_HOST_INFO || n == HC_CPU_INFO) return RIGHT_HOST;
  if (n == HC_HOST_POWER) return RIGHT_POWER;
  if (n == HC_SCHED_SET || n == HC_VCPU_PIN) return RIGHT_SCHED;
  if (n == HC_DOMAIN_MEM_READ || n == HC_DOMAIN_MEM_WRITE || n == HC_VCPU_GET || n == HC_VCPU_SET ||
      n == HC_DOMAIN_STATE_GET || n == HC_DOMAIN_STATE_SET || n == HC_DOMAIN_MEM_PAGES) return RIGHT_MEMORY;
  return RIGHT_DOMAINS;
}

function consoleWrite(vcpu: Vcpu, gpa: u64, len: u64): i64 {
  if (len > <u64>HC_CONSOLE_WRITE_MAX) return -<i64>EINVAL;
  if (!guestCopy(vcpu.domain, gpa, bounce, len, false)) return -<i64>EFAULT;
  const con = vcpu.domain.console;
  for (let i: u32 = 0; i < <u32>len; i++) con.put(load<u8>(bounce + i));
  if (len != 0) eventConsoleOutput(vcpu.domain);
  return <i64>len;
}
