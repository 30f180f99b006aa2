// Access to the current VMCS. The width of a field is part of its accessor
// (encoding bits 14:13, SDM Vol. 3D Appendix B); a failed VMWRITE is a
// hypervisor bug (a bad field or value) and panics naming the field.
import { vmread, vmwrite } from "../arch/hw";
import { VMX_SUCCEED } from "../arch/vmx-status";
import { VM_INSTRUCTION_ERROR, vmInstructionErrorText, VMCS_FIELD_COUNT, vmcsFieldEncoding } from "../arch/vmcs";
import { print, println, printHex, panic } from "../log/log";

@inline export function vmcsRead(field: u32): u64 {
  return vmread(field);
}
@inline export function vmcsRead32(field: u32): u32 {
  return <u32>vmread(field);
}

export function vmcsWrite(field: u32, value: u64): void {
  if (vmwrite(field, value) != VMX_SUCCEED) vmcsWriteFailed(field, value);
}

function vmcsWriteFailed(field: u32, value: u64): void {
  print("hv: VMWRITE of field ");
  printHex(field, 4);
  print(" = ");
  printHex(value);
  print(" failed: ");
  println(vmInstructionErrorText(vmcsRead32(VM_INSTRUCTION_ERROR)));
  panic("VMWRITE failed");
}

// Every field of the current VMCS, for the log when an entry fails or a
// domain is stopped by an exit it should not cause. Fields the CPU does not
// support read as garbage or fail; both are printed as read.
export function vmcsDump(): void {
  println("hv: VMCS dump (field = value):");
  for (let i: u32 = 0; i < VMCS_FIELD_COUNT; i++) {
    const f = vmcsFieldEncoding(i);
    print(i % 4 == 0 ? "hv:  " : " ");
    printHex(f, 4);
    print("=");
    printHex(vmread(f));
    if (i % 4 == 3 || i == VMCS_FIELD_COUNT - 1) println("");
  }
}
