// INVD always exits (SDM Vol. 3C 26.1.2). Throwing away dirty cache lines of
// memory other domains share would be unsafe; it completes as a no-op (the
// cache is coherent for the guest anyway).
import { Vcpu } from "../../domain/domain";
import { ACTION_NEXT } from "../action";

export function handleInvd(vcpu: Vcpu): u32 {
  return ACTION_NEXT;
}
