// Events, the serial console hand-over and the host calls (src/domain/events.ts,
// src/vmx/event.ts, src/vmx/exit/hlt.ts, src/platform/serial-console.ts,
// src/platform/irq.ts, src/hypercall/host.ts, HC_CONSOLE_INPUT) on the
// compiled wasm against the simulated VMX CPU. The simulator refuses a VM
// entry that injects an external interrupt into a guest that cannot take it
// (RFLAGS.IF = 0, blocking by STI or MOV SS), as the CPU does.
import { describe, expect, it } from "vitest";
import { Halted } from "../sim/machine";
import { F, REG, GuestContext, PROC_INTERRUPT_WINDOW_EXITING } from "../sim/vmx";
import { vmxMachine } from "./fixtures";

// The ABI (src/arch/abi.ts).
const HC = {
  CONSOLE_WRITE: 1, DOMAIN_INFO: 5, CONSOLE_READ: 9, EVENT_SETUP: 17, CONSOLE_INPUT: 18, HOST_INFO: 19, CPU_INFO: 20, HOST_POWER: 21,
  TIMER_SET: 27,
};
const EPERM = -1n, ESRCH = -3n, EFAULT = -14n, EBUSY = -16n, EINVAL = -22n;
const EVENT_SERIAL = 0, EVENT_LOG = 1, EVENT_CONSOLE = 2, EVENT_TIMER = 3;
const EVSETUP_FLAG_CONSOLE = 1;
const HOSTINFO_SIZE = 88, CPUINFO_SIZE = 32;
const CPUFLAG_ONLINE = 1, CPUFLAG_BSP = 2;
const HOST_POWER_OFF = 0, HOST_REBOOT = 1;
const HV_VECTOR_IRQ_BASE = 0x30, HV_VECTOR_SPURIOUS = 0xff;

const R = { EXCEPTION_OR_NMI: 0, EXTERNAL_INTERRUPT: 1, INTERRUPT_WINDOW: 7, CPUID: 10, HLT: 12, VMCALL: 18, IO: 30, RDMSR: 31, WRMSR: 32 };
const ACT = { RESUME: 0, NEXT: 1, BLOCK: 4 };
const VALID = 0x80000000, DELIVER_CODE = 1 << 11, HARD_EXCEPTION = 3 << 8, NMI = 2 << 8;
const STI = 1, MOV_SS = 2;
const RFLAGS_FIXED = 0x2n, RFLAGS_IF = 0x200n;
const EV = 0x40;

const MEM = 0x120000;
const PAGE = 0x30000, BUF = 0x40000;
const U64 = (1n << 64n) - 1n;

function world(framesBase = 0x100000n, framesLen = 0x2f0000n) {
  const { m, e, vmx, create } = vmxMachine(framesBase, framesLen);
  const w = {
    m, e, vmx, create,
    // One VM entry of `id` ending in `guest`'s exit; the action.
    enter(id: number, guest: (c: GuestContext) => number): number {
      vmx.guest = guest;
      return e.testEnterOnce(id, 0x1000) >>> 0;
    },
    // One VMCALL by `id`; the result as a signed number. `wide` false: a
    // caller in 32-bit mode.
    hc(id: number, nr: number, args: Array<bigint | number> = [], wide = true): bigint {
      const regs = [REG.RDI, REG.RSI, REG.RDX, REG.R10];
      const action = w.enter(id, (c) => {
        c.setReg(REG.RAX, nr);
        for (let i = 0; i < regs.length; i++) c.setReg(regs[i], BigInt.asUintN(64, BigInt(args[i] ?? 0)));
        const ar = c.get(F.GUEST_CS_ACCESS_RIGHTS);
        c.set(F.GUEST_CS_ACCESS_RIGHTS, wide ? ar | 0x2000n : ar & ~0x2000n);
        return c.exit(R.VMCALL, { length: 3 });
      });
      expect(action, `hypercall ${nr} action`).toBe(ACT.NEXT);
      return BigInt.asIntN(64, vmx.reg(e.testVcpuRegs(id), REG.RAX));
    },
    // A field of `id`'s VMCS, current or not.
    field(id: number, f: number): bigint { return vmx.vmcss.get(e.testVcpuVmcs(id))!.fields.get(f) ?? 0n; },
    setField(id: number, f: number, v: bigint | number): void { vmx.vmcss.get(e.testVcpuVmcs(id))!.fields.set(f, BigInt(v)); },
    window(id: number): boolean { return (Number(w.field(id, F.CPU_BASED_VM_EXEC_CONTROL)) & PROC_INTERRUPT_WINDOW_EXITING) !== 0; },
    pending: (id: number): boolean => e.testVcpuIntrPending(id) !== 0,
    halted: (id: number): boolean => e.testVcpuHalted(id) !== 0,
    read(id: number, gpa: number, len: number): Uint8Array {
      const out = new Uint8Array(len);
      for (let i = 0; i < len; i++) out[i] = m.bytes[Number(e.testGuestToHost(id, BigInt(gpa + i)))];
      return out;
    },
    write(id: number, gpa: number, data: Uint8Array): void {
      for (let i = 0; i < data.length; i++) m.bytes[Number(e.testGuestToHost(id, BigInt(gpa + i)))] = data[i];
    },
    u64(id: number, gpa: number): bigint { return new DataView(w.read(id, gpa, 8).buffer).getBigUint64(0, true); },
    setU64(id: number, gpa: number, v: bigint): void {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      w.write(id, gpa, b);
    },
    // The event page's pending word, taken as the guest would (exchange with 0).
    takeBits(id: number, page = PAGE): bigint { const v = w.u64(id, page); w.setU64(id, page, 0n); return v; },
  };
  return w;
}
type World = ReturnType<typeof world>;

// Domain 0 (the first control=1 domain) and a DomU, each with events set up
// (the DomU only if `domuEvents`, through the right it does not have: no).
function pair(framesBase = 0xa00000n, framesLen = 0x600000n) {
  const w = world(framesBase, framesLen);
  w.e.testDomainStop(w.create("warmup"), w.m.newString("warm-up")); // the shared VMX bitmaps
  const d0 = w.create("d0", "control=1");
  const dom = w.create("dom");
  return { w, d0, dom };
}

const cpuidExit = (rflags?: bigint, intr?: number) => (c: GuestContext) => {
  if (rflags !== undefined) c.set(F.GUEST_RFLAGS, rflags);
  if (intr !== undefined) c.set(F.GUEST_INTERRUPTIBILITY_INFO, intr);
  c.setReg(REG.RAX, 0);
  c.setReg(REG.RCX, 0);
  return c.exit(R.CPUID, { length: 2 });
};
const hltExit = (rflags: bigint, intr = 0) => (c: GuestContext) => {
  c.set(F.GUEST_RFLAGS, rflags);
  c.set(F.GUEST_INTERRUPTIBILITY_INFO, intr);
  return c.exit(R.HLT, { length: 1 });
};

// Events set up for Domain 0 on PAGE with vector EV.
function withEvents() {
  const p = pair();
  expect(p.w.hc(p.d0, HC.EVENT_SETUP, [PAGE, EV, 0])).toBe(0n);
  return p;
}

function injectedVectors(w: World): number[] {
  return w.vmx.injected.map((r) => r.intrInfo);
}

describe("events: injection before VM entry", () => {
  it("with RFLAGS.IF = 1 the event vector is injected as an external interrupt at the next entry, once", () => {
    const { w, d0 } = withEvents();
    expect(w.enter(d0, cpuidExit(RFLAGS_FIXED | RFLAGS_IF))).toBe(ACT.NEXT);
    const before = w.vmx.injected.length;
    w.e.testEventRaise(d0, EVENT_SERIAL, false);
    expect(w.u64(d0, PAGE)).toBe(1n << BigInt(EVENT_SERIAL));
    expect(w.pending(d0)).toBe(true);
    expect(w.enter(d0, cpuidExit())).toBe(ACT.NEXT);
    expect(injectedVectors(w).slice(before)).toEqual([(VALID | EV) >>> 0]);   // type 0: external interrupt
    expect(w.pending(d0)).toBe(false);
    // Raises before the injection coalesce; bits accumulate in the page.
    w.e.testEventRaise(d0, EVENT_LOG, false);
    w.e.testEventRaise(d0, EVENT_CONSOLE, false);
    expect(w.u64(d0, PAGE)).toBe(0b111n);
    w.enter(d0, cpuidExit());
    w.enter(d0, cpuidExit());
    expect(injectedVectors(w).slice(before)).toEqual([(VALID | EV) >>> 0, (VALID | EV) >>> 0]);
    expect(w.vmx.badInjections).toBe(0);
    expect(w.window(d0)).toBe(false);
  });

  it("with RFLAGS.IF = 0 it waits: interrupt-window exiting, and the injection at the window exit's entry", () => {
    const { w, d0 } = withEvents();
    w.enter(d0, cpuidExit(RFLAGS_FIXED));
    w.e.testEventRaise(d0, EVENT_SERIAL, false);
    const before = w.vmx.injected.length;
    expect(w.enter(d0, cpuidExit())).toBe(ACT.NEXT);
    expect(w.vmx.injected.length).toBe(before);
    expect(w.window(d0)).toBe(true);
    expect(w.e.testVcpuWindowExiting(d0)).toBe(1);
    expect(w.pending(d0)).toBe(true);
    // The guest executes STI ... the CPU exits as soon as it can take an
    // interrupt; RIP does not move.
    const rip = w.field(d0, F.GUEST_RIP);
    expect(w.enter(d0, (c) => (c.set(F.GUEST_RFLAGS, RFLAGS_FIXED | RFLAGS_IF), c.exit(R.INTERRUPT_WINDOW)))).toBe(ACT.RESUME);
    expect(w.field(d0, F.GUEST_RIP)).toBe(rip);
    expect(w.e.testDomainExitCount(d0, R.INTERRUPT_WINDOW)).toBe(1n);
    w.enter(d0, cpuidExit());
    expect(injectedVectors(w).slice(before)).toEqual([(VALID | EV) >>> 0]);
    expect(w.window(d0)).toBe(false);
    expect(w.pending(d0)).toBe(false);
    expect(w.vmx.badInjections).toBe(0);
  });

  it("blocking by STI or MOV SS defers it like IF = 0; the next completed instruction ends the blocking", () => {
    for (const blocking of [STI, MOV_SS]) {
      const { w, d0 } = withEvents();
      w.enter(d0, cpuidExit(RFLAGS_FIXED | RFLAGS_IF));
      const before = w.vmx.injected.length;
      w.e.testEventRaise(d0, EVENT_SERIAL, false);
      // An exit that resumes at the same instruction keeps the blocking.
      w.setField(d0, F.GUEST_INTERRUPTIBILITY_INFO, blocking);
      expect(w.enter(d0, (c) => c.exit(R.EXCEPTION_OR_NMI, { intrInfo: VALID | NMI | 2 }))).toBe(ACT.RESUME);
      w.setField(d0, F.GUEST_INTERRUPTIBILITY_INFO, blocking);
      expect(w.enter(d0, cpuidExit(undefined, blocking))).toBe(ACT.NEXT);
      expect(w.vmx.injected.length, `blocking ${blocking}`).toBe(before);
      expect(w.window(d0)).toBe(true);
      // CPUID completed: blocking over, the event goes in.
      expect(Number(w.field(d0, F.GUEST_INTERRUPTIBILITY_INFO)) & (STI | MOV_SS)).toBe(0);
      w.enter(d0, cpuidExit());
      expect(injectedVectors(w).slice(before)).toEqual([(VALID | EV) >>> 0]);
      expect(w.vmx.badInjections).toBe(0);
    }
  });

  it("an event whose delivery an exit interrupted is re-injected first; the event vector follows at the window", () => {
    const { w, d0 } = withEvents();
    w.e.testIrqBind(4, d0, EVENT_SERIAL);
    w.enter(d0, cpuidExit(RFLAGS_FIXED | RFLAGS_IF));
    const before = w.vmx.injected.length;
    // COM1's interrupt arrives while the guest's #PF is being delivered
    // (IDT-vectoring information): the #PF goes first.
    const pf = (VALID | HARD_EXCEPTION | DELIVER_CODE | 14) >>> 0;
    const irq = (VALID | (HV_VECTOR_IRQ_BASE + 4)) >>> 0;
    expect(w.enter(d0, (c) => c.exit(R.EXTERNAL_INTERRUPT, { intrInfo: irq, idtVectoring: pf, idtError: 2 }))).toBe(ACT.RESUME);
    expect(w.m.str("testDomainStopReason", d0)).toBe("");
    expect(w.pending(d0)).toBe(true);
    expect(w.enter(d0, (c) => c.exit(R.INTERRUPT_WINDOW))).toBe(ACT.RESUME);
    expect(w.window(d0)).toBe(true);
    expect(injectedVectors(w).slice(before)).toEqual([pf]);
    expect(w.vmx.injected[before].errorCode).toBe(2);
    w.enter(d0, cpuidExit());
    expect(injectedVectors(w).slice(before)).toEqual([pf, (VALID | EV) >>> 0]);
    expect(w.window(d0)).toBe(false);
    expect(w.vmx.badInjections).toBe(0);
  });

  it("a domain without events set up never gets a vector", () => {
    const { w, dom } = pair();
    w.e.testEventRaise(dom, EVENT_SERIAL, false);
    expect(w.pending(dom)).toBe(false);
    const before = w.vmx.injected.length;
    w.enter(dom, cpuidExit(RFLAGS_FIXED | RFLAGS_IF));
    w.enter(dom, cpuidExit());
    expect(w.vmx.injected.length).toBe(before);
  });
});

describe("events: HLT", () => {
  it("HLT with IF = 1 blocks; an event wakes the vCPU and its vector is injected after the HLT", () => {
    const { w, d0 } = withEvents();
    const rip = w.field(d0, F.GUEST_RIP);
    // sti; hlt: the HLT exits inside STI's shadow.
    expect(w.enter(d0, hltExit(RFLAGS_FIXED | RFLAGS_IF, STI))).toBe(ACT.BLOCK);
    expect(w.field(d0, F.GUEST_RIP)).toBe(rip + 1n);
    w.e.testVcpuBlock(d0);
    expect(w.halted(d0)).toBe(true);
    const before = w.vmx.injected.length;
    w.e.testEventRaise(d0, EVENT_SERIAL, true);
    expect(w.halted(d0)).toBe(false);
    expect(w.pending(d0)).toBe(true);
    w.enter(d0, cpuidExit());
    expect(injectedVectors(w).slice(before)).toEqual([(VALID | EV) >>> 0]);
    expect(w.vmx.injected[before].rip).toBe(rip + 1n);
    // The injection of an interrupt-driven event is timed.
    expect(w.e.testDomainIrqEvents(d0)).toBe(1n);
    expect(w.vmx.badInjections).toBe(0);
  });

  it("cli; hlt stays blocked: an event sets its bit but does not wake the vCPU", () => {
    const { w, d0 } = withEvents();
    expect(w.enter(d0, hltExit(RFLAGS_FIXED))).toBe(ACT.BLOCK);
    w.e.testVcpuBlock(d0);
    w.e.testEventRaise(d0, EVENT_SERIAL, true);
    expect(w.halted(d0)).toBe(true);
    expect(w.u64(d0, PAGE)).toBe(1n);
  });

  it("HLT with an event already pending: IF = 1 completes it at once and injects; IF = 0 blocks", () => {
    const { w, d0 } = withEvents();
    w.enter(d0, cpuidExit(RFLAGS_FIXED));
    w.e.testEventRaise(d0, EVENT_SERIAL, false);
    const rip = w.field(d0, F.GUEST_RIP);
    const before = w.vmx.injected.length;
    expect(w.enter(d0, hltExit(RFLAGS_FIXED | RFLAGS_IF, STI))).toBe(ACT.NEXT);
    expect(w.field(d0, F.GUEST_RIP)).toBe(rip + 1n);
    w.enter(d0, cpuidExit());
    expect(injectedVectors(w).slice(before)).toEqual([(VALID | EV) >>> 0]);
    // Pending again, but the guest halts with interrupts off.
    w.e.testEventRaise(d0, EVENT_LOG, false);
    expect(w.enter(d0, hltExit(RFLAGS_FIXED))).toBe(ACT.BLOCK);
    expect(w.vmx.badInjections).toBe(0);
  });
});

describe("events: physical interrupts", () => {
  it("an I/O APIC vector goes to its owner as an event; an unowned one is reported once; the spurious one only counted", () => {
    const { w, d0 } = withEvents();
    w.e.testIrqBind(4, d0, EVENT_SERIAL);
    w.e.irqDispatch(HV_VECTOR_IRQ_BASE + 4);
    expect(w.e.irqCount(HV_VECTOR_IRQ_BASE + 4)).toBe(1n);
    expect(w.takeBits(d0)).toBe(1n);
    expect(w.pending(d0)).toBe(true);
    // No owner: counted, reported once, no event.
    w.m.takeSerial();
    w.e.irqDispatch(HV_VECTOR_IRQ_BASE + 5);
    w.e.irqDispatch(HV_VECTOR_IRQ_BASE + 5);
    w.e.irqDispatch(0x99);
    expect(w.e.irqCount(HV_VECTOR_IRQ_BASE + 5)).toBe(2n);
    const said = w.m.takeSerial();
    expect(said.split("hv: interrupt on vector 0x35 that nothing owns; counted and ignored").length).toBe(2);
    expect(said).toContain("hv: interrupt on vector 0x99 that nothing owns");
    w.e.irqDispatch(HV_VECTOR_SPURIOUS);
    w.e.irqDispatch(0xf0);                            // the LAPIC timer: it only ends an idle wait
    expect(w.e.irqCount(HV_VECTOR_SPURIOUS)).toBe(1n);
    expect(w.m.takeSerial()).toBe("");
    expect(w.u64(d0, PAGE)).toBe(0n);
  });

  it("an external-interrupt exit of another domain wakes the halted owner, acknowledged on exit or not", () => {
    const { w, d0, dom } = withEvents();
    w.e.testIrqBind(4, d0, EVENT_SERIAL);
    for (const acked of [true, false]) {
      w.enter(d0, hltExit(RFLAGS_FIXED | RFLAGS_IF));
      w.e.testVcpuBlock(d0);
      const windows = w.m.irqWindows;
      if (!acked) w.m.lapicPending.add(HV_VECTOR_IRQ_BASE + 4);
      const intrInfo = acked ? (VALID | (HV_VECTOR_IRQ_BASE + 4)) >>> 0 : 0;
      expect(w.enter(dom, (c) => c.exit(R.EXTERNAL_INTERRUPT, { intrInfo }))).toBe(ACT.RESUME);
      expect(w.m.irqWindows - windows, `acked ${acked}`).toBe(acked ? 0 : 1);
      expect(w.halted(d0)).toBe(false);
      expect(w.takeBits(d0)).toBe(1n);
      const before = w.vmx.injected.length;
      w.enter(d0, cpuidExit());
      expect(injectedVectors(w).slice(before)).toEqual([(VALID | EV) >>> 0]);
    }
    expect(w.e.testDomainIrqEvents(d0)).toBe(2n);
    expect(w.e.irqCount(HV_VECTOR_IRQ_BASE + 4)).toBe(2n);
  });

  it("EVENT_CONSOLE goes to control domains with events when another domain's console ring gets bytes, once until its console is read", () => {
    const { w, d0, dom } = withEvents();
    w.write(dom, BUF, Buffer.from("hi\n"));
    expect(w.hc(dom, HC.CONSOLE_WRITE, [BUF, 3])).toBe(3n);
    expect(w.takeBits(d0)).toBe(1n << BigInt(EVENT_CONSOLE));
    // Through its emulated UART (out 0x3f8, al): no news until d0 has read
    // what there is, then news again.
    const outb = () => w.enter(dom, (c) => (c.setReg(REG.RAX, 0x41), c.exit(R.IO, { qualification: 0x3f8 << 16, length: 1 })));
    outb();
    expect(w.hc(dom, HC.CONSOLE_WRITE, [BUF, 3])).toBe(3n);
    expect(w.takeBits(d0)).toBe(0n);
    expect(w.hc(d0, HC.CONSOLE_READ, [dom, 0, BUF, 16])).toBe(7n);
    outb();
    expect(w.takeBits(d0)).toBe(1n << BigInt(EVENT_CONSOLE));
    // Its own console, or an empty write: nothing.
    w.write(d0, BUF, Buffer.from("me\n"));
    expect(w.hc(d0, HC.CONSOLE_WRITE, [BUF, 3])).toBe(3n);
    expect(w.hc(dom, HC.CONSOLE_WRITE, [BUF, 0])).toBe(0n);
    expect(w.u64(d0, PAGE)).toBe(0n);
  });
});

describe("HC_EVENT_SETUP", () => {
  it("checks flags, vector and page; an error changes nothing", () => {
    const { w, d0 } = pair();
    const cases: Array<[Array<bigint | number>, bigint]> = [
      [[PAGE, EV, 2], EINVAL], [[PAGE, EV, 1n << 32n], EINVAL], [[PAGE + 8, EV, 2], EINVAL],  // flags first
      [[PAGE, 31, 0], EINVAL], [[PAGE, 0, 0], EINVAL], [[PAGE, 256, 0], EINVAL], [[PAGE, (1n << 32n) | 0x40n, 0], EINVAL],
      [[PAGE + 8, EV, 0], EFAULT], [[PAGE + 0x800, EV, 0], EFAULT],                          // not 4 KiB aligned
      [[MEM, EV, 0], EFAULT], [[MEM + 0x1000, EV, 0], EFAULT], [[1n << 32n, EV, 0], EFAULT],   // outside its memory
      [[U64 & ~0xfffn, EV, 0], EFAULT], [[(1n << 63n), EV, 0], EFAULT],
    ];
    for (const [args, errno] of cases) expect(w.hc(d0, HC.EVENT_SETUP, args), `setup ${args}`).toBe(errno);
    w.e.testEventRaise(d0, EVENT_SERIAL, false);
    expect(w.pending(d0)).toBe(false);
    // The bounds themselves are accepted; the last call wins.
    expect(w.hc(d0, HC.EVENT_SETUP, [MEM - 0x1000, 255, 0])).toBe(0n);
    expect(w.hc(d0, HC.EVENT_SETUP, [0, 32, 0])).toBe(0n);
    expect(w.hc(d0, HC.EVENT_SETUP, [PAGE, EV, 0])).toBe(0n);
    w.e.testEventRaise(d0, EVENT_LOG, false);
    expect(w.u64(d0, PAGE)).toBe(2n);
    expect(w.u64(d0, 0)).toBe(0n);
  });

  it("the console flag is Domain 0's alone: -EPERM for a DomU and for another control domain; events without it are anyone's", () => {
    const { w, d0, dom } = pair();
    expect(w.e.testDomain0()).toBe(d0);
    const ctl2 = w.create("ctl2", "control=1");
    expect(w.e.testDomain0()).toBe(d0);
    expect(w.hc(dom, HC.EVENT_SETUP, [PAGE, EV, EVSETUP_FLAG_CONSOLE])).toBe(EPERM);
    expect(w.hc(ctl2, HC.EVENT_SETUP, [PAGE, EV, EVSETUP_FLAG_CONSOLE])).toBe(EPERM);
    expect(w.e.testConsoleHolder()).toBe(0);
    for (const id of [dom, ctl2]) {
      w.e.testEventRaise(id, EVENT_SERIAL, false);
      expect(w.pending(id)).toBe(false);
    }
    // The same checks as Domain 0's, then the page and vector.
    expect(w.hc(dom, HC.EVENT_SETUP, [PAGE + 1, 0, 7])).toBe(EINVAL);
    expect(w.hc(dom, HC.EVENT_SETUP, [MEM, EV, 0])).toBe(EFAULT);
    for (const id of [dom, ctl2]) expect(w.hc(id, HC.EVENT_SETUP, [PAGE, EV, 0])).toBe(0n);
    expect(w.e.testConsoleHolder()).toBe(0);
  });

  it("-EBUSY while another live domain holds the console; free again once it stopped", () => {
    const { w, d0 } = pair();
    const other = w.create("other", "control=1");
    w.e.testConsoleForce(other);
    expect(w.hc(d0, HC.EVENT_SETUP, [PAGE, EV, EVSETUP_FLAG_CONSOLE])).toBe(EBUSY);
    w.e.testEventRaise(d0, EVENT_SERIAL, false);
    expect(w.pending(d0)).toBe(false);
    w.e.testDomainStop(other, w.m.newString("done"));
    expect(w.hc(d0, HC.EVENT_SETUP, [PAGE, EV, EVSETUP_FLAG_CONSOLE])).toBeGreaterThan(0n);
    expect(w.e.testConsoleHolder()).toBe(d0);
  });
});

describe("the serial console", () => {
  it("taken by Domain 0: the log stops reaching COM1, each new line is an EVENT_LOG; a panic still reaches COM1", () => {
    const { w, d0 } = pair();
    w.m.takeSerial();
    const pos = w.hc(d0, HC.EVENT_SETUP, [PAGE, EV, EVSETUP_FLAG_CONSOLE]);
    expect(pos).toBe(BigInt(w.e.logHead()));
    expect(w.e.testConsoleHolder()).toBe(d0);
    expect(w.e.logOnSerial()).toBe(0);
    const said = w.m.takeSerial();
    expect(said).toContain(`hv: domain ${d0} (d0) takes the serial console; the hypervisor log goes on in its dmesg\r\n`);
    // The simulated machine has no I/O APIC: the take says so.
    expect(said).toContain("hv: COM1's IRQ 4 has no I/O APIC input with a host vector: no EVENT_SERIAL");
    // Taking it again is allowed and quiet.
    expect(w.hc(d0, HC.EVENT_SETUP, [PAGE, EV, EVSETUP_FLAG_CONSOLE])).toBe(pos);
    w.e.testLog(w.m.newString("hv: a line for dmesg"));
    expect(w.m.takeSerial()).toBe("");
    expect(w.e.logHead()).toBeGreaterThan(pos);
    // The next entry of any vCPU passes it on.
    w.enter(d0, cpuidExit(RFLAGS_FIXED | RFLAGS_IF));
    expect(w.takeBits(d0)).toBe(1n << BigInt(EVENT_LOG));
    w.enter(d0, cpuidExit());
    expect(w.u64(d0, PAGE)).toBe(0n);      // no new line, no new event
    expect(() => w.e.testPanic(w.m.newString("on purpose"))).toThrow(Halted);
    expect(w.m.takeSerial()).toContain("hv: PANIC: on purpose");
  });

  it("when the holder stops, the hypervisor takes COM1 back and says so before the stop line", () => {
    const { w, d0 } = pair();
    w.hc(d0, HC.EVENT_SETUP, [PAGE, EV, EVSETUP_FLAG_CONSOLE]);
    w.m.takeSerial();
    const from = w.m.portWrites.length;
    w.e.testDomainStop(d0, w.m.newString("crashed"));
    expect(w.e.testConsoleHolder()).toBe(0);
    expect(w.e.logOnSerial()).toBe(1);
    const said = w.m.takeSerial().replace(/\r/g, "");
    const back = said.indexOf(`hv: serial console back from domain ${d0} (d0): crashed; 0 interrupts delivered\n`);
    expect(back).toBeGreaterThanOrEqual(0);
    expect(said.indexOf(`hv: domain ${d0} (d0) stopped: crashed`)).toBeGreaterThan(back);
    // The UART is the hypervisor's again: 115200 8N1, no interrupts.
    const writes = w.m.portWrites.slice(from).map(([p, v]) => [p, v]);
    expect(writes).toContainEqual([0x3f9, 0]);
    expect(writes).toContainEqual([0x3fb, 3]);
  });
});

describe("Domain 0's devices", () => {
  it("its own I/O bitmap passes COM1 and PCI configuration through; others keep the shared one and the emulated UART", () => {
    const { w, d0, dom } = pair();
    const bitmap = w.e.testDomainIoBitmapA(d0);
    expect(bitmap).not.toBe(0n);
    expect(w.field(d0, F.IO_BITMAP_A)).toBe(bitmap);
    expect(w.e.testDomainIoBitmapA(dom)).toBe(0n);
    expect(w.field(dom, F.IO_BITMAP_A)).not.toBe(bitmap);
    const exits = (port: number) => (w.m.bytes[Number(bitmap) + (port >> 3)] >> (port & 7)) & 1;
    for (let p = 0x3f8; p <= 0x3ff; p++) expect(exits(p), `port ${p.toString(16)}`).toBe(0);
    for (let p = 0xcf8; p <= 0xcff; p++) expect(exits(p), `port ${p.toString(16)}`).toBe(0);
    for (const p of [0x3f7, 0x400, 0xcf7, 0xd00, 0xf4, 0x2f8, 0x80]) expect(exits(p), `port ${p.toString(16)}`).toBe(1);
    const shared = Number(w.field(dom, F.IO_BITMAP_A));
    expect(w.m.bytes.subarray(shared, shared + 4096).every((b) => b === 0xff)).toBe(true);
    // Its bitmap frame goes back when it stops: one frame more than a DomU's.
    let free = w.e.framesFree();
    w.e.testDomainStop(dom, w.m.newString("done"));
    const domu = w.e.framesFree() - free;
    free = w.e.framesFree();
    w.e.testDomainStop(d0, w.m.newString("done"));
    expect(w.e.framesFree() - free).toBe(domu + 1n);
    expect(w.e.testDomainIoBitmapA(d0)).toBe(0n);
  });

  it("dom0_mem= overrides Domain 0's mem=; a bad value is reported and ignored", () => {
    const w = world(0xa00000n, 0x460000n);
    for (const [opt, err] of [["3G", "too large (maximum 2G)"], ["512K", "too small (minimum 1M)"], ["0x100800", "not a multiple of 4K"],
      ["lots", "bad size (use e.g. 16M)"], ["", "bad size (use e.g. 16M)"]]) {
      w.m.takeSerial();
      expect(w.e.testDom0MemOption(w.m.newString(`/boot/hv.elf dom0_mem=${opt}`))).toBe(0n);
      expect(w.m.takeSerial()).toContain(`hv: dom0_mem=${opt}: ${err}; Domain 0 gets the mem= of its module`);
    }
    expect(w.e.testDom0MemOption(w.m.newString("/boot/hv.elf"))).toBe(0n);
    expect(w.e.testDom0MemOption(w.m.newString("/boot/hv.elf dom0_mem=2M"))).toBe(0x200000n);
    const plain = w.create("plain", "");
    const d0 = w.create("d0", "control=1");
    const ctl2 = w.create("ctl2", "control=1");
    const kib = (id: number) => {
      w.hc(d0, HC.DOMAIN_INFO, [id, BUF]);
      return new DataView(w.read(d0, BUF, 16).buffer).getBigUint64(8, true);
    };
    expect([kib(plain), kib(d0), kib(ctl2)]).toEqual([1152n, 2048n, 1152n]);
    // A module without mem= is fine for Domain 0 when dom0_mem= is given.
    expect(w.e.domainConfigParseMem(w.m.newString("domain name=x control=1"), w.m.newString("x"), 0x200000n)).toBe(0);
    expect(w.e.domainConfigParseMem(w.m.newString("domain name=x control=1"), w.m.newString("x"), 0n)).toBe(-1);
    expect(w.m.str("domainConfigJson")).toContain("missing mem=");
  });
});

describe("HC_CONSOLE_INPUT", () => {
  function rx(w: World, id: number, port: number): number {
    w.enter(id, (c) => c.exit(R.IO, { qualification: (port << 16) | 8, length: 1 }));
    return Number(w.vmx.reg(w.e.testVcpuRegs(id), REG.RAX) & 0xffn);
  }
  const LSR = 0x3fd, DR = 1, OE = 2;

  it("queues bytes into the target's emulated UART, as many as its input ring holds; nothing dropped", () => {
    const { w, d0, dom } = pair();
    w.write(d0, BUF, Buffer.from("ab"));
    expect(w.hc(d0, HC.CONSOLE_INPUT, [dom, BUF, 2])).toBe(2n);
    expect(rx(w, dom, LSR) & DR).toBe(DR);
    expect(String.fromCharCode(rx(w, dom, 0x3f8), rx(w, dom, 0x3f8))).toBe("ab");
    expect(rx(w, dom, LSR) & DR).toBe(0);
    // 300 bytes: the 256-byte input ring takes 256, then only the room left.
    w.write(d0, BUF, new Uint8Array(300).map((_, i) => 0x20 + (i % 90)));
    expect(w.hc(d0, HC.CONSOLE_INPUT, [dom, BUF, 300])).toBe(256n);
    expect(w.hc(d0, HC.CONSOLE_INPUT, [dom, BUF + 256, 44])).toBe(1n);
    expect(w.hc(d0, HC.CONSOLE_INPUT, [dom, BUF, 0])).toBe(0n);
    expect(rx(w, dom, LSR) & OE).toBe(0);
    for (let i = 0; i < 256; i++) expect(rx(w, dom, 0x3f8), `byte ${i}`).toBe(0x20 + (i % 90));
    expect(rx(w, dom, 0x3f8)).toBe(0x20 + (256 % 90));
    expect(rx(w, dom, LSR) & DR).toBe(0);
  });

  it("-EINVAL (too long, Domain 0 itself), -ESRCH (no such live domain), -EFAULT; nothing queued", () => {
    const { w, d0, dom } = pair();
    const gone = w.create("gone");
    w.e.testDomainStop(gone, w.m.newString("done"));
    const cases: Array<[Array<bigint | number>, bigint]> = [
      [[dom, BUF, 4097], EINVAL], [[dom, BUF, U64], EINVAL], [[999, BUF, 1], ESRCH], [[gone, BUF, 1], ESRCH],
      [[(1n << 32n) | BigInt(dom), BUF, 1], ESRCH], [[0, BUF, 1], ESRCH], [[d0, BUF, 1], EINVAL],
      [[dom, MEM - 1, 2], EFAULT], [[dom, U64, 1], EFAULT], [[999, MEM, 4097], EINVAL],
    ];
    for (const [args, errno] of cases) expect(w.hc(d0, HC.CONSOLE_INPUT, args), `input ${args}`).toBe(errno);
    expect(rx(w, dom, LSR) & DR).toBe(0);
    expect(w.hc(dom, HC.CONSOLE_INPUT, [dom, BUF, 1])).toBe(EPERM);
    expect(rx(w, dom, LSR) & DR).toBe(0);
  });
});

describe("host calls", () => {
  it("HC_HOST_INFO: memory in KiB, CPUs, uptime, live domains", () => {
    const { w, d0, dom } = pair();
    expect(w.hc(d0, HC.HOST_INFO, [BUF])).toBe(0n);
    const b = new DataView(w.read(d0, BUF, 48).buffer);
    expect(b.getBigUint64(0, true)).toBe(w.e.framesTotal() * 4n);
    expect(b.getBigUint64(8, true)).toBe(w.e.framesFree() * 4n);
    expect([b.getUint32(16, true), b.getUint32(20, true)]).toEqual([1, 1]);
    expect(b.getBigUint64(24, true)).toBeGreaterThan(0n);
    expect(b.getUint32(32, true)).toBe(2);   // d0 and dom; warmup stopped
    // The TSC's rate (the simulated machine's is its fallback) and the wall clock.
    const wide = new DataView(w.read(d0, BUF, HOSTINFO_SIZE).buffer);
    expect(wide.getBigUint64(80, true)).toBeGreaterThan(0n);
    expect(wide.getBigInt64(72, true)).toBeGreaterThanOrEqual(0n);
    w.e.testDomainStop(dom, w.m.newString("done"));
    w.hc(d0, HC.HOST_INFO, [BUF]);
    expect(new DataView(w.read(d0, BUF, 40).buffer).getUint32(32, true)).toBe(1);
    for (const bad of [MEM - HOSTINFO_SIZE + 1, U64, 1n << 32n]) expect(w.hc(d0, HC.HOST_INFO, [bad])).toBe(EFAULT);
    expect(w.hc(d0, HC.HOST_INFO, [MEM - HOSTINFO_SIZE])).toBe(0n);
  });

  it("HC_CPU_INFO: the boot CPU's record; -EINVAL past the last CPU, -EFAULT", () => {
    const { w, d0 } = pair();
    w.write(d0, BUF, new Uint8Array(64).fill(0xee));
    expect(w.hc(d0, HC.CPU_INFO, [0, BUF])).toBe(0n);
    const b = new DataView(w.read(d0, BUF, 40).buffer);
    expect(b.getUint32(4, true)).toBe(CPUFLAG_ONLINE | CPUFLAG_BSP);
    expect(b.getBigUint64(8, true)).toBe(0n);      // busy/idle: the run loop charges them (not driven here)
    expect(b.getBigUint64(16, true)).toBe(0n);
    expect(b.getUint32(24, true)).toBe(2);          // d0 and dom queued
    expect(b.getUint32(28, true)).toBe(0);
    expect(new Uint8Array(b.buffer).subarray(CPUINFO_SIZE).every((x) => x === 0xee)).toBe(true);
    w.write(d0, BUF, new Uint8Array(64).fill(0xee));
    for (const cpu of [1n, 64n, 1n << 32n, U64]) expect(w.hc(d0, HC.CPU_INFO, [cpu, BUF]), `cpu ${cpu}`).toBe(EINVAL);
    expect(w.hc(d0, HC.CPU_INFO, [0, MEM - 8])).toBe(EFAULT);
    expect(w.read(d0, BUF, 64).every((x) => x === 0xee)).toBe(true);
  });

  it("HC_HOST_POWER: an unknown operation is -EINVAL and nothing happens; a DomU gets -EPERM", () => {
    const { w, d0, dom } = pair();
    for (const op of [2n, 0x100000000n, U64]) expect(w.hc(d0, HC.HOST_POWER, [op]), `op ${op}`).toBe(EINVAL);
    expect(w.hc(dom, HC.HOST_POWER, [HOST_POWER_OFF])).toBe(EPERM);
    expect(w.hc(dom, HC.HOST_POWER, [HOST_REBOOT])).toBe(EPERM);
    expect(w.m.portWrites.filter(([p]) => p === 0x8900 || p === 0xcf9 || p === 0x64 || p === 0xf4)).toEqual([]);
  });

  it("HOST_POWER_OFF powers off; HOST_REBOOT leaves VMX, then 0xCF9, the keyboard controller, a triple fault", () => {
    for (const op of [HOST_POWER_OFF, HOST_REBOOT]) {
      const { w, d0 } = pair();
      w.hc(d0, HC.EVENT_SETUP, [PAGE, EV, EVSETUP_FLAG_CONSOLE]);
      w.m.takeSerial();
      w.vmx.guest = (c) => {
        c.setReg(REG.RAX, HC.HOST_POWER);
        c.setReg(REG.RDI, op);
        return c.exit(R.VMCALL, { length: 3 });
      };
      expect(() => w.e.testEnterOnce(d0, 0x1000)).toThrow(op === HOST_REBOOT ? /triple fault/ : /halted/);
      const said = w.m.takeSerial();
      // The console came back first, so the last words reach COM1.
      expect(said).toContain(`hv: serial console back from domain ${d0} (d0): ${op === HOST_REBOOT ? "reboot" : "power off"}`);
      const writes = w.m.portWrites.filter(([p]) => p === 0x8900 || p === 0xcf9 || p === 0x64).map(([p, v]) => [p, v]);
      expect(said).toContain(`hv: domain ${d0} (d0) asks for ${op === HOST_REBOOT ? "a reboot" : "power off"}`);
      if (op === HOST_POWER_OFF) {
        expect(said).toContain("hv: powering off");
        expect(String.fromCharCode(...writes.map(([, v]) => v))).toBe("Shutdown");
      } else {
        expect(said).toContain("hv: rebooting");
        expect(writes).toEqual([[0xcf9, 2], [0xcf9, 6], [0x64, 0xfe]]);
        expect(w.vmx.vmxonRegion).toBeNull();
      }
    }
  });
});

describe("HC_TIMER_SET", () => {
  // The nearest deadline CPU 0 serves (U64: none).
  const next = (w: World): bigint => BigInt.asUintN(64, w.e.testTimerNext(0));
  // A DomU with events on PAGE, running on CPU 0 (a vCPU waiting on a run
  // queue has its timers fired when it is picked: none is served for it).
  function sleeper() {
    const p = pair();
    const { w, dom } = p;
    expect(w.hc(dom, HC.EVENT_SETUP, [PAGE, EV, 0])).toBe(0n);
    expect(w.e.testVcpuRun(dom)).toBeTruthy();
    return p;
  }
  const halt = (w: World, id: number) => {
    expect(w.enter(id, hltExit(RFLAGS_FIXED | RFLAGS_IF, STI))).toBe(ACT.BLOCK);
    w.e.testVcpuBlock(id);
    expect(w.halted(id)).toBe(true);
  };

  it("-EINVAL before HC_EVENT_SETUP, for a DomU and for Domain 0 alike; no right needed after it", () => {
    const { w, d0, dom } = pair();
    for (const id of [d0, dom]) expect(w.hc(id, HC.TIMER_SET, [w.e.testGuestTsc(id) + 1000000n])).toBe(EINVAL);
    expect(next(w)).toBe(U64);
    expect(w.hc(dom, HC.EVENT_SETUP, [PAGE, EV, 0])).toBe(0n);
    expect(w.hc(dom, HC.TIMER_SET, [w.e.testGuestTsc(dom) + 1000000n])).toBe(0n);
    expect(next(w)).toBe(U64);                 // queued: served once it runs
    expect(w.e.testVcpuRun(dom)).toBeTruthy();
    expect(next(w)).not.toBe(U64);
  });

  it("an event page at guest-physical 0 is a page like any other: a timer is set and its event lands there", () => {
    const { w, dom } = pair();
    expect(w.hc(dom, HC.EVENT_SETUP, [0, EV, 0])).toBe(0n);
    expect(w.hc(dom, HC.TIMER_SET, [1])).toBe(0n);     // already due: raised at once
    expect(w.u64(dom, 0)).toBe(1n << BigInt(EVENT_TIMER));
    expect(w.pending(dom)).toBe(true);
  });

  it("a halted vCPU sleeps until its deadline; then EVENT_TIMER wakes it and its vector is injected", () => {
    const { w, dom } = sleeper();
    const deadline = w.e.testGuestTsc(dom) + 500000n;
    expect(w.hc(dom, HC.TIMER_SET, [deadline])).toBe(0n);
    // Held in host TSC: the guest's deadline less the domain's TSC offset.
    const host = w.e.testVcpuTimer(dom, 0);
    expect(deadline - host).toBe(w.e.testGuestTsc(dom) - w.m.tsc);
    expect(next(w)).toBe(host);
    halt(w, dom);
    w.e.testTimersFire();
    expect(w.halted(dom)).toBe(true);
    expect(w.u64(dom, PAGE)).toBe(0n);
    w.m.tsc = host - 2000n;            // rdtsc adds 1000: one tick short
    w.e.testTimersFire();
    expect(w.halted(dom)).toBe(true);
    w.e.testTimersFire();              // at the deadline
    expect(w.halted(dom)).toBe(false);
    expect(w.pending(dom)).toBe(true);
    expect(w.u64(dom, PAGE)).toBe(1n << BigInt(EVENT_TIMER));
    expect(w.e.testVcpuTimer(dom, 0)).toBe(0n);
    expect(next(w)).toBe(U64);
    const before = w.vmx.injected.length;
    w.enter(dom, cpuidExit());
    expect(injectedVectors(w).slice(before)).toEqual([(VALID | EV) >>> 0]);
    // One-shot: nothing more.
    w.m.tsc += 10000000n;
    w.e.testTimersFire();
    expect(w.pending(dom)).toBe(false);
    // Not a physical interrupt: the interrupt latency figures stay clean.
    expect(w.e.testDomainIrqEvents(dom)).toBe(0n);
    expect(w.vmx.badInjections).toBe(0);
  });

  it("setting again replaces the deadline, 0 cancels it, and a deadline already passed fires at once", () => {
    const { w, dom } = sleeper();
    const g = w.e.testGuestTsc(dom);
    expect(w.hc(dom, HC.TIMER_SET, [g + 1000000n])).toBe(0n);
    const first = w.e.testVcpuTimer(dom, 0);
    expect(w.hc(dom, HC.TIMER_SET, [g + 3000000n])).toBe(0n);
    expect(w.e.testVcpuTimer(dom, 0)).toBe(first + 2000000n);
    expect(next(w)).toBe(first + 2000000n);
    expect(w.hc(dom, HC.TIMER_SET, [0])).toBe(0n);
    expect(w.e.testVcpuTimer(dom, 0)).toBe(0n);
    expect(next(w)).toBe(U64);
    w.m.tsc += 5000000n;
    w.e.testTimersFire();
    expect(w.pending(dom)).toBe(false);
    expect(w.u64(dom, PAGE)).toBe(0n);
    // Passed (by a little, or by 2^63 - 1 ticks): pending before the call returns.
    expect(w.hc(dom, HC.TIMER_SET, [w.e.testGuestTsc(dom) - 1n])).toBe(0n);
    expect(w.pending(dom)).toBe(true);
    expect(w.takeBits(dom)).toBe(1n << BigInt(EVENT_TIMER));
    w.enter(dom, cpuidExit());
    expect(w.hc(dom, HC.TIMER_SET, [1])).toBe(0n);
    expect(w.takeBits(dom)).toBe(1n << BigInt(EVENT_TIMER));
    expect(next(w)).toBe(U64);
    // Far in the future: armed, not fired.
    expect(w.hc(dom, HC.TIMER_SET, [1n << 62n])).toBe(0n);
    w.e.testTimersFire();
    expect(w.u64(dom, PAGE)).toBe(0n);
    expect(next(w)).not.toBe(U64);
  });

  it("a 32-bit caller gives the deadline's low half in EDI and its high half in ESI", () => {
    const { w, dom } = sleeper();
    const deadline = w.e.testGuestTsc(dom) + (5n << 32n) + 7n;
    expect(w.hc(dom, HC.TIMER_SET, [deadline & 0xffffffffn, deadline >> 32n], false)).toBe(0n);
    const host = w.e.testVcpuTimer(dom, 0);
    expect(w.hc(dom, HC.TIMER_SET, [deadline], true)).toBe(0n);
    expect(w.e.testVcpuTimer(dom, 0)).toBe(host);
  });

  it("cli; hlt with a timer set stays halted when it fires, as on hardware; the bit is still set", () => {
    const { w, dom } = sleeper();
    expect(w.hc(dom, HC.TIMER_SET, [w.e.testGuestTsc(dom) + 100000n])).toBe(0n);
    expect(w.enter(dom, hltExit(RFLAGS_FIXED))).toBe(ACT.BLOCK);
    w.e.testVcpuBlock(dom);
    w.m.tsc += 200000n;
    w.e.testTimersFire();
    expect(w.halted(dom)).toBe(true);
    expect(w.u64(dom, PAGE)).toBe(1n << BigInt(EVENT_TIMER));
  });

  it("each vCPU's timer lands in its own pending word; the domain's events stay in vCPU 0's", () => {
    const { w } = pair();
    const two = w.create("two", "vcpus=2");
    expect(w.hc(two, HC.EVENT_SETUP, [PAGE, EV, 0])).toBe(0n);
    expect(w.e.testTimerSet(two, 1, w.e.testGuestTsc(two) + 100000n)).toBe(0n);
    w.e.testEventRaise(two, EVENT_LOG, false);
    w.m.tsc += 200000n;
    w.e.testTimersFire();
    expect(w.u64(two, PAGE)).toBe(1n << BigInt(EVENT_LOG));
    expect(w.u64(two, PAGE + 8)).toBe(1n << BigInt(EVENT_TIMER));
    expect(w.e.testVcpuPendingOf(two, 1)).toBe(1);
  });

  it("a vCPU's write of IA32_TSC moves its own TSC and its deadline with it; its sibling's stay", () => {
    const { w } = pair();
    const two = w.create("two", "vcpus=2");
    expect(w.hc(two, HC.EVENT_SETUP, [PAGE, EV, 0])).toBe(0n);
    const offset = (v: number) => w.vmx.vmcss.get(w.e.testVcpuVmcsOf(two, v))!.fields.get(F.TSC_OFFSET)!;
    const before0 = offset(0), before1 = offset(1);
    expect(before1).toBe(before0);
    expect(w.hc(two, HC.TIMER_SET, [w.e.testGuestTsc(two) + 1000000n])).toBe(0n);
    const deadline = w.e.testVcpuTimer(two, 0);
    // WRMSR IA32_TSC (0x10) = its TSC now + 2^40: the TSC jumps ahead.
    const jump = 1n << 40n;
    const value = w.e.testGuestTsc(two) + jump;
    expect(w.enter(two, (c) => {
      c.setReg(REG.RCX, 0x10);
      c.setReg(REG.RAX, value & 0xffffffffn);
      c.setReg(REG.RDX, value >> 32n);
      return c.exit(R.WRMSR, { length: 2 });
    })).toBe(ACT.NEXT);
    const moved = BigInt.asUintN(64, offset(0) - before0);
    expect(moved > jump - 10000n && moved <= jump).toBe(true);
    expect(offset(1)).toBe(before1);
    // The deadline is the same value of vCPU 0's TSC: that much sooner on the host's.
    expect(BigInt.asUintN(64, deadline - w.e.testVcpuTimer(two, 0))).toBe(moved);
    // RDMSR IA32_TSC reads the moved TSC.
    w.enter(two, (c) => (c.setReg(REG.RCX, 0x10), c.exit(R.RDMSR, { length: 2 })));
    const regs = w.e.testVcpuRegs(two);
    const read = (w.vmx.reg(regs, REG.RDX) << 32n) | (w.vmx.reg(regs, REG.RAX) & 0xffffffffn);
    expect(read - value).toBeGreaterThan(0n);
    expect(read - value).toBeLessThan(100000n);
  });

  it("a stopped domain's timers are gone: nothing fires into its freed memory", () => {
    const { w, dom } = sleeper();
    expect(w.hc(dom, HC.TIMER_SET, [w.e.testGuestTsc(dom) + 100000n])).toBe(0n);
    const hostPage = Number(w.e.testGuestToHost(dom, BigInt(PAGE)));
    w.e.testDomainStop(dom, w.m.newString("test"));
    expect(next(w)).toBe(U64);
    w.m.tsc += 200000n;
    w.e.testTimersFire();
    expect(w.m.view.getBigUint64(hostPage, true)).toBe(0n);
  });
});
