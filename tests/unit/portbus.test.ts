// A domain's port I/O dispatch (src/devices/portbus.ts): the 16550 at COM1,
// isa-debug-exit at 0xf4, and the floating bus everywhere else.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

function bus() {
  const m = new Machine();
  const e = m.exports;
  const con = e.consoleCreate(m.newString("t")) >>> 0;
  e.consoleSetLog(con, 0);
  const uart = e.uartCreate(con) >>> 0;
  const b = e.portBusCreate() >>> 0;
  const UART = e.DEV_UART.value, EXIT = e.DEV_DEBUG_EXIT.value;
  expect(e.portBusRegister(b, 0x3f8, 8, UART, uart)).toBe(0);
  expect(e.portBusRegister(b, 0xf4, 4, EXIT, 0)).toBe(0);
  const inp = (port: number, size: number): number => e.portRead(b, port, size) >>> 0;
  const out = (port: number, size: number, v: number): number => e.portWrite(b, port, size, v);
  const consoleText = (): string => {
    const n = e.consoleRead(con, 0n, 0x20000, 0x1000);
    return Buffer.from(m.bytes.subarray(0x20000, 0x20000 + n)).toString("latin1");
  };
  return { m, e, b, uart, inp, out, consoleText, UART, EXIT };
}

describe("port bus", () => {
  it("names its actions and kinds", () => {
    const { e } = bus();
    expect(e.PORT_ACTION_CONTINUE.value).toBe(0);
    expect(e.PORT_ACTION_STOP.value).toBe(1);
    expect(e.DEV_UART.value).not.toBe(e.DEV_DEBUG_EXIT.value);
  });

  it("reads all ones of the access size from unassigned ports and drops writes", () => {
    const { inp, out, consoleText } = bus();
    for (const port of [0x0, 0x80, 0x2f8, 0x3f0, 0xcf8, 0xffff]) {
      expect(inp(port, 1)).toBe(0xff);
      expect(inp(port, 2)).toBe(0xffff);
      expect(inp(port, 4)).toBe(0xffffffff);
      expect(out(port, 1, 0x12)).toBe(0);
      expect(out(port, 2, 0x1234)).toBe(0);
      expect(out(port, 4, 0x12345678)).toBe(0);
    }
    expect(inp(0x80, 1)).toBe(0xff); // nothing latched
    expect(consoleText()).toBe("");
  });

  it("routes 0x3f8-0x3ff to the UART", () => {
    const { inp, out, consoleText, e, uart } = bus();
    expect(inp(0x3fd, 1)).toBe(0x60); // LSR: THRE|TEMT
    expect(inp(0x3fe, 1)).toBe(0xb0); // MSR
    expect(out(0x3ff, 1, 0x5a)).toBe(0);
    expect(inp(0x3ff, 1)).toBe(0x5a); // SCR
    expect(inp(0x400, 1)).toBe(0xff); // just past it
    for (const c of Buffer.from("ok\n")) expect(out(0x3f8, 1, c)).toBe(0);
    expect(consoleText()).toBe("ok\n");
    e.uartReceive(uart, 0x71);
    expect(inp(0x3fd, 1) & 1).toBe(1);
    expect(inp(0x3f8, 1)).toBe(0x71);
  });

  it("splits wider accesses to the UART into byte cycles on consecutive ports", () => {
    const { inp, out, consoleText } = bus();
    out(0x3ff, 1, 0xa5);
    // inw 0x3fe: MSR (low byte) and SCR (high byte)
    expect(inp(0x3fe, 2)).toBe(0xa5b0);
    // inl 0x3fd: LSR, MSR, SCR, then the unassigned 0x400
    expect(inp(0x3fd, 4)).toBe(0xffa5b060);
    // inw 0x3f7: unassigned low byte, IER high byte
    expect(inp(0x3f7, 2)).toBe(0x00ff);
    // outw 0x3f8 'h','i': THR gets 'h', IER gets 'i' & 0x0f
    expect(out(0x3f8, 2, 0x6968)).toBe(0);
    expect(consoleText()).toBe("h");
    expect(inp(0x3f9, 1)).toBe(0x09);
    // outl 0x3fc: MCR=0x0b, LSR ignored, MSR ignored, SCR=0x77
    expect(out(0x3fc, 4, 0x7700000b)).toBe(0);
    expect(inp(0x3fc, 1)).toBe(0x0b);
    expect(inp(0x3ff, 1)).toBe(0x77);
  });

  it("stops the domain with the code written to isa-debug-exit", () => {
    const { e, b, inp, out } = bus();
    expect(e.portBusExitCode(b)).toBe(0);
    expect(out(0xf4, 1, 0x10)).toBe(1);
    expect(e.portBusExitCode(b)).toBe(0x10);
    expect(out(0xf4, 4, 0xdeadbeef)).toBe(1);
    expect(e.portBusExitCode(b) >>> 0).toBe(0xdeadbeef);
    expect(out(0xf5, 2, 0x1234)).toBe(1); // anywhere in its 4 ports
    expect(e.portBusExitCode(b)).toBe(0x1234);
    expect(inp(0xf4, 4)).toBe(0);
    expect(out(0xf8, 1, 0)).toBe(0); // past it
  });

  it("refuses overlapping, empty and out-of-range registrations and a full table", () => {
    const { e, b, UART } = bus();
    expect(e.portBusRegister(b, 0x3f0, 9, UART, 0)).toBe(-1); // overlaps 0x3f8
    expect(e.portBusRegister(b, 0x3ff, 1, UART, 0)).toBe(-1);
    expect(e.portBusRegister(b, 0xf0, 5, UART, 0)).toBe(-1);  // overlaps 0xf4
    expect(e.portBusRegister(b, 0x2f8, 0, UART, 0)).toBe(-1);
    expect(e.portBusRegister(b, 0xfff8, 9, UART, 0)).toBe(-1);
    expect(e.portBusRegister(b, 0x3f0, 8, UART, 0)).toBe(0);  // adjacent is fine
    let n = 3;
    while (e.portBusRegister(b, 0x1000 + n * 8, 8, UART, 0) === 0) n++;
    expect(n).toBe(24);   // BUS_RANGES_MAX
  });

  it("serves two domains' UARTs independently", () => {
    const a = bus(), m = a.m, e = m.exports;
    const con2 = e.consoleCreate(m.newString("other")) >>> 0;
    e.consoleSetLog(con2, 0);
    const uart2 = e.uartCreate(con2) >>> 0;
    const b2 = e.portBusCreate() >>> 0;
    expect(e.portBusRegister(b2, 0x3f8, 8, a.UART, uart2)).toBe(0);
    a.out(0x3ff, 1, 0x11);
    e.portWrite(b2, 0x3ff, 1, 0x22);
    expect(a.inp(0x3ff, 1)).toBe(0x11);
    expect(e.portRead(b2, 0x3ff, 1)).toBe(0x22);
    expect(e.portRead(b2, 0xf4, 1)).toBe(0xff); // no debug-exit on this bus
  });
});
