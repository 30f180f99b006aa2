// Interrupt window (SDM Vol. 3C 26.2, 26.7.5): requested by
// injectPendingEvent (src/vmx/event.ts) while an event waits for the guest
// to enable interrupts. It exits before the next instruction once it can
// take one; the entry that follows injects the event and clears the request.
import { Vcpu } from "../../domain/domain";
import { ACTION_RESUME } from "../action";

export function handleInterruptWindow(vcpu: Vcpu): u32 {
  return ACTION_RESUME;
}
