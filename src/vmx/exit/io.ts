// I/O instructions (SDM Vol. 3C 28.1.3, qualification Table 28-5). Every
// port exits (the I/O bitmaps are all ones); the exit qualification is
// decoded once into an access (port, width) that the domain's port bus
// routes to its device model (src/devices/bus.ts); ports no device claims
// read all ones and drop writes. String I/O (INS/OUTS) is not emulated yet.
import { Vcpu } from "../../domain/domain";
import { ACTION_NEXT, actionStop } from "../action";
import { vmcsReadNat } from "../vmcs";
import { gpr, setGprSized, REG_RAX } from "../regs";
import { EXIT_QUALIFICATION } from "../../arch/vmcs";
import { IO_SIZE_MASK, IO_DIRECTION_IN, IO_STRING, IO_PORT_SHIFT } from "../../arch/vmx-exit";
import { Access, DEV_STOP } from "../../devices/device";
import { eventConsoleOutput } from "../../domain/events";
import { dec, hex } from "../../lib/str";

// The access being decoded (one at a time: the big lock).
const access = new Access();

export function handleIoInstruction(vcpu: Vcpu): u32 {
  const q = vmcsReadNat(EXIT_QUALIFICATION);
  const size = <u32>(q & IO_SIZE_MASK) + 1;
  const port = <u32>(q >> IO_PORT_SHIFT) & 0xffff;
  const dom = vcpu.domain;
  if (q & IO_STRING) {
    return actionStop(dom, "string I/O (INS/OUTS) on port " + hex(port, 4) + " is not emulated");
  }
  if (q & IO_DIRECTION_IN) {
    setGprSized(vcpu, REG_RAX, dom.ports.read(access, port, size), size);
    return ACTION_NEXT;
  }
  const before = dom.console.head;
  if (dom.ports.write(access, port, size, gpr(vcpu, REG_RAX)) == DEV_STOP) {
    const code = <u32>dom.ports.stopCode;
    dom.exitCode = <i32>code;
    return actionStop(dom, "exit code " + dec(code));
  }
  // A byte through its UART reached its console ring: the control domains hear of it.
  if (dom.console.head != before) eventConsoleOutput(dom);
  return ACTION_NEXT;
}
