// Status of a VMX instruction (SDM Vol. 3C 31.2, "Conventions"), as the
// boot/vmx.asm wrappers return it.
export const VMX_SUCCEED: u32 = 0;
export const VMX_FAIL_INVALID: u32 = 1; // CF=1: no current VMCS
export const VMX_FAIL_VALID: u32 = 2;   // ZF=1: see VM_INSTRUCTION_ERROR
