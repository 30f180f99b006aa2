// XSETBV (SDM Vol. 2C): the guest sets its XCR0. Checked as the CPU would
// (#GP for XCR other than 0, x87 clear, AVX without SSE, or a component the
// host does not offer), then made live: XCR0 is not switched by VMX, so the
// vCPU keeps its own and src/sched/switch.ts loads it.
import { Vcpu } from "../../domain/domain";
import { ACTION_NEXT, ACTION_RESUME } from "../action";
import { injectException } from "../event";
import { gpr, REG_RAX, REG_RCX, REG_RDX } from "../regs";
import { xsetbv } from "../../arch/hw";
import { VECTOR_GP } from "../../arch/vmx-exit";
import { XCR0_X87, XCR0_SSE, XCR0_AVX } from "../../arch/cr";
import { guestXcr0Allowed } from "../vmxon";

// x87 set, AVX only with SSE, nothing the host does not offer.
export function xcr0Valid(value: u64): bool {
  return (value & XCR0_X87) != 0 && (value & ~guestXcr0Allowed()) == 0 &&
    ((value & XCR0_AVX) == 0 || (value & XCR0_SSE) != 0);
}

export function handleXsetbv(vcpu: Vcpu): u32 {
  const index = <u32>gpr(vcpu, REG_RCX);
  const value = (gpr(vcpu, REG_RDX) << 32) | (gpr(vcpu, REG_RAX) & 0xffffffff);
  if (index != 0 || !xcr0Valid(value)) {
    injectException(VECTOR_GP, true, 0);
    return ACTION_RESUME;
  }
  vcpu.state.xcr0 = value;
  xsetbv(0, value);
  return ACTION_NEXT;
}
