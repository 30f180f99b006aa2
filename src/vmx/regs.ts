// The guest's general-purpose registers, by x86 register number (0 RAX ...
// 15 R15, as exit qualifications name them). RSP lives in the VMCS; the rest
// in the vCPU's register block (VCPU_* offsets, saved by boot/vmx.asm).
import { Vcpu } from "../domain/domain";
import {
  GUEST_RSP, GUEST_RIP, GUEST_RFLAGS, GUEST_PENDING_DEBUG_EXCEPTIONS, GUEST_INTERRUPTIBILITY_INFO,
} from "../arch/vmcs";
import { GUEST_INTR_STATE_STI, GUEST_INTR_STATE_MOV_SS, PENDING_DBG_BS } from "../arch/vmx-exit";
import { RFLAGS_TF } from "../arch/cr";
import { vmcsRead32, vmcsReadNat, vmcsWrite32, vmcsWriteNat } from "./vmcs";

export const REG_RAX: u32 = 0;
export const REG_RCX: u32 = 1;
export const REG_RDX: u32 = 2;
export const REG_RBX: u32 = 3;
export const REG_RSP: u32 = 4;
export const REG_RSI: u32 = 6;
export const REG_RDI: u32 = 7;
export const REG_R8: u32 = 8;
export const REG_R9: u32 = 9;
export const REG_R10: u32 = 10;

@inline export function gpr(vcpu: Vcpu, reg: u32): u64 {
  if (reg == REG_RSP) return vmcsReadNat(GUEST_RSP);
  return load<u64>(vcpu.regs + (<usize>reg << 3));
}

@inline export function setGpr(vcpu: Vcpu, reg: u32, value: u64): void {
  if (reg == REG_RSP) vmcsWriteNat(GUEST_RSP, value);
  else store<u64>(vcpu.regs + (<usize>reg << 3), value);
}

// Writing a 32-bit register zero-extends into the 64-bit one, as the CPU
// does; 8- and 16-bit writes keep the other bits.
@inline export function setGprSized(vcpu: Vcpu, reg: u32, value: u64, bytes: u32): void {
  if (bytes >= 4) {
    setGpr(vcpu, reg, bytes == 4 ? value & 0xffffffff : value);
  } else {
    const mask: u64 = bytes == 1 ? 0xff : 0xffff;
    setGpr(vcpu, reg, (gpr(vcpu, reg) & ~mask) | (value & mask));
  }
}

// Completes an instruction of `len` bytes the guest was stopped at: RIP past
// it, the one-instruction interrupt shadow of STI / MOV SS ends (Vol. 3C
// 27.6.1), and a guest single-stepping with RFLAGS.TF gets its #DB after the
// instruction, as pending debug exception BS (25.4.2).
@inline export function completeInstruction(len: u32): void {
  vmcsWriteNat(GUEST_RIP, vmcsReadNat(GUEST_RIP) + len);
  if (vmcsReadNat(GUEST_RFLAGS) & RFLAGS_TF) {
    vmcsWriteNat(GUEST_PENDING_DEBUG_EXCEPTIONS, vmcsReadNat(GUEST_PENDING_DEBUG_EXCEPTIONS) | PENDING_DBG_BS);
  }
  const intr = vmcsRead32(GUEST_INTERRUPTIBILITY_INFO);
  if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) {
    vmcsWrite32(GUEST_INTERRUPTIBILITY_INFO, intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
  }
}
