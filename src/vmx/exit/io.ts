// I/O instructions (SDM Vol. 3C 28.1.3, qualification Table 28-5). Every
// port exits (the I/O bitmaps are all ones); the domain's port bus routes
// the access to its device model, and ports no device claims read all ones
// and drop writes. String I/O (INS/OUTS) is not emulated yet.
import { Vcpu } from "../../domain/domain";
import { ACTION_NEXT, actionStop } from "../action";
import { vmcsReadNat } from "../vmcs";
import { gpr, setGprSized, REG_RAX } from "../regs";
import { EXIT_QUALIFICATION } from "../../arch/vmcs";
import { IO_SIZE_MASK, IO_DIRECTION_IN, IO_STRING, IO_PORT_SHIFT } from "../../arch/vmx-exit";
import { portRead, portWrite, portBusExitCode, PORT_ACTION_STOP } from "../../devices/portbus";
import { eventConsoleOutput } from "../../domain/events";
import { dec, hex } from "../../lib/str";

export function handleIoInstruction(vcpu: Vcpu): u32 {
  const q = vmcsReadNat(EXIT_QUALIFICATION);
  const size = <u32>(q & IO_SIZE_MASK) + 1;
  const port = <u32>(q >> IO_PORT_SHIFT) & 0xffff;
  const dom = vcpu.domain;
  if (q & IO_STRING) {
    return actionStop(dom, "string I/O (INS/OUTS) on port " + hex(port, 4) + " is not emulated");
  }
  if (q & IO_DIRECTION_IN) {
    setGprSized(vcpu, REG_RAX, portRead(dom.portBus, port, size), size);
    return ACTION_NEXT;
  }
  const before = dom.console.head;
  if (portWrite(dom.portBus, port, size, <u32>gpr(vcpu, REG_RAX)) == PORT_ACTION_STOP) {
    const code = portBusExitCode(dom.portBus);
    dom.exitCode = <i32>code;
    return actionStop(dom, "exit code " + dec(code));
  }
  // A byte through its UART reached its console ring: the control domains hear of it.
  if (dom.console.head != before) eventConsoleOutput(dom);
  return ACTION_NEXT;
}
