// Test-only exports of the state capture (src/state/capture.ts), for
// tests/unit/capture.test.ts.
import { Domain, domains, DOMSTATE_CREATED } from "./domain/domain";
import { CAPTURED_FIELDS, UNCAPTURED_FIELDS, captureSize, domainCapture, domainRestore } from "./state/capture";
import { domainStart } from "./lifecycle/builder";

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
export function stateRestore(id: u32, src: u32, len: u32): string { const d = domainOf(id); return d !== null ? domainRestore(d, src, len) : "no domain"; }
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
