// Test-only exports of the state capture (src/state/capture.ts), for
// tests/unit/capture.test.ts.
import { captureFieldsAt, captureXsaveAt } from "./state/capture";
import { V_STATE } from "./state/record";
import { VcpuState } from "./domain/domain";
import { Domain, domains, DOMSTATE_CREATED } from "./domain/domain";
import { CAPTURED_FIELDS, UNCAPTURED_FIELDS, captureSize, domainCapture, domainRestore } from "./state/capture";
import { domainStart } from "./lifecycle/builder";
import { ApicMessage, APIC_DM_INIT, APIC_DM_STARTUP } from "./devices/apic-bus";
import { switchTo } from "./vmx/switch";
import { vmcsWrite32 } from "./vmx/vmcs";
import { VMX_PREEMPTION_TIMER_VALUE } from "./arch/vmcs";
import { step } from "./run";
import { eptLeafEntry, eptLeafSize } from "./ept/ept";
import { guestOwnPages } from "./domain/memory";
import { snapshotFrames, snapshotById } from "./domain/snapshots";

function domainOf(id: u32): Domain | null {
  for (let i = 0; i < domains.length; i++) if (unchecked(domains[i]).id == id) return unchecked(domains[i]);
  return null;
}

export function stateCapturedCount(): u32 { return <u32>CAPTURED_FIELDS.length; }
export function stateCapturedField(i: u32): u32 { return i < <u32>CAPTURED_FIELDS.length ? CAPTURED_FIELDS[i] : 0xffffffff; }
export function stateUncapturedCount(): u32 { return <u32>UNCAPTURED_FIELDS.length; }
export function stateUncapturedField(i: u32): u32 { return i < <u32>UNCAPTURED_FIELDS.length ? UNCAPTURED_FIELDS[i] : 0xffffffff; }
export function stateCaptureSize(id: u32): u32 { const d = domainOf(id); return d !== null ? captureSize(d) : 0; }
export function stateCapture(id: u32, dst: u32): string { const d = domainOf(id); return d !== null ? domainCapture(d, dst) : "no domain"; }
// `own`: a record this hypervisor took (its VMCS values and device blocks
// taken as they are).
export function stateRestore(id: u32, src: u32, len: u32, own: bool): string {
  const d = domainOf(id);
  return d !== null ? domainRestore(d, src, len, false, own) : "no domain";
}
export function stateFieldsAt(): u32 { return captureFieldsAt(); }
// Where in a vCPU record its VcpuState's specCtrl, xcr0, kernelGsBase,
// lstar, sfmask and tscAux are (i = 0..5), and its XSAVE area (6).
export function stateVcpuFieldAt(i: u32): u32 {
  if (i == 0) return V_STATE + offsetof<VcpuState>("specCtrl");
  if (i == 1) return V_STATE + offsetof<VcpuState>("xcr0");
  if (i == 2) return V_STATE + offsetof<VcpuState>("kernelGsBase");
  if (i == 3) return V_STATE + offsetof<VcpuState>("lstar");
  if (i == 4) return V_STATE + offsetof<VcpuState>("sfmask");
  if (i == 5) return V_STATE + offsetof<VcpuState>("tscAux");
  return captureXsaveAt();
}
export function stateSetPaused(id: u32, paused: bool): void { const d = domainOf(id); if (d !== null) d.paused = paused; }
// Starts a test domain whose vCPU 0 runs from the VMCS vmcsInit made (the
// boot path sets its entry first).
export function stateStart(id: u32): u32 {
  const d = domainOf(id);
  if (d === null) return 1;
  if (d.state != DOMSTATE_CREATED) return 0;   // built as the boot path builds: running
  unchecked(d.vcpus[0]).state.entrySet = true;
  return domainStart(d);
}

// ── INIT and STARTUP (src/vmx/event.ts, src/domain/pc.ts) ──────────────────
// vCPU `from` of domain `id` sends an INIT (vector ignored) or a STARTUP
// with `vector` to APIC ID `dest`, as its ICR would.
export function stateApicSend(id: u32, from: u32, startup: bool, vector: u32, dest: u32): void {
  const d = domainOf(id);
  if (d === null || from >= <u32>d.vcpus.length) return;
  const l = unchecked(d.vcpus[<i32>from]).lapic;
  if (l === null) return;
  const m = new ApicMessage();
  m.delivery = startup ? APIC_DM_STARTUP : APIC_DM_INIT;
  m.vector = vector;
  m.dest = dest;
  l.bus.send(m, <i32>from);
}
// One VM entry of vCPU `vcpu` of domain `id` and its exit, as testEnterOnce
// does for vCPU 0; the action, or 0xffffffff.
export function stateEnterOnce(id: u32, vcpu: u32, timer: u32): u32 {
  const d = domainOf(id);
  if (d === null || vcpu >= <u32>d.vcpus.length) return 0xffffffff;
  const v = unchecked(d.vcpus[<i32>vcpu]);
  switchTo(v);
  vmcsWrite32(VMX_PREEMPTION_TIMER_VALUE, timer);
  return step(v);
}
export function stateVcpuWaitSipi(id: u32, vcpu: u32): bool {
  const d = domainOf(id);
  return d !== null && vcpu < <u32>d.vcpus.length && unchecked(d.vcpus[<i32>vcpu]).state.waitSipi;
}
export function stateVcpuVmcs(id: u32, vcpu: u32): u64 {
  const d = domainOf(id);
  return d !== null && vcpu < <u32>d.vcpus.length ? unchecked(d.vcpus[<i32>vcpu]).vmcs : 0;
}

// ── Snapshots (src/state/snapshot.ts, src/domain/snapshots.ts) ───────────
export function stateEptLeaf(id: u32, gpa: u64): u64 { const d = domainOf(id); return d !== null ? eptLeafEntry(d.eptPml4, gpa) : 0; }
export function stateEptLeafSize(id: u32, gpa: u64): u64 { const d = domainOf(id); return d !== null ? eptLeafSize(d.eptPml4, gpa) : 0; }
export function stateOwnPages(id: u32): u32 { const d = domainOf(id); return d !== null ? guestOwnPages(d) : 0; }
export function stateBase(id: u32): u32 { const d = domainOf(id); return d !== null ? d.base : 0; }
export function stateSnapshotFrames(owner: u32): u64 { return snapshotFrames(owner); }
export function stateSnapshotDependents(snap: u32): i32 { const s = snapshotById(snap); return s !== null ? <i32>s.dependents : -1; }
export function stateSnapshotHidden(snap: u32): i32 { const s = snapshotById(snap); return s !== null ? <i32>s.hidden : -1; }
export { framesScrub as stateFramesScrub, framesDirty as stateFramesDirty } from "./mm/frames";
export { framesShared as stateFramesShared, frameHolders as stateFrameHolders } from "./mm/share";
export { pack as statePack, packBound as statePackBound, unpack as stateUnpack } from "./lib/zeros";
