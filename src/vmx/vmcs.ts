// Access to the current VMCS. The width of a field is part of its accessor
// (encoding bits 14:13, SDM Vol. 3D Appendix B): a unit test checks every
// call in src/ against the field's encoding, and the test build
// (`--use HV_DEBUG=1`, build/hv-test.wasm) checks each access as it runs;
// the production build compiles that check away. A failed VMWRITE is a
// hypervisor bug (a bad field or value) and panics naming the field.
import { vmread, vmwrite } from "../arch/hw";
import { VMX_SUCCEED } from "../arch/vmx-status";
import {
  VM_INSTRUCTION_ERROR, VMCS_WIDTH_16, VMCS_WIDTH_32, VMCS_WIDTH_64, VMCS_WIDTH_NATURAL,
  vmInstructionErrorText, vmcsWidth, vmcsFieldCount, vmcsFieldEncoding, vmcsFieldWidth, vmcsFieldType,
  vmcsFieldName, vmcsFieldNameAt,
} from "../arch/vmcs";
import { print, println, printHex, panic } from "../log/log";

// A compile-time constant: false unless the build defines HV_DEBUG, so the
// checks below and their strings are not even compiled into build/hv.wasm.
const WIDTH_CHECK: bool = isDefined(HV_DEBUG);

@inline export function vmcsRead16(field: u32): u16 {
  if (WIDTH_CHECK) widthCheck(field, VMCS_WIDTH_16, "vmcsRead16");
  return <u16>vmread(field);
}
@inline export function vmcsRead32(field: u32): u32 {
  if (WIDTH_CHECK) widthCheck(field, VMCS_WIDTH_32, "vmcsRead32");
  return <u32>vmread(field);
}
@inline export function vmcsRead64(field: u32): u64 {
  if (WIDTH_CHECK) widthCheck(field, VMCS_WIDTH_64, "vmcsRead64");
  return vmread(field);
}
@inline export function vmcsReadNat(field: u32): u64 {
  if (WIDTH_CHECK) widthCheck(field, VMCS_WIDTH_NATURAL, "vmcsReadNat");
  return vmread(field);
}

@inline export function vmcsWrite16(field: u32, value: u16): void {
  if (WIDTH_CHECK) widthCheck(field, VMCS_WIDTH_16, "vmcsWrite16");
  vmwriteOrPanic(field, value);
}
@inline export function vmcsWrite32(field: u32, value: u32): void {
  if (WIDTH_CHECK) widthCheck(field, VMCS_WIDTH_32, "vmcsWrite32");
  vmwriteOrPanic(field, value);
}
@inline export function vmcsWrite64(field: u32, value: u64): void {
  if (WIDTH_CHECK) widthCheck(field, VMCS_WIDTH_64, "vmcsWrite64");
  vmwriteOrPanic(field, value);
}
@inline export function vmcsWriteNat(field: u32, value: u64): void {
  if (WIDTH_CHECK) widthCheck(field, VMCS_WIDTH_NATURAL, "vmcsWriteNat");
  vmwriteOrPanic(field, value);
}

// A field taken from a table rather than named at the call (a domain's
// captured state, src/state/capture.ts): its width from its encoding, the
// value zero-extended; a write keeps the field's width.
export function vmcsReadField(field: u32): u64 {
  const v = vmread(field);
  const w = vmcsWidth(field);
  return w == VMCS_WIDTH_16 ? v & 0xffff : w == VMCS_WIDTH_32 ? v & 0xffffffff : v;
}
export function vmcsWriteField(field: u32, value: u64): void {
  const w = vmcsWidth(field);
  vmwriteOrPanic(field, w == VMCS_WIDTH_16 ? value & 0xffff : w == VMCS_WIDTH_32 ? value & 0xffffffff : value);
}

function vmwriteOrPanic(field: u32, value: u64): void {
  if (vmwrite(field, value) != VMX_SUCCEED) vmcsWriteFailed(field, value);
}

function vmcsWriteFailed(field: u32, value: u64): void {
  print("hv: VMWRITE of field ");
  printField(field);
  print(" = ");
  printHex(value);
  print(" failed: ");
  println(vmInstructionErrorText(vmcsRead32(VM_INSTRUCTION_ERROR)));
  panic("VMWRITE failed");
}

// Test build only: an access whose width is not the field's is a bug in
// the caller, however the CPU would take it.
@inline function widthCheck(field: u32, width: u32, accessor: string): void {
  if (vmcsWidth(field) != width) widthMismatch(field, accessor);
}

function widthMismatch(field: u32, accessor: string): void {
  print("hv: VMCS field ");
  printField(field);
  print(", ");
  print(widthText(vmcsWidth(field)));
  print(", accessed with ");
  println(accessor);
  panic("VMCS access of the wrong width");
}

function widthText(width: u32): string {
  switch (width) {
    case VMCS_WIDTH_16: return "16-bit";
    case VMCS_WIDTH_64: return "64-bit";
    case VMCS_WIDTH_32: return "32-bit";
  }
  return "natural-width";
}

function printField(field: u32): void {
  print(vmcsFieldName(field));
  print(" (");
  printHex(field, 4);
  print(")");
}

// Every field of the current VMCS, by name, for the log when an entry fails
// or a domain is stopped by an exit it should not cause. Fields the CPU does
// not support read as garbage or fail; both are printed as read.
const DUMP_PER_LINE: u32 = 3;
export function vmcsDump(): void {
  println("hv: VMCS dump (field = value):");
  const n = vmcsFieldCount();
  let column: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const w = vmcsFieldWidth(i);
    const t = vmcsFieldType(i);
    print(column == 0 ? "hv:  " : " ");
    print(vmcsFieldNameAt(i));
    print("=");
    printHex(vmread(vmcsFieldEncoding(i)), w == VMCS_WIDTH_16 ? 4 : w == VMCS_WIDTH_32 ? 8 : 16);
    // A line per few fields, and each Appendix B group on lines of its own
    // (past the end the width is 0xffffffff: the last line ends too).
    if (++column == DUMP_PER_LINE || vmcsFieldWidth(i + 1) != w || vmcsFieldType(i + 1) != t) {
      println("");
      column = 0;
    }
  }
}
