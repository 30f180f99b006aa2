// INS and OUTS, with and without REP, on emulated ports (src/vmx/exit/io.ts):
// the bytes move between the port's device and the guest's memory at the
// linear address the exit reports, RSI/RDI and RCX advance as the CPU's do,
// a long REP is done in batches the guest re-executes.
import { describe, expect, it } from "vitest";
import { F, REG } from "../sim/vmx";
import { vmxMachine } from "./fixtures";

const IO_EXIT = 30, STRING = 1 << 4, REP = 1 << 5, IN = 1 << 3;
const ACT_RESUME = 0, ACT_NEXT = 1;
const COM1 = 0x3f8;
const CODE = 0x100100, DATA = 0x108000;

function world() {
  const { m, e, vmx, create } = vmxMachine();
  const id = create("sio");
  const host = (gpa: number) => Number(e.testGuestToHost(id, BigInt(gpa)));
  const put = (gpa: number, bytes: number[]) => bytes.forEach((b, i) => (m.bytes[host(gpa + i)] = b));
  const con = e.testDomainConsole(id) >>> 0;
  e.consoleSetLog(con, 0);
  const text = () => {
    const n = e.consoleRead(con, 0n, 0x20000, 0x1000);
    return Buffer.from(m.bytes.subarray(0x20000, 0x20000 + n)).toString("latin1");
  };
  // One INS/OUTS exit as the CPU makes it: the instruction at CODE, the
  // operand's linear address in GUEST_LINEAR_ADDRESS.
  const exit = (insn: number[], q: number, lin: number, regs: Record<number, bigint> = {}, df = false) => {
    put(CODE, insn);
    vmx.guest = (c) => {
      c.set(F.GUEST_RIP, BigInt(CODE));
      for (const [r, v] of Object.entries(regs)) c.setReg(Number(r), v);
      c.set(F.GUEST_RFLAGS, df ? 0x402n : 0x2n);
      c.set(F.GUEST_LINEAR_ADDRESS, BigInt(lin));
      return c.exit(IO_EXIT, { qualification: (COM1 << 16) | q, length: insn.length });
    };
    return e.testEnterOnce(id, 0x1000) >>> 0;
  };
  const reg = (r: number) => vmx.reg(e.testVcpuRegs(id), r);
  return { m, e, vmx, id, put, text, exit, reg, host };
}

describe("string I/O", () => {
  it("OUTSB without REP sends one byte and advances RSI", () => {
    const w = world();
    w.put(DATA, [...Buffer.from("hi")]);
    expect(w.exit([0x6e], STRING, DATA, { [REG.RSI]: BigInt(DATA), [REG.RDX]: BigInt(COM1) })).toBe(ACT_NEXT);
    expect(w.text()).toBe("h");
    expect(w.reg(REG.RSI)).toBe(BigInt(DATA + 1));
    expect(w.vmx.get(F.GUEST_RIP)).toBe(BigInt(CODE + 1));
  });

  it("REP OUTSB sends RCX bytes; RCX ends at 0", () => {
    const w = world();
    const msg = Buffer.from("string io reaches the uart\n");
    w.put(DATA, [...msg]);
    expect(w.exit([0xf3, 0x6e], STRING | REP, DATA, { [REG.RSI]: BigInt(DATA), [REG.RCX]: BigInt(msg.length) })).toBe(ACT_NEXT);
    expect(w.text()).toBe(msg.toString("latin1"));
    expect(w.reg(REG.RCX)).toBe(0n);
    expect(w.reg(REG.RSI)).toBe(BigInt(DATA + msg.length));
  });

  it("REP OUTSB with DF set walks down", () => {
    const w = world();
    w.put(DATA, [...Buffer.from("cba")]);
    expect(w.exit([0xf3, 0x6e], STRING | REP, DATA + 2, { [REG.RSI]: BigInt(DATA + 2), [REG.RCX]: 3n }, true)).toBe(ACT_NEXT);
    expect(w.text()).toBe("abc");
    expect(w.reg(REG.RSI)).toBe(BigInt(DATA - 1));
  });

  it("REP INSB takes bytes from the UART into memory", () => {
    const w = world();
    const u = w.e.testDomainUart(w.id) >>> 0;
    for (const b of Buffer.from("typed")) w.e.uartReceive(u, b);
    // INS reads RBR 5 times.
    expect(w.exit([0xf3, 0x6c], STRING | REP | IN, DATA, { [REG.RDI]: BigInt(DATA), [REG.RCX]: 5n })).toBe(ACT_NEXT);
    expect(Buffer.from([0, 1, 2, 3, 4].map((i) => w.m.bytes[w.host(DATA + i)])).toString("latin1")).toBe("typed");
    expect(w.reg(REG.RDI)).toBe(BigInt(DATA + 5));
  });

  it("a long REP is done 1024 elements an exit: the guest re-executes it for the rest", () => {
    const w = world();
    w.put(DATA, new Array(3000).fill(0x41));
    expect(w.exit([0xf3, 0x6e], STRING | REP, DATA, { [REG.RSI]: BigInt(DATA), [REG.RCX]: 3000n })).toBe(ACT_RESUME);
    expect(w.reg(REG.RCX)).toBe(3000n - 1024n);
    expect(w.vmx.get(F.GUEST_RIP)).toBe(BigInt(CODE));   // not advanced
    expect(w.text().length).toBe(1024);
  });

  it("an address-size prefix in 64-bit code counts with ECX and ESI", () => {
    const w = world();
    w.put(DATA, [...Buffer.from("ok")]);
    const high = 0xabcd000000000000n;
    expect(w.exit([0x67, 0xf3, 0x6e], STRING | REP, DATA, { [REG.RSI]: high | BigInt(DATA), [REG.RCX]: high | 2n })).toBe(ACT_NEXT);
    expect(w.text()).toBe("ok");
    expect(w.reg(REG.RSI)).toBe(BigInt(DATA + 2));   // 32-bit: upper half cleared
    expect(w.reg(REG.RCX)).toBe(0n);
  });

  it("memory outside the guest's stops it, as any access it does not own", () => {
    const w = world();
    expect(w.exit([0x6e], STRING, 0x7ff00000, { [REG.RSI]: 0x7ff00000n })).toBe(5);
    expect(w.m.str("testDomainStopReason", w.id)).toMatch(/^OUTS from 0x0*7ff00000, outside its memory$/);
  });
});
