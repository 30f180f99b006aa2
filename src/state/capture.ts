// What a domain is, as plain data, and back: every vCPU's architectural
// state (general registers, the MSRs the hypervisor keeps, the VMCS's guest
// state and a pending injection, the XSAVE area, its TSC and timer in its
// own time), every device's saved block (src/devices/device.ts), the
// console's ring and line, and what the guest sees of the domain (memory
// size, event page, event vector) and its scheduling parameters. Memory
// itself is not in the record: snapshots keep it copy-on-write in EPT, a
// saved image streams it beside. Nothing of the host is in it (no VMCS or
// host address, no CPU, no scheduler id), so it restores into any domain of
// the same shape: the same vCPUs and the same device models in the same
// order (a fork is made from the same config).
//
// The record (little endian; its framing in src/state/record.ts):
//
//   domain header   DOMREC_HEADER bytes: magic "TSDM", version, size,
//                   vCPUs, devices; memBytes, eventPage, eventVector,
//                   weight, cap; the console: head, line length, line, ring
//   vCPU records    vcpuRecordSize() each: magic "TSVC", version, size,
//                   index; guest TSC; VcpuState; the VMCS fields of
//                   CAPTURED_FIELDS in order (u64 each); the XSAVE area
//   devices         each device's save() (kind, version, size, block)
//
// Restore checks the framing and every block before it changes anything;
// a record from outside (a saved image) has its VMCS values checked as a VM
// entry checks them too (src/vmx/guest-state.ts).
import { Domain, Vcpu, VcpuState, EOI_EXIT_UNKNOWN, DOMSTATE_CREATED, DOMSTATE_STOPPED } from "../domain/domain";
import {
  GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR, GUEST_DS_SELECTOR, GUEST_FS_SELECTOR,
  GUEST_GS_SELECTOR, GUEST_LDTR_SELECTOR, GUEST_TR_SELECTOR, GUEST_INTERRUPT_STATUS, GUEST_PML_INDEX,
  GUEST_UINV, VMCS_LINK_POINTER, GUEST_IA32_DEBUGCTL, GUEST_IA32_PAT, GUEST_IA32_EFER,
  GUEST_IA32_PERF_GLOBAL_CTRL, GUEST_PDPTE0, GUEST_PDPTE1, GUEST_PDPTE2, GUEST_PDPTE3, GUEST_IA32_BNDCFGS,
  GUEST_IA32_RTIT_CTL, GUEST_IA32_LBR_CTL, GUEST_IA32_PKRS, GUEST_ES_LIMIT, GUEST_CS_LIMIT, GUEST_SS_LIMIT,
  GUEST_DS_LIMIT, GUEST_FS_LIMIT, GUEST_GS_LIMIT, GUEST_LDTR_LIMIT, GUEST_TR_LIMIT, GUEST_GDTR_LIMIT,
  GUEST_IDTR_LIMIT, GUEST_ES_ACCESS_RIGHTS, GUEST_CS_ACCESS_RIGHTS, GUEST_SS_ACCESS_RIGHTS,
  GUEST_DS_ACCESS_RIGHTS, GUEST_FS_ACCESS_RIGHTS, GUEST_GS_ACCESS_RIGHTS, GUEST_LDTR_ACCESS_RIGHTS,
  GUEST_TR_ACCESS_RIGHTS, GUEST_INTERRUPTIBILITY_INFO, GUEST_ACTIVITY_STATE, GUEST_SMBASE, GUEST_SYSENTER_CS,
  VMX_PREEMPTION_TIMER_VALUE, GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE,
  GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE, GUEST_LDTR_BASE, GUEST_TR_BASE, GUEST_GDTR_BASE,
  GUEST_IDTR_BASE, GUEST_DR7, GUEST_RSP, GUEST_RIP, GUEST_RFLAGS, GUEST_PENDING_DEBUG_EXCEPTIONS,
  GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP, GUEST_S_CET, GUEST_SSP, GUEST_INTR_SSP_TABLE_ADDR,
  CR0_READ_SHADOW, CR4_READ_SHADOW, VM_ENTRY_INTR_INFO_FIELD, VM_ENTRY_EXCEPTION_ERROR_CODE,
  VM_ENTRY_INSTRUCTION_LEN, TSC_OFFSET,
} from "../arch/vmcs";
import { vmcsReadField, vmcsWriteField, vmcsWrite64, vmcsRead64 } from "../vmx/vmcs";
import { eferWithMode } from "../vmx/exit/cr-access";
import { GuestState, guestStateRefusal, vcpuExtrasRefusal } from "../vmx/guest-state";
import { switchTo, switchOut } from "../vmx/switch";
import { xsaveAreaSize } from "../vmx/vmxon";
import { CONSOLE_LINE, CONSOLE_LINE_MAX, CONSOLE_RING, CONSOLE_RING_SIZE } from "../devices/console";
import { DEVSTATE_SIZE, DEVSTATE_HEADER } from "../devices/device";
import { rdtsc } from "../arch/hw";
import {
  DOMREC_MAGIC, VCPUREC_MAGIC, RECORD_VERSION, D_MAGIC, D_VERSION, D_SIZE, D_VCPUS, D_DEVICES, D_MEM, D_EVENT_PAGE,
  D_EVENT_VECTOR, D_WEIGHT, D_CAP, D_CONSOLE, C_HEAD, C_LINE_LEN, C_LINE, C_RING, DOMREC_HEADER,
  V_MAGIC, V_VERSION, V_SIZE, V_INDEX, V_TSC, V_STATE,
} from "./record";
import { guestToHost, guestRangeOk } from "../domain/memory";
import { thisCpu, cpuBlock, cpusFound } from "../cpu/percpu";
import { schedDomainParams, schedRestored } from "../sched/scheduler";
import { dec } from "../lib/str";

// The VMCS fields a vCPU record holds: the guest-state area (SDM Vol. 3C
// 25.4) as this hypervisor's VMCS uses it, what the guest reads of CR0 and
// CR4, and an event injection waiting for the next entry.
export const CAPTURED_FIELDS: StaticArray<u32> = [
  GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR, GUEST_DS_SELECTOR, GUEST_FS_SELECTOR,
  GUEST_GS_SELECTOR, GUEST_LDTR_SELECTOR, GUEST_TR_SELECTOR,
  GUEST_IA32_DEBUGCTL, GUEST_IA32_PAT, GUEST_IA32_EFER, GUEST_PDPTE0, GUEST_PDPTE1, GUEST_PDPTE2, GUEST_PDPTE3,
  GUEST_ES_LIMIT, GUEST_CS_LIMIT, GUEST_SS_LIMIT, GUEST_DS_LIMIT, GUEST_FS_LIMIT, GUEST_GS_LIMIT,
  GUEST_LDTR_LIMIT, GUEST_TR_LIMIT, GUEST_GDTR_LIMIT, GUEST_IDTR_LIMIT,
  GUEST_ES_ACCESS_RIGHTS, GUEST_CS_ACCESS_RIGHTS, GUEST_SS_ACCESS_RIGHTS, GUEST_DS_ACCESS_RIGHTS,
  GUEST_FS_ACCESS_RIGHTS, GUEST_GS_ACCESS_RIGHTS, GUEST_LDTR_ACCESS_RIGHTS, GUEST_TR_ACCESS_RIGHTS,
  GUEST_INTERRUPTIBILITY_INFO, GUEST_ACTIVITY_STATE, GUEST_SYSENTER_CS,
  GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE, GUEST_DS_BASE,
  GUEST_FS_BASE, GUEST_GS_BASE, GUEST_LDTR_BASE, GUEST_TR_BASE, GUEST_GDTR_BASE, GUEST_IDTR_BASE,
  GUEST_DR7, GUEST_RSP, GUEST_RIP, GUEST_RFLAGS, GUEST_PENDING_DEBUG_EXCEPTIONS,
  GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP,
  CR0_READ_SHADOW, CR4_READ_SHADOW,
  VM_ENTRY_INTR_INFO_FIELD, VM_ENTRY_EXCEPTION_ERROR_CODE, VM_ENTRY_INSTRUCTION_LEN,
];

// The guest-state fields it does not hold, each for a reason (a test walks
// every guest-state field of the SDM's table against these two lists):
// RVI and SVI are rebuilt from the LAPIC's IRR and ISR; the link pointer,
// the PML index and the preemption timer are the host's; the rest belong to
// features no VM-entry control of ours loads and CPUID does not offer the
// guest (SMM, perfmon's global control, MPX, Intel PT, arch LBRs, PKS, CET,
// user interrupts).
export const UNCAPTURED_FIELDS: StaticArray<u32> = [
  GUEST_INTERRUPT_STATUS, VMCS_LINK_POINTER, GUEST_PML_INDEX, VMX_PREEMPTION_TIMER_VALUE,
  GUEST_SMBASE, GUEST_IA32_PERF_GLOBAL_CTRL, GUEST_IA32_BNDCFGS, GUEST_IA32_RTIT_CTL, GUEST_IA32_LBR_CTL,
  GUEST_IA32_PKRS, GUEST_S_CET, GUEST_SSP, GUEST_INTR_SSP_TABLE_ADDR, GUEST_UINV,
];

// Where a record holds the console's head and its ring (src/state/snapshot.ts
// keeps the ring apart).
export const CAPTURE_CONSOLE_HEAD: u32 = D_CONSOLE + C_HEAD;
export const CAPTURE_CONSOLE_RING: u32 = D_CONSOLE + C_RING;

const V_FIELDS: u32 = V_STATE + <u32>((offsetof<VcpuState>() + 7) & ~7);

// Where a vCPU record holds its VMCS fields (CAPTURED_FIELDS, in order).
export function captureFieldsAt(): u32 { return V_FIELDS; }
// Where a vCPU record's XSAVE area starts, after the fields.
export function captureXsaveAt(): u32 { return V_FIELDS + <u32>CAPTURED_FIELDS.length * 8; }

export function vcpuRecordSize(): u32 {
  return captureXsaveAt() + xsaveAreaSize;
}

// The bytes domainCapture writes for `dom`.
export function captureSize(dom: Domain): u32 {
  let n = DOMREC_HEADER + <u32>dom.vcpus.length * vcpuRecordSize();
  for (let i = 0; i < dom.devices.length; i++) n += unchecked(dom.devices[i]).saveSize();
  return n;
}

// A CPU other than this one runs one of `dom`'s vCPUs now.
export function domainOnOtherCpu(dom: Domain): bool {
  const here = thisCpu().index;
  for (let i: u32 = 0; i < cpusFound(); i++) {
    const c = cpuBlock(i);
    if (c !== null && i != here && c.current == dom.id) return true;
  }
  return false;
}

// Writes captureSize(dom) bytes at `dst`: "" or why not (nothing written
// that counts). The domain must be paused, none of its vCPUs on a CPU.
export function domainCapture(dom: Domain, dst: usize): string {
  if (!dom.paused) return "domain " + dec(dom.id) + " is not paused";
  if (domainOnOtherCpu(dom)) return "domain " + dec(dom.id) + " still runs on a CPU";
  memory.fill(dst, 0, <usize>DOMREC_HEADER);
  store<u32>(dst + D_MAGIC, DOMREC_MAGIC);
  store<u32>(dst + D_VERSION, RECORD_VERSION);
  store<u32>(dst + D_SIZE, captureSize(dom));
  store<u32>(dst + D_VCPUS, <u32>dom.vcpus.length);
  store<u32>(dst + D_DEVICES, <u32>dom.devices.length);
  store<u64>(dst + D_MEM, dom.guest.memBytes);
  store<u64>(dst + D_EVENT_PAGE, dom.guest.eventPage);
  store<u32>(dst + D_EVENT_VECTOR, dom.guest.eventVector);
  store<u32>(dst + D_WEIGHT, dom.weight);
  store<u32>(dst + D_CAP, dom.cap);
  const con = changetype<usize>(dom.console);
  const c = dst + D_CONSOLE;
  store<u64>(c + C_HEAD, dom.console.head);
  store<u32>(c + C_LINE_LEN, dom.console.lineLen);
  memory.copy(c + C_LINE, con + CONSOLE_LINE, CONSOLE_LINE_MAX);
  memory.copy(c + C_RING, con + CONSOLE_RING, CONSOLE_RING_SIZE);
  let at = dst + DOMREC_HEADER;
  // The VMCS fields, each vCPU's VMCS current in turn; then, with none of
  // them live on this CPU any more, what is in memory.
  const caller = thisCpu().vmcsOwner;
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    switchTo(v);
    const f = at + V_FIELDS;
    for (let k = 0; k < CAPTURED_FIELDS.length; k++) store<u64>(f + (<usize>k << 3), vmcsReadField(unchecked(CAPTURED_FIELDS[k])));
    at += vcpuRecordSize();
  }
  if (caller != 0) switchTo(changetype<Vcpu>(caller));
  at = dst + DOMREC_HEADER;
  const now = rdtsc();
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    store<u32>(at + V_MAGIC, VCPUREC_MAGIC);
    store<u32>(at + V_VERSION, RECORD_VERSION);
    store<u32>(at + V_SIZE, vcpuRecordSize());
    store<u32>(at + V_INDEX, v.index);
    store<u64>(at + V_TSC, now + v.tscOffset);
    memory.copy(at + V_STATE, changetype<usize>(v.state), offsetof<VcpuState>());
    // The entry stub's own words: the host's.
    store<u64>(at + V_STATE + offsetof<VcpuState>("hostRsp"), 0);
    store<u64>(at + V_STATE + offsetof<VcpuState>("launched"), 0);
    memory.copy(at + captureXsaveAt(), v.xsaveArea, xsaveAreaSize);
    at += vcpuRecordSize();
  }
  for (let i = 0; i < dom.devices.length; i++) {
    const d = unchecked(dom.devices[i]);
    d.save(at);
    at += d.saveSize();
  }
  return "";
}

// Takes the `len` bytes at `src` (domainCapture's) as `dom`'s state: "" or
// what is wrong with them, and then nothing changed. `dom` must be paused,
// with the same vCPUs and device models as the domain captured; its memory
// is its own business (the caller's). `keepConsole`: its console log goes
// on as it is (a revert: the lines it printed since stay readable); the
// unfinished line is the record's, the one it had is dropped with the rest
// of the state left behind. `own`: the record is one this hypervisor took
// and kept in its own memory (a snapshot's): its framing is checked, the
// device blocks' contents are not checked again.
export function domainRestore(dom: Domain, src: usize, len: u32, keepConsole: bool = false, own: bool = false): string {
  if (dom.state == DOMSTATE_CREATED || dom.state == DOMSTATE_STOPPED) return "domain " + dec(dom.id) + " is not running";
  if (!dom.paused) return "domain " + dec(dom.id) + " is not paused";
  if (domainOnOtherCpu(dom)) return "domain " + dec(dom.id) + " still runs on a CPU";
  const bad = refusal(dom, src, len, own);
  if (bad.length != 0) return bad;
  // The event page by its guest-physical address; its host address is
  // this domain's own.
  dom.guest.eventPage = load<u64>(src + D_EVENT_PAGE);
  dom.guest.eventVector = load<u32>(src + D_EVENT_VECTOR);
  dom.eventPageHost = dom.guest.eventVector != 0 ? <usize>guestToHost(dom, dom.guest.eventPage) : 0;
  dom.weight = load<u32>(src + D_WEIGHT);
  dom.cap = load<u32>(src + D_CAP);
  schedDomainParams(dom);
  const con = changetype<usize>(dom.console);
  const c = src + D_CONSOLE;
  if (!keepConsole) {
    dom.console.head = load<u64>(c + C_HEAD);
    memory.copy(con + CONSOLE_RING, c + C_RING, CONSOLE_RING_SIZE);
  }
  dom.console.lineLen = load<u32>(c + C_LINE_LEN);
  memory.copy(con + CONSOLE_LINE, c + C_LINE, CONSOLE_LINE_MAX);
  // Memory first (the VcpuState keeps the host's words; the XSAVE area is
  // in memory while no CPU holds it live: none runs the paused domain, and
  // this one lets go of it below), then each VMCS current in turn.
  let at = src + DOMREC_HEADER;
  const now = rdtsc();
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    const s = changetype<usize>(v.state);
    const hostRsp = v.state.hostRsp;
    const launched = v.state.launched;
    memory.copy(s, at + V_STATE, offsetof<VcpuState>());
    v.state.hostRsp = hostRsp;
    v.state.launched = launched;
    // Its TSC goes on from the captured value: its timers, in its own time,
    // are as far off as they were.
    v.tscOffset = load<u64>(at + V_TSC) - now;
    if (v.state.timerDeadline != 0) v.timer.arm(v.state.timerDeadline);
    else v.timer.cancel();
    at += vcpuRecordSize();
  }
  const caller = thisCpu().vmcsOwner;
  at = src + DOMREC_HEADER;
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    switchTo(v);
    const f = at + V_FIELDS;
    for (let k = 0; k < CAPTURED_FIELDS.length; k++) vmcsWriteField(unchecked(CAPTURED_FIELDS[k]), load<u64>(f + (<usize>k << 3)));
    vmcsWrite64(TSC_OFFSET, v.tscOffset);
    // The VM-entry control for IA-32e mode follows the record's EFER.LMA (a
    // domain built in another mode has the other one).
    eferWithMode(vmcsRead64(GUEST_IA32_EFER));
    at += vcpuRecordSize();
  }
  // Back to the caller's VMCS (or none): the last vCPU's FPU state leaves
  // this CPU before its XSAVE area is written.
  if (caller != 0) switchTo(changetype<Vcpu>(caller));
  else switchOut();
  at = src + DOMREC_HEADER;
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    memory.copy(v.xsaveArea, at + captureXsaveAt(), xsaveAreaSize);
    at += vcpuRecordSize();
  }
  for (let i = 0; i < dom.devices.length; i++) {
    const d = unchecked(dom.devices[i]);
    const n = load<u32>(at + DEVSTATE_SIZE) + DEVSTATE_HEADER;
    d.restoreChecked(at);   // checked by refusal
    at += n;
  }
  // The CPU side looks at every interrupt source again before the next
  // entry; RVI and the EOI-exit bitmap are rewritten from the LAPIC; the
  // scheduler follows halted and wait-for-SIPI.
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    v.irqPending = true;
    v.eoiExit = EOI_EXIT_UNKNOWN;
    if (!schedRestored(v)) return "too many vCPUs for the scheduler";
  }
  return "";
}

// The value of VMCS field `field` in the vCPU record's fields at `f`.
function fieldIn(f: usize, field: u32): u64 {
  for (let k = 0; k < CAPTURED_FIELDS.length; k++) if (unchecked(CAPTURED_FIELDS[k]) == field) return load<u64>(f + (<usize>k << 3));
  return 0;
}

// What a VM entry checks of the vCPU record's fields at `f`.
function guestStateOf(f: usize): GuestState {
  const g = new GuestState();
  g.cr0 = fieldIn(f, GUEST_CR0); g.cr3 = fieldIn(f, GUEST_CR3); g.cr4 = fieldIn(f, GUEST_CR4); g.dr7 = fieldIn(f, GUEST_DR7);
  g.debugctl = fieldIn(f, GUEST_IA32_DEBUGCTL); g.pat = fieldIn(f, GUEST_IA32_PAT); g.efer = fieldIn(f, GUEST_IA32_EFER);
  g.rip = fieldIn(f, GUEST_RIP); g.rflags = fieldIn(f, GUEST_RFLAGS); g.pendingDebug = fieldIn(f, GUEST_PENDING_DEBUG_EXCEPTIONS);
  g.sysenterEsp = fieldIn(f, GUEST_SYSENTER_ESP); g.sysenterEip = fieldIn(f, GUEST_SYSENTER_EIP);
  g.fsBase = fieldIn(f, GUEST_FS_BASE); g.gsBase = fieldIn(f, GUEST_GS_BASE); g.ldtrBase = fieldIn(f, GUEST_LDTR_BASE);
  g.trBase = fieldIn(f, GUEST_TR_BASE); g.gdtrBase = fieldIn(f, GUEST_GDTR_BASE); g.idtrBase = fieldIn(f, GUEST_IDTR_BASE);
  g.gdtrLimit = fieldIn(f, GUEST_GDTR_LIMIT); g.idtrLimit = fieldIn(f, GUEST_IDTR_LIMIT);
  g.csAr = fieldIn(f, GUEST_CS_ACCESS_RIGHTS); g.ssAr = fieldIn(f, GUEST_SS_ACCESS_RIGHTS);
  g.trAr = fieldIn(f, GUEST_TR_ACCESS_RIGHTS); g.ldtrAr = fieldIn(f, GUEST_LDTR_ACCESS_RIGHTS);
  g.activity = fieldIn(f, GUEST_ACTIVITY_STATE); g.interruptibility = fieldIn(f, GUEST_INTERRUPTIBILITY_INFO);
  g.entryIntr = fieldIn(f, VM_ENTRY_INTR_INFO_FIELD); g.entryError = fieldIn(f, VM_ENTRY_EXCEPTION_ERROR_CODE);
  g.entryLength = fieldIn(f, VM_ENTRY_INSTRUCTION_LEN);
  return g;
}

// Why the `len` bytes at `src` are not a state `dom` can take, or "": the
// check domainRestore makes first, for a caller that must know before it
// starts the domain (a saved image's state, src/hypercall/save.ts).
export function captureRefusal(dom: Domain, src: usize, len: u32): string { return refusal(dom, src, len, false); }

function refusal(dom: Domain, src: usize, len: u32, own: bool): string {
  if (len < DOMREC_HEADER) return "truncated: " + dec(len) + " bytes, the header alone is " + dec(DOMREC_HEADER);
  if (load<u32>(src + D_MAGIC) != DOMREC_MAGIC) return "not a domain's state (magic)";
  if (load<u32>(src + D_VERSION) != RECORD_VERSION) {
    return "version " + dec(load<u32>(src + D_VERSION)) + ", this hypervisor has version " + dec(RECORD_VERSION);
  }
  if (load<u32>(src + D_SIZE) != len) return "size " + dec(load<u32>(src + D_SIZE)) + " in " + dec(len) + " bytes";
  if (load<u32>(src + D_VCPUS) != <u32>dom.vcpus.length) {
    return dec(load<u32>(src + D_VCPUS)) + " vCPUs, the domain has " + dec(dom.vcpus.length);
  }
  if (load<u32>(src + D_DEVICES) != <u32>dom.devices.length) {
    return dec(load<u32>(src + D_DEVICES)) + " devices, the domain has " + dec(dom.devices.length);
  }
  if (load<u64>(src + D_MEM) != dom.guest.memBytes) return "memory size differs from the domain's";
  const page = load<u64>(src + D_EVENT_PAGE);
  if (page != 0 && ((page & 0xfff) != 0 || !guestRangeOk(dom, page, 0x1000))) return "event page outside the domain's RAM";
  const c = src + D_CONSOLE;
  if (load<u32>(c + C_LINE_LEN) > CONSOLE_LINE_MAX) return "console line longer than its buffer";
  let at = src + DOMREC_HEADER;
  const end = src + len;
  for (let i = 0; i < dom.vcpus.length; i++) {
    if (at + vcpuRecordSize() > end) return "vCPU " + dec(i) + ": truncated";
    if (load<u32>(at + V_MAGIC) != VCPUREC_MAGIC || load<u32>(at + V_VERSION) != RECORD_VERSION ||
        load<u32>(at + V_SIZE) != vcpuRecordSize() || load<u32>(at + V_INDEX) != <u32>i) {
      return "vCPU " + dec(i) + ": not its record";
    }
    if (!own) {
      let why = guestStateRefusal(guestStateOf(at + V_FIELDS));
      if (why.length == 0) why = vcpuExtrasRefusal(changetype<VcpuState>(at + V_STATE), at + captureXsaveAt());
      if (why.length != 0) return "vCPU " + dec(i) + ": " + why;
    }
    at += vcpuRecordSize();
  }
  for (let i = 0; i < dom.devices.length; i++) {
    const d = unchecked(dom.devices[i]);
    if (at + DEVSTATE_HEADER > end) return d.name() + ": truncated";
    const n = load<u32>(at + DEVSTATE_SIZE);
    if (<u64>n + DEVSTATE_HEADER > <u64>(end - at)) return d.name() + ": truncated";
    const why = own ? d.framing(at, n + DEVSTATE_HEADER) : d.refusal(at, n + DEVSTATE_HEADER);
    if (why.length != 0) return d.name() + " state: " + why;
    at += n + DEVSTATE_HEADER;
  }
  if (at != end) return dec(<u32>(end - at)) + " bytes after the last device";
  return "";
}
