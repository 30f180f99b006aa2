// The PC's other reset paths (src/devices/i8042.ts, src/devices/port92.ts),
// on a port bus as a domain has them: what Linux's reboot=k and the
// firmware's fast reset write, what a guest reads back, nonsense, and save,
// reset and restore through the Device interface.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const DEV_OK = 0, DEV_RESET = 2;   // src/devices/device.ts
const BUF = 0x30000;   // a saved block: a 16-byte header, then the state
const bytes = (m: Machine): Uint8Array => new Uint8Array(m.memory.buffer);
const DATA = 0x60, STATUS = 0x64, PORT_A = 0x92;
const OBF = 0x01, SYS = 0x04, CMD = 0x08;

function bus() {
  const m = new Machine();
  const e = m.exports;
  const b = e.portBusCreate() >>> 0;
  const inp = (port: number): number => e.portRead(b, port, 1) >>> 0;
  const out = (port: number, v: number): number => e.portWrite(b, port, 1, v) >>> 0;
  return { m, e, b, inp, out };
}

function kbc() {
  const w = bus();
  const dev = w.e.i8042Create() >>> 0;
  expect(w.e.portBusRegister(w.b, DATA, 1, 0, dev)).toBe(0);
  expect(w.e.portBusRegister(w.b, STATUS, 1, 0, dev)).toBe(0);
  return { ...w, dev };
}

describe("8042 keyboard controller", () => {
  it("resets the machine on the pulse command 0xfe, as Linux's reboot=k sends it", () => {
    const k = kbc();
    expect(k.inp(STATUS) & 0x02).toBe(0);            // input buffer empty: Linux waits for that
    expect(k.out(STATUS, 0xfe)).toBe(DEV_RESET);
    expect(k.out(STATUS, 0xfc)).toBe(DEV_RESET);     // any pulse with bit 0 low
    expect(k.out(STATUS, 0xff)).toBe(DEV_OK);        // pulse nothing
    expect(k.out(STATUS, 0xf1)).toBe(DEV_OK);        // bit 0 high: not the reset line
  });

  it("resets the machine when the output port's bit 0 is written low", () => {
    const k = kbc();
    expect(k.out(STATUS, 0xd0)).toBe(DEV_OK);        // read output port
    expect(k.inp(STATUS) & OBF).toBe(OBF);
    expect(k.inp(DATA)).toBe(0x03);                  // reset line inactive, A20 on
    expect(k.inp(STATUS) & OBF).toBe(0);
    expect(k.out(STATUS, 0xd1)).toBe(DEV_OK);
    expect(k.out(DATA, 0x03)).toBe(DEV_OK);          // A20 on, no reset
    expect(k.out(STATUS, 0xd1)).toBe(DEV_OK);
    expect(k.out(DATA, 0x02)).toBe(DEV_RESET);
  });

  it("answers the self test, the interface test and the command byte", () => {
    const k = kbc();
    k.out(STATUS, 0xaa);
    expect(k.inp(STATUS) & (OBF | SYS | CMD)).toBe(OBF | SYS | CMD);
    expect(k.inp(DATA)).toBe(0x55);
    k.out(STATUS, 0xab);
    expect(k.inp(DATA)).toBe(0x00);
    k.out(STATUS, 0x20);
    expect(k.inp(DATA)).toBe(0x45);
    k.out(STATUS, 0x60);
    k.out(DATA, 0x41);                               // system flag clear
    expect(k.inp(STATUS) & (SYS | CMD)).toBe(0);
    k.out(STATUS, 0x20);
    expect(k.inp(DATA)).toBe(0x41);
  });

  it("drops keyboard bytes and unknown commands without a change", () => {
    const k = kbc();
    expect(k.out(DATA, 0xff)).toBe(DEV_OK);          // keyboard reset: no keyboard
    expect(k.out(STATUS, 0xa7)).toBe(DEV_OK);        // disable the mouse
    expect(k.out(STATUS, 0x00)).toBe(DEV_OK);
    expect(k.inp(STATUS) & OBF).toBe(0);
    k.out(STATUS, 0x20);
    expect(k.inp(DATA)).toBe(0x45);
  });

  it("saves, resets and restores its state, and refuses a block with the reset line held", () => {
    const k = kbc();
    k.out(STATUS, 0x60);
    k.out(DATA, 0x01);
    k.out(STATUS, 0xd1);                             // a command waiting for its byte
    const len = k.e.devSaveSize(k.dev);
    k.e.devSave(k.dev, BUF);
    k.e.devReset(k.dev);
    k.out(STATUS, 0x20);
    expect(k.inp(DATA)).toBe(0x45);
    expect(k.m.readString(k.e.devRestore(k.dev, BUF, len) >>> 0)).toBe("");
    expect(k.out(DATA, 0x00)).toBe(DEV_RESET);       // the restored pending 0xd1 takes the byte
    k.out(STATUS, 0xd0);
    expect(k.inp(DATA) & 1).toBe(1);                 // the line pulsed: inactive again
    k.e.devSave(k.dev, BUF);
    bytes(k.m)[BUF + 16 + 4] = 0x02;                 // the output port with the reset line held
    expect(k.m.readString(k.e.devRestore(k.dev, BUF, len) >>> 0)).toMatch(/reset line asserted/);
  });
});

describe("port 0x92 (system control port A)", () => {
  function porta() {
    const w = bus();
    const dev = w.e.port92Create() >>> 0;
    expect(w.e.portBusRegister(w.b, PORT_A, 1, 0, dev)).toBe(0);
    return { ...w, dev };
  }

  it("resets on bit 0 written 1, keeps A20, reads the rest as 0", () => {
    const p = porta();
    expect(p.inp(PORT_A)).toBe(0);
    expect(p.out(PORT_A, 0x02)).toBe(DEV_OK);
    expect(p.inp(PORT_A)).toBe(0x02);
    expect(p.out(PORT_A, 0xfc)).toBe(DEV_OK);        // nonsense in the other bits
    expect(p.inp(PORT_A)).toBe(0);
    expect(p.out(PORT_A, 0x03)).toBe(DEV_RESET);
    expect(p.inp(PORT_A) & 1).toBe(0);
  });

  it("saves and restores A20 and refuses other bits in a block", () => {
    const p = porta();
    p.out(PORT_A, 0x02);
    const len = p.e.devSaveSize(p.dev);
    p.e.devSave(p.dev, BUF);
    p.e.devReset(p.dev);
    expect(p.inp(PORT_A)).toBe(0);
    expect(p.m.readString(p.e.devRestore(p.dev, BUF, len) >>> 0)).toBe("");
    expect(p.inp(PORT_A)).toBe(0x02);
    bytes(p.m)[BUF + 16] = 0x04;
    expect(p.m.readString(p.e.devRestore(p.dev, BUF, len) >>> 0)).toMatch(/bits other than A20/);
  });
});
