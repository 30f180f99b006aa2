// I/O instructions (SDM Vol. 3C 28.1.3, qualification Table 28-5). Every
// port exits (the I/O bitmaps are all ones); the exit qualification is
// decoded once into an access (port, width) that the domain's port bus
// routes to its device model (src/devices/bus.ts); ports no device claims
// read all ones and drop writes. INS and OUTS (with REP) move between the
// port and the guest's memory at the linear address the exit reports,
// through the guest's own paging.
import { Vcpu, Domain } from "../../domain/domain";
import { ACTION_NEXT, ACTION_RESUME, actionStop, actionForDevice } from "../action";
import { vmcsReadNat } from "../vmcs";
import { gpr, setGpr, setGprSized, REG_RAX, REG_RCX, REG_RSI, REG_RDI } from "../regs";
import { guestFetch, guestCodeSize, guestLinearToPhysical, NO_TRANSLATION } from "../guest-fetch";
import { CODE16, CODE32, CODE64, INSN_MAX } from "../decode";
import { EXIT_QUALIFICATION, GUEST_LINEAR_ADDRESS, GUEST_RFLAGS } from "../../arch/vmcs";
import { IO_SIZE_MASK, IO_DIRECTION_IN, IO_STRING, IO_REP, IO_PORT_SHIFT } from "../../arch/vmx-exit";
import { RFLAGS_DF } from "../../arch/cr";
import { Access, DEV_OK } from "../../devices/device";
import { guestToHost, guestToHostWrite } from "../../domain/memory";
import { eventConsoleOutput } from "../../domain/events";
import { hex } from "../../lib/str";

// The access being decoded (one at a time: the big lock).
const access = new Access();
const code = memory.data(<i32>INSN_MAX);
// REP INS/OUTS moves at most this many elements an exit; the guest
// re-executes the instruction for the rest (as KVM does), so one exit stays
// short and interrupts are taken in between.
const REP_BATCH: u64 = 1024;

export function handleIoInstruction(vcpu: Vcpu): u32 {
  const q = vmcsReadNat(EXIT_QUALIFICATION);
  const size = <u32>(q & IO_SIZE_MASK) + 1;
  const port = <u32>(q >> IO_PORT_SHIFT) & 0xffff;
  const dom = vcpu.domain;
  const before = dom.console.head;
  let action = ACTION_NEXT;
  if (q & IO_STRING) {
    action = stringIo(vcpu, port, size, (q & IO_DIRECTION_IN) != 0, (q & IO_REP) != 0);
  } else if (q & IO_DIRECTION_IN) {
    setGprSized(vcpu, REG_RAX, dom.ports.read(access, port, size), size);
  } else {
    action = actionForDevice(dom, dom.ports.write(access, port, size, gpr(vcpu, REG_RAX)), dom.ports);
  }
  // A byte through its UART reached its console ring: the control domains hear of it.
  if (dom.console.head != before) eventConsoleOutput(dom);
  return action;
}

// The address size of the INS/OUTS at RIP: the code size, or the other one
// with an address-size prefix (0x67) among its prefixes.
function addressSize(dom: Domain): u32 {
  const cs = guestCodeSize();
  const n = guestFetch(dom, code, INSN_MAX);
  for (let i: u32 = 0; i < n; i++) {
    const b = load<u8>(code + i);
    if (b == 0x67) return cs == CODE64 ? CODE32 : cs == CODE32 ? CODE16 : CODE32;
    if (b != 0x66 && b != 0xf2 && b != 0xf3 && b != 0xf0 && b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e &&
      b != 0x64 && b != 0x65 && (cs != CODE64 || (b & 0xf0) != 0x40)) break;
  }
  return cs;
}

// Replaces the low `bytes` of register `reg` (8: all of it) as the string
// instructions do with their counters and pointers.
function setAddressReg(vcpu: Vcpu, reg: u32, value: u64, bytes: u32): void {
  if (bytes == 8) setGpr(vcpu, reg, value);
  else if (bytes == 4) setGpr(vcpu, reg, value & 0xffffffff);   // a 32-bit address register zero-extends
  else setGpr(vcpu, reg, (gpr(vcpu, reg) & ~<u64>0xffff) | (value & 0xffff));
}

function stringIo(vcpu: Vcpu, port: u32, size: u32, input: bool, rep: bool): u32 {
  const dom = vcpu.domain;
  const abytes = addressSize(dom);
  const mask: u64 = abytes == 8 ? 0xffffffffffffffff : (<u64>1 << (<u64>abytes << 3)) - 1;
  const count = rep ? gpr(vcpu, REG_RCX) & mask : 1;
  if (count == 0) return ACTION_NEXT;
  const n = count < REP_BATCH ? count : REP_BATCH;
  const step: i64 = (vmcsReadNat(GUEST_RFLAGS) & RFLAGS_DF) != 0 ? -<i64>size : <i64>size;
  const lin = vmcsReadNat(GUEST_LINEAR_ADDRESS);
  let done: u64 = 0;
  let result = DEV_OK;
  while (done < n && result == DEV_OK) {
    const at = lin + <u64>(<i64>done * step);
    let v: u64 = 0;
    if (!input) {
      for (let b: u32 = 0; b < size; b++) {
        const h = memoryByte(dom, at + b, false);
        if (h == 0) return actionStop(dom, "OUTS from " + hex(at + b) + ", outside its memory");
        v |= <u64>load<u8>(h) << (<u64>b << 3);
      }
      result = dom.ports.write(access, port, size, v);
    } else {
      v = dom.ports.read(access, port, size);
      for (let b: u32 = 0; b < size; b++) {
        const h = memoryByte(dom, at + b, true);
        if (h == 0) return actionStop(dom, "INS to " + hex(at + b) + ", outside its memory");
        store<u8>(h, <u8>(v >> (<u64>b << 3)));
      }
    }
    done++;
  }
  const reg = input ? REG_RDI : REG_RSI;
  setAddressReg(vcpu, reg, gpr(vcpu, reg) + <u64>(<i64>done * step), abytes);
  if (rep) setAddressReg(vcpu, REG_RCX, count - done, abytes);
  if (result != DEV_OK) return actionForDevice(dom, result, dom.ports);
  return rep && count > done ? ACTION_RESUME : ACTION_NEXT;
}

// The host address of the guest's linear byte `lin`, or 0.
function memoryByte(dom: Domain, lin: u64, write: bool): usize {
  const gpa = guestLinearToPhysical(dom, lin);
  if (gpa == NO_TRANSLATION) return 0;
  return <usize>(write ? guestToHostWrite(dom, gpa) : guestToHost(dom, gpa));
}
