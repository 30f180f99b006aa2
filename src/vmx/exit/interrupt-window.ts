// Interrupt window and NMI window (SDM Vol. 3C 26.2, 26.7.5-6): requested
// by injectPending (src/vmx/event.ts) while an interrupt waits for the
// guest to enable interrupts (an NMI for NMI blocking to end). It exits
// before the next instruction once the guest can take it; the entry that
// follows injects it and clears the request.
import { Vcpu } from "../../domain/domain";
import { ACTION_RESUME } from "../action";

export function handleInterruptWindow(vcpu: Vcpu): u32 {
  return ACTION_RESUME;
}
