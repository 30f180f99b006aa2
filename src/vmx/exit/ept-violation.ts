// EPT violations and misconfigurations (SDM Vol. 3C 29.3.3). A domain's EPT
// maps exactly its RAM, so an access elsewhere is either a device's MMIO or
// a guest touching memory it does not own. An access to a range a device
// claims on the domain's MMIO bus is decoded once (the instruction at RIP,
// src/vmx/decode.ts) into an access for the bus and completed here; any
// other stops the domain, with the address, the access and the RIP in the
// log.
import { Vcpu } from "../../domain/domain";
import { ACTION_RESUME, actionStop, actionForDevice } from "../action";
import { vmcsRead64, vmcsReadNat, vmcsDump } from "../vmcs";
import { gpr, setGpr, setGprSized, completeInstruction } from "../regs";
import { decodeMmio, MmioInsn, INSN_MAX, MMIO_LOAD, MMIO_STORE, EXTEND_ZERO, EXTEND_SIGN } from "../decode";
import { guestFetch, guestCodeSize } from "../guest-fetch";
import { Access, DEV_OK, widthMask } from "../../devices/device";
import { Bus } from "../../devices/bus";
import { EXIT_QUALIFICATION, GUEST_PHYSICAL_ADDRESS, GUEST_RIP } from "../../arch/vmcs";
import { EPT_VIOLATION_DATA_READ, EPT_VIOLATION_DATA_WRITE, EPT_VIOLATION_INSTRUCTION_FETCH } from "../../arch/vmx-exit";
import { hex } from "../../lib/str";

// One access at a time (the big lock): decoded once, reused.
const code = memory.data(<i32>INSN_MAX);
const insn = new MmioInsn();
const access = new Access();

export function handleEptViolation(vcpu: Vcpu): u32 {
  const q = vmcsReadNat(EXIT_QUALIFICATION);
  const gpa = vmcsRead64(GUEST_PHYSICAL_ADDRESS);
  const dom = vcpu.domain;
  const fetch = (q & EPT_VIOLATION_INSTRUCTION_FETCH) != 0;
  const write = (q & EPT_VIOLATION_DATA_WRITE) != 0;
  if (!fetch) {
    // The vCPU's own page (its xAPIC) first, as a CPU's LAPIC answers
    // before the bus does.
    const own = vcpu.mmio;
    if (own !== null && own.deviceAt(gpa) !== null) return mmio(vcpu, own, gpa, write);
    if (dom.mmio.deviceAt(gpa) !== null) return mmio(vcpu, dom.mmio, gpa, write);
  }
  const kind = fetch ? "fetch" : write ? "write" : (q & EPT_VIOLATION_DATA_READ) != 0 ? "read" : "access";
  return actionStop(dom, "EPT violation at " + hex(gpa) + " (" + kind + ") rip " + hex(vmcsReadNat(GUEST_RIP)));
}

// A read or write of MMIO at `gpa` on `bus`: the instruction must be one
// the decoder knows and access memory in the direction the exit reports.
// (An APIC-access exit comes here too: src/vmx/exit/apic.ts.)
export function mmio(vcpu: Vcpu, bus: Bus, gpa: u64, write: bool): u32 {
  const dom = vcpu.domain;
  const n = guestFetch(dom, code, INSN_MAX);
  if (!decodeMmio(code, n, guestCodeSize(), insn) || (insn.op == MMIO_LOAD) == write) {
    const why = insn.error.length != 0 ? insn.error : "direction differs from the access";
    return actionStop(dom, "MMIO " + (write ? "write" : "read") + " at " + hex(gpa) + " rip " + hex(vmcsReadNat(GUEST_RIP)) +
      ": instruction " + bytesText(n) + " not emulated (" + why + ")");
  }
  if (insn.op == MMIO_LOAD) {
    let v = bus.read(access, gpa, insn.width);
    if (insn.extend == EXTEND_SIGN) {
      const shift = <u64>(64 - (insn.width << 3));
      v = <u64>(<i64>(v << shift) >> shift);
    }
    if (insn.high8) setGpr(vcpu, insn.reg - 4, (gpr(vcpu, insn.reg - 4) & ~<u64>0xff00) | ((v & 0xff) << 8));
    else setGprSized(vcpu, insn.reg, insn.extend == EXTEND_ZERO || insn.extend == EXTEND_SIGN ? v & widthMask(insn.regWidth) : v, insn.regWidth);
  } else {
    let v = insn.imm;
    if (insn.op == MMIO_STORE) v = insn.high8 ? gpr(vcpu, insn.reg - 4) >> 8 : gpr(vcpu, insn.reg);
    const result = bus.write(access, gpa, insn.width, v);
    if (result != DEV_OK) return actionForDevice(dom, result, bus);
  }
  completeInstruction(insn.length);
  return ACTION_RESUME;
}

// "0f b6 07": the bytes fetched, for the log.
function bytesText(n: u32): string {
  if (n == 0) return "(not mapped)";
  let s = "";
  for (let i: u32 = 0; i < n && i < 8; i++) s += (i != 0 ? " " : "") + hex(load<u8>(code + i), 2).substring(2);
  return s;
}

// A malformed EPT entry is a hypervisor bug, but it is confined to the
// domain whose tables hold it.
export function handleEptMisconfig(vcpu: Vcpu): u32 {
  vmcsDump();
  return actionStop(vcpu.domain, "EPT misconfiguration at " + hex(vmcsRead64(GUEST_PHYSICAL_ADDRESS)));
}
