// The exit dispatch (src/vmx/exit.ts, src/vmx/enter.ts enterOnce) on the
// compiled wasm against the simulated VMX CPU (tests/sim/vmx.ts): every basic
// exit reason has a disposition, handled reasons reach their handler, RIP
// advances by exactly VM_EXIT_INSTRUCTION_LEN for completed instructions
// and not for faults, failures stop only the domain at fault.
import { describe, expect, it } from "vitest";
import { Machine, Halted } from "../sim/machine";
import { F, REG, Guest, GuestContext, SimVmx, VMX_FAIL_VALID } from "../sim/vmx";

// A Coffee Lake host (tests/unit/vmx-capabilities.test.ts has the sources).
const VMX_MSRS: Record<number, bigint> = {
  0x3a: 0x5n,                       // IA32_FEATURE_CONTROL: lock, VMX outside SMX
  0x480: 0xda040000000004n, 0x481: 0x7f00000016n, 0x482: 0xfff9fffe0401e172n,
  0x483: 0x1ffffff00036dffn, 0x484: 0x3ffff000011ffn, 0x485: 0x7004c1e7n,
  0x486: 0x80000021n, 0x487: 0xffffffffn, 0x488: 0x2000n, 0x489: 0x3727ffn, 0x48a: 0x2en,
  0x48b: 0x5fbcff00000000n, 0x48c: 0xf0106734141n, 0x48d: 0x7f00000016n,
  0x48e: 0xfff9fffe04006172n, 0x48f: 0x1ffffff00036dfbn, 0x490: 0x3ffff000011fbn, 0x491: 0x1n,
  0x277: 0x0007040600070406n,       // IA32_PAT
  0xc0000080: 0xd01n,               // IA32_EFER: SCE, LME, LMA, NXE
};
const CPUID1: [number, number, number, number] = [0x000906ea, 0x03100800, 0x7ffafbbf, 0xbfebfbff];
const CPUID: Record<string, [number, number, number, number]> = {
  "0": [0x16, 0x756e6547, 0x6c65746e, 0x49656e69],
  "1": CPUID1,
  "7": [0, 0x029c6fbf, 0, 0x9c000400],  // EBX bit 2: SGX
  "0xa": [0x07300404, 0, 0, 0x603],     // performance monitoring
  "0xd": [0x7, 0x340, 0x340, 0],         // x87, SSE, AVX; 832-byte area
};

// Exit reasons and fields used below.
const R = {
  EXCEPTION_OR_NMI: 0, EXTERNAL_INTERRUPT: 1, TRIPLE_FAULT: 2, INTERRUPT_WINDOW: 7, TASK_SWITCH: 9, CPUID: 10, HLT: 12, INVD: 13,
  VMCALL: 18, VMCLEAR: 19, CR_ACCESS: 28, IO: 30, RDMSR: 31, WRMSR: 32, ENTRY_FAILURE_GUEST_STATE: 33,
  EPT_VIOLATION: 48, EPT_MISCONFIG: 49, PREEMPTION_TIMER: 52, XSETBV: 55, NMI_WINDOW: 8, APIC_ACCESS: 44,
  VIRTUALIZED_EOI: 45, APIC_WRITE: 56,
};
const FAILED_VMENTRY = 0x80000000;
const VALID = 0x80000000, DELIVER_CODE = 1 << 11, HARD_EXCEPTION = 3 << 8, NMI = 2 << 8;
const UD = 6, GP = 13, PF = 14;
const STI = 1, MOV_SS = 2, NMI_BLOCKING = 8;
const DOMAIN_RUNNABLE = 0, DOMAIN_STOPPED = 2;
const ACT = { RESUME: 0, NEXT: 1, YIELD: 2, PREEMPT: 3, BLOCK: 4, STOP: 5 };
const HANDLED = 1, UNDEFINED = 2, UNHANDLED = 3;
const ENTRY_RIP = 0x100000n; // flat64 default load address

const HANDOFF = 0x3000, IMAGE = 0x20000;
const IMAGE_BYTES = Uint8Array.from([0x0f, 0xa2, 0xf4, 0xeb, 0xfd]); // cpuid; hlt; jmp $-1

// A machine in VMX root operation (the real vmxProbe and vmxEnable) with
// frames in [1 MiB, 4 MiB - 64 KiB) of its memory.
function world() {
  const m = new Machine({ vmx: true, cpuid: CPUID, msrs: VMX_MSRS });
  const e = m.exports;
  const vmx = m.vmx as SimVmx;
  e.framesInitRange(0x100000n, 0x2f0000n);
  expect(e.vmxProbe()).toBe(0);
  e.vmxEnable();
  expect(vmx.vmxonRegion).not.toBeNull();
  const hv = m.view;
  for (let i = 0; i < 8; i++) hv.setBigUint64(HANDOFF + 8 * i, BigInt(0x110000 + i * 0x1000), true);
  m.write(IMAGE, IMAGE_BYTES);
  let names = 0;
  const w = {
    m, e, vmx,
    free: (): bigint => e.framesFree(),
    // A flat64 domain built by src/domain/builder.ts; its id.
    create(name = `t${++names}`, mem = "1152K"): number {
      const line = m.newString(`/boot/t.bin domain name=${name} mem=${mem} kind=flat64`);
      const id = e.testDomainCreate(BigInt(IMAGE), BigInt(IMAGE_BYTES.length), line, HANDOFF);
      if (id === 0) throw new Error(`domain not built: ${m.str("testDomainError")}`);
      return id;
    },
    // One VM entry, the guest being `guest`, and the handling of its exit.
    enter(id: number, guest: Guest, timer = 0x1000): number {
      vmx.guest = guest;
      return e.testEnterOnce(id, timer) >>> 0;
    },
    get: (f: number): bigint => vmx.get(f),
    reg: (id: number, off: number): bigint => vmx.reg(e.testVcpuRegs(id), off),
    setReg: (id: number, off: number, v: bigint | number) => vmx.setReg(e.testVcpuRegs(id), off, v),
    state: (id: number): number => e.testDomainState(id),
    stop: (id: number, reason: string) => e.testDomainStop(id, m.newString(reason)),
    stopReason: (id: number): string => m.str("testDomainStopReason", id) ?? "",
  };
  return w;
}
type World = ReturnType<typeof world>;

// A guest exit for each handled reason, with a plausible qualification and
// registers; `expect` is the handler's action.
const HANDLED_EXITS: Record<number, { guest: Guest; action: number; stop?: RegExp }> = {
  [R.EXCEPTION_OR_NMI]: { guest: (c) => c.exit(0, { intrInfo: VALID | NMI | 2 }), action: ACT.RESUME },
  [R.EXTERNAL_INTERRUPT]: { guest: (c) => c.exit(1, { intrInfo: VALID | 0x20 }), action: ACT.RESUME },
  [R.TRIPLE_FAULT]: { guest: (c) => c.exit(2), action: ACT.STOP, stop: /^triple fault$/ },
  [R.INTERRUPT_WINDOW]: { guest: (c) => c.exit(7), action: ACT.RESUME },
  [R.NMI_WINDOW]: { guest: (c) => c.exit(8), action: ACT.RESUME },
  [R.CPUID]: { guest: (c) => (c.setReg(REG.RAX, 0), c.exit(10, { length: 2 })), action: ACT.NEXT },
  [R.HLT]: { guest: (c) => c.exit(12, { length: 1 }), action: ACT.BLOCK },
  [R.INVD]: { guest: (c) => c.exit(13, { length: 2 }), action: ACT.NEXT },
  [R.VMCALL]: { guest: (c) => (c.setReg(REG.RAX, 0), c.exit(18, { length: 3 })), action: ACT.NEXT },
  // mov cr3, rbx
  [R.CR_ACCESS]: { guest: (c) => (c.setReg(REG.RBX, 0x5000), c.exit(28, { qualification: 3 | (3 << 8), length: 3 })), action: ACT.NEXT },
  // out 0x3f8, al
  [R.IO]: { guest: (c) => (c.setReg(REG.RAX, 0x41), c.exit(30, { qualification: 0x3f8 << 16, length: 1 })), action: ACT.NEXT },
  [R.RDMSR]: { guest: (c) => (c.setReg(REG.RCX, 0x277), c.exit(31, { length: 2 })), action: ACT.NEXT },
  [R.WRMSR]: { guest: (c) => (c.setReg(REG.RCX, 0x277), c.setReg(REG.RAX, 0x70406), c.setReg(REG.RDX, 0x70406), c.exit(32, { length: 2 })), action: ACT.NEXT },
  [R.EPT_VIOLATION]: { guest: (c) => c.exit(48, { qualification: 2, gpa: 0xfed00000 }), action: ACT.STOP, stop: /^EPT violation at 0x0*fed00000 \(write\)/ },
  [R.EPT_MISCONFIG]: { guest: (c) => c.exit(49, { gpa: 0x1000 }), action: ACT.STOP, stop: /^EPT misconfiguration at/ },
  [R.PREEMPTION_TIMER]: { guest: (c) => c.exit(52), action: ACT.PREEMPT },
  // An APIC access during event delivery is not emulated; a TPR write and
  // an EOI go to the vCPU's LAPIC model.
  [R.APIC_ACCESS]: { guest: (c) => c.exit(44, { qualification: (3 << 12) | 0x80 }), action: ACT.STOP, stop: /^APIC access of type 3 at offset 0x080 not emulated$/ },
  [R.VIRTUALIZED_EOI]: { guest: (c) => c.exit(45, { qualification: 0x30 }), action: ACT.RESUME },
  [R.APIC_WRITE]: { guest: (c) => c.exit(56, { qualification: 0x80 }), action: ACT.RESUME },
  [R.XSETBV]: { guest: (c) => (c.setReg(REG.RCX, 0), c.setReg(REG.RAX, 3), c.setReg(REG.RDX, 0), c.exit(55, { length: 3 })), action: ACT.NEXT },
};

describe("exit dispatch: dispositions", () => {
  it("every basic exit reason 0..EXIT_REASON_COUNT-1 has a disposition, none past the end", () => {
    const m = new Machine();
    const e = m.exports;
    const count = e.exitReasonCount();
    expect(count).toBe(78);
    expect(e.DISPOSITION_COUNT.value).toBe(count);
    const seen = new Map<number, number[]>();
    for (let r = 0; r < count; r++) {
      const d = e.exitDisposition(r);
      expect([HANDLED, UNDEFINED, UNHANDLED], `reason ${r} (${m.str("exitReasonName", r)})`).toContain(d);
      seen.set(d, [...(seen.get(d) ?? []), r]);
    }
    for (const r of [count, count + 1, 0xffff, 0x7fffffff]) expect(e.exitDisposition(r)).toBe(UNHANDLED);
    // The handled set is exactly the reasons dispatchExit's switch names.
    expect(seen.get(HANDLED)).toEqual(Object.keys(HANDLED_EXITS).map(Number).sort((a, b) => a - b));
    // VMX instructions, GETSEC, MONITOR/MWAIT, VMFUNC, ENCLS: #UD, as on a CPU without them.
    expect(seen.get(UNDEFINED)).toEqual([11, 19, 20, 21, 22, 23, 24, 25, 26, 27, 36, 39, 50, 53, 59, 60]);
  });

  it("each handled reason reaches its handler, not the 'unexpected VM exit' stop", () => {
    const w = world();
    for (const [reason, x] of Object.entries(HANDLED_EXITS)) {
      const id = w.create();
      w.m.takeSerial();
      const action = w.enter(id, x.guest);
      const name = w.m.str("exitReasonName", Number(reason));
      expect(action, `reason ${reason} (${name})`).toBe(x.action);
      expect(w.e.testDomainExitCount(id, Number(reason)), name!).toBe(1n);
      const log = w.m.takeSerial();
      expect(log).not.toContain("unexpected VM exit");
      if (x.stop) {
        expect(w.state(id)).toBe(DOMAIN_STOPPED);
        expect(w.stopReason(id)).toMatch(x.stop);
      } else {
        expect(w.state(id), `${name}: ${w.stopReason(id)}`).toBe(DOMAIN_RUNNABLE);
        w.stop(id, "test done");
      }
    }
    expect(w.vmx.failures).toEqual([]);
  });

  it("undefined reasons inject #UD and resume at the same RIP; unhandled ones stop the domain", () => {
    const w = world();
    const count = w.e.exitReasonCount();
    let id = w.create();
    for (let r = 0; r < count; r++) {
      const d = w.e.exitDisposition(r);
      if (d === HANDLED) continue;
      const name = w.m.str("exitReasonName", r)!;
      const rip = w.get(F.GUEST_RIP);
      w.m.takeSerial();
      const action = w.enter(id, (c) => c.exit(r, { length: 3 }));
      const log = w.m.takeSerial();
      if (d === UNDEFINED) {
        expect(action, name).toBe(ACT.RESUME);
        expect(w.get(F.GUEST_RIP), name).toBe(rip);
        expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD)), name).toBe((VALID | HARD_EXCEPTION | UD) >>> 0);
        expect(w.state(id)).toBe(DOMAIN_RUNNABLE);
      } else {
        expect(action, name).toBe(ACT.STOP);
        expect(w.state(id)).toBe(DOMAIN_STOPPED);
        expect(w.stopReason(id)).toBe(`unexpected VM exit: ${name}`);
        expect(log).toContain(`) stopped: unexpected VM exit: ${name}`);
        expect(log).toContain("hv: VMCS dump");
        id = w.create();
      }
    }
    expect(w.vmx.failures).toEqual([]);
  });
});

// Runs one exit of `reason` with instruction length `len` and returns the
// RIP before and after, the action and the interruptibility state after.
function step(w: World, id: number, guest: (c: GuestContext) => void, reason: number, len: number, intr = 0) {
  const before = w.get(F.GUEST_RIP);
  const action = w.enter(id, (c) => {
    guest(c);
    c.set(F.GUEST_INTERRUPTIBILITY_INFO, intr);
    return c.exit(reason, { length: len });
  });
  return { before, after: w.get(F.GUEST_RIP), action, intr: Number(w.get(F.GUEST_INTERRUPTIBILITY_INFO)) };
}

describe("exit dispatch: RIP rules", () => {
  const completed: Array<[string, number, (c: GuestContext) => void, number]> = [
    ["CPUID", R.CPUID, (c) => { c.setReg(REG.RAX, 1); c.setReg(REG.RCX, 0); }, ACT.NEXT],
    ["VMCALL", R.VMCALL, (c) => c.setReg(REG.RAX, 0), ACT.NEXT],
    ["RDMSR IA32_PAT", R.RDMSR, (c) => c.setReg(REG.RCX, 0x277), ACT.NEXT],
    ["RDMSR IA32_APIC_BASE", R.RDMSR, (c) => c.setReg(REG.RCX, 0x1b), ACT.NEXT],
    ["WRMSR IA32_LSTAR", R.WRMSR, (c) => { c.setReg(REG.RCX, 0xc0000082); c.setReg(REG.RAX, 0x200000); c.setReg(REG.RDX, 0); }, ACT.NEXT],
    ["OUT to the UART", R.IO, (c) => { c.setReg(REG.RAX, 0x41); c.set(F.EXIT_QUALIFICATION, 0x3f8 << 16); }, ACT.NEXT],
    ["HLT", R.HLT, () => {}, ACT.BLOCK],
  ];
  for (const [what, reason, guest, act] of completed) {
    it(`${what} advances RIP by exactly VM_EXIT_INSTRUCTION_LEN (2, 3, 15) and ends STI/MOV-SS blocking`, () => {
      const w = world();
      const id = w.create();
      expect(w.get(F.GUEST_RIP)).toBe(ENTRY_RIP);
      let intr = STI;
      for (const len of [2, 3, 15]) {
        const s = step(w, id, guest, reason, len, intr | NMI_BLOCKING);
        expect(s.action, `${what} len ${len}`).toBe(act);
        expect(s.after - s.before, `${what} len ${len}`).toBe(BigInt(len));
        expect(s.intr, "STI/MOV SS blocking cleared, NMI blocking kept").toBe(NMI_BLOCKING);
        intr = intr === STI ? MOV_SS : STI; // never both: invalid guest state
      }
      expect(w.get(F.GUEST_RIP)).toBe(ENTRY_RIP + 20n);
      expect(w.state(id)).toBe(DOMAIN_RUNNABLE);
    });
  }

  it("a #GP-injecting RDMSR of an unknown MSR leaves RIP and the interrupt shadow alone", () => {
    const w = world();
    const id = w.create();
    for (const len of [2, 3, 15]) {
      w.m.takeSerial();
      const s = step(w, id, (c) => c.setReg(REG.RCX, 0xdeadbeef), R.RDMSR, len, STI);
      expect(s.action).toBe(ACT.RESUME);
      expect(s.after).toBe(s.before);
      expect(s.intr).toBe(STI);
      expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((VALID | HARD_EXCEPTION | DELIVER_CODE | GP) >>> 0);
      expect(w.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(0n);
      // Reported once per domain.
      expect(w.m.takeSerial().includes("rdmsr of unknown MSR 0xdeadbeef: #GP injected")).toBe(len === 2);
    }
    expect(w.get(F.GUEST_RIP)).toBe(ENTRY_RIP);
    // The next entry delivers the #GP at the faulting instruction.
    w.enter(id, (c) => c.exit(R.PREEMPTION_TIMER));
    expect(w.vmx.injected.at(-1)).toMatchObject({ rip: ENTRY_RIP, intrInfo: (VALID | HARD_EXCEPTION | DELIVER_CODE | GP) >>> 0, errorCode: 0 });
    expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD)) & VALID).toBe(0);
  });

  it("WRMSR IA32_PAT with a reserved memory type (2, 3, 8 and up) in any entry gets #GP; a valid one is written", () => {
    const w = world();
    const id = w.create();
    const wrPat = (v: bigint) => step(w, id, (c) => {
      c.setReg(REG.RCX, 0x277);
      c.setReg(REG.RAX, Number(v & 0xffffffffn));
      c.setReg(REG.RDX, Number(v >> 32n));
    }, R.WRMSR, 2, 0);
    const good = 0x0007040600070406n;
    for (let entry = 0n; entry < 8n; entry++) {
      for (const t of [2n, 3n, 8n, 0xffn]) {
        const bad = (good & ~(0xffn << (entry * 8n))) | (t << (entry * 8n));
        const s = wrPat(bad);
        expect(s.action, `type ${t} in entry ${entry}`).toBe(ACT.RESUME);
        expect(s.after).toBe(s.before);
        expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((VALID | HARD_EXCEPTION | DELIVER_CODE | GP) >>> 0);
        expect(w.get(F.GUEST_IA32_PAT)).toBe(0x0007040600070406n);
        w.enter(id, (c) => c.exit(R.PREEMPTION_TIMER));   // delivers it
      }
    }
    // Every valid type in every entry: UC WC WT WP WB UC- UC WB.
    expect(wrPat(0x0607050401000706n).action).toBe(ACT.NEXT);
    expect(w.get(F.GUEST_IA32_PAT)).toBe(0x0607050401000706n);
  });

  it("WRMSR IA32_FMASK with a bit of 63:32 set gets #GP and never reaches the CPU; a valid one does", () => {
    const w = world();
    const id = w.create();
    const wrFmask = (v: bigint) => step(w, id, (c) => {
      c.setReg(REG.RCX, 0xc0000084);
      c.setReg(REG.RAX, Number(v & 0xffffffffn));
      c.setReg(REG.RDX, Number(v >> 32n));
    }, R.WRMSR, 2, 0);
    for (const bad of [1n << 32n, 0xffffffff00000200n, 1n << 63n]) {
      const s = wrFmask(bad);
      expect(s.action, bad.toString(16)).toBe(ACT.RESUME);
      expect(s.after).toBe(s.before);
      expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((VALID | HARD_EXCEPTION | DELIVER_CODE | GP) >>> 0);
      expect(w.m.msrs.get(0xc0000084)).not.toBe(bad);
      w.enter(id, (c) => c.exit(R.PREEMPTION_TIMER));   // delivers it
    }
    expect(wrFmask(0x47700n).action).toBe(ACT.NEXT);
    expect(w.m.msrs.get(0xc0000084)).toBe(0x47700n);
  });

  it("exit=floor (the NASM exit path: the host's CPUID unfiltered) only with bench_exit_floor on the hypervisor's command line", () => {
    const w = world();
    w.m.takeSerial();
    expect(() => w.create("f1", "1152K exit=floor")).toThrow("domain not built");
    expect(w.m.takeSerial()).toContain("exit=floor needs bench_exit_floor on the hypervisor's command line");
    w.e.testExitFloorOption(w.m.newString("/boot/hv.elf bench_exit_floor"));
    expect(w.create("f2", "1152K exit=floor")).toBeGreaterThan(0);
    w.e.testExitFloorOption(w.m.newString("/boot/hv.elf"));
    expect(() => w.create("f3", "1152K exit=floor")).toThrow("domain not built");
  });

  it("a VMX instruction gets #UD at the same RIP", () => {
    const w = world();
    const id = w.create();
    for (const reason of [19, 20, 24, 27, 50, 53]) {
      const s = step(w, id, () => {}, reason, 3, STI);
      expect(s.action).toBe(ACT.RESUME);
      expect(s.after).toBe(ENTRY_RIP);
      expect(s.intr).toBe(STI);
      expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((VALID | HARD_EXCEPTION | UD) >>> 0);
    }
  });

  it("a VMX-preemption timer exit leaves RIP unchanged; the slice is written before entry", () => {
    const w = world();
    const id = w.create();
    const before = w.get(F.GUEST_RIP);
    let seen = -1n;
    const action = w.enter(id, (c) => (seen = c.get(F.VMX_PREEMPTION_TIMER_VALUE), c.exit(R.PREEMPTION_TIMER, { length: 7 })), 0x1234);
    expect(action).toBe(ACT.PREEMPT);
    expect(seen).toBe(0x1234n);
    expect(w.get(F.GUEST_RIP)).toBe(before);
  });
});

describe("exit dispatch: handlers through the dispatch", () => {
  it("CPUID: VMX hidden, hypervisor bit set, signature leaf, 32-bit results", () => {
    const w = world();
    const id = w.create();
    const cpuid = (leaf: number, sub = 0) => {
      w.enter(id, (c) => {
        c.setReg(REG.RAX, 0xffffffff00000000n | BigInt(leaf));
        c.setReg(REG.RCX, BigInt(sub));
        c.setReg(REG.RBX, 0xffffffffffffffffn);
        c.setReg(REG.RDX, 0xffffffffffffffffn);
        return c.exit(R.CPUID, { length: 2 });
      });
      return [REG.RAX, REG.RBX, REG.RCX, REG.RDX].map((r) => w.reg(id, r));
    };
    const [a1, b1, c1, d1] = cpuid(1);
    expect(a1).toBe(BigInt(CPUID1[0]));
    expect(c1 & (1n << 5n)).toBe(0n);             // VMX
    expect(c1 & (1n << 6n)).toBe(0n);             // SMX
    expect(c1 & (1n << 3n)).toBe(0n);             // MONITOR
    expect(c1 & (1n << 31n)).toBe(1n << 31n);     // hypervisor present
    expect(c1 & (1n << 27n)).toBe(0n);            // OSXSAVE: guest CR4.OSXSAVE is clear
    expect(c1 & (1n << 21n)).toBe(1n << 21n);     // x2APIC: a DomU has a LAPIC model
    expect(c1 & (1n << 24n)).toBe(1n << 24n);     // TSC-deadline timer
    const hidden = (3n << 7n) | (1n << 2n) | (1n << 4n); // EST, TM2, DTES64, DS-CPL: no power, thermal or debug-store MSRs
    expect(c1 & hidden).toBe(0n);
    expect(c1 | (1n << 5n) | (1n << 6n) | (1n << 3n) | (1n << 15n) | (1n << 27n) | (1n << 31n) | hidden)
      .toBe(BigInt(CPUID1[2] >>> 0) | (1n << 6n) | (1n << 31n) | (1n << 27n) | (1n << 21n) | (1n << 24n) | (1n << 15n) | (1n << 3n) | (1n << 5n) | hidden);
    expect(b1).toBe(BigInt(CPUID1[1] & 0x0000ffff) | (1n << 16n)); // APIC ID = vCPU 0, one logical processor
    // No HTT with one vCPU; no ACPI thermal, TM, DS or PBE (their MSRs are refused).
    expect(d1).toBe(BigInt(CPUID1[3] >>> 0) & ~(1n << 28n) & ~(1n << 22n) & ~(1n << 29n) & ~(1n << 21n) & ~(1n << 31n));
    const [a, b, c, d] = cpuid(0x40000000);
    expect(a).toBe(0x40000010n);
    const sig = Buffer.alloc(12);
    sig.writeUInt32LE(Number(b), 0);
    sig.writeUInt32LE(Number(c), 4);
    sig.writeUInt32LE(Number(d), 8);
    expect(sig.toString("latin1")).toBe("tshvTSHVtshv");
    expect(cpuid(0x40000001)[0]).toBe(0x10000n); // hypercall ABI 1.0
    expect(cpuid(7)[1] & 4n).toBe(0n);            // SGX hidden
    expect(cpuid(0xa)).toEqual([0n, 0n, 0n, 0n]); // no perfmon
    // The basic leaves reach the TSC ones (0x15, 0x16) at least.
    const leaf0 = CPUID["0"].map(BigInt);
    if (leaf0[0] < 0x16n) leaf0[0] = 0x16n;
    expect(cpuid(0)).toEqual(leaf0);
    // With the guest's CR4.OSXSAVE set, CPUID shows it.
    w.vmx.set(F.GUEST_CR4, w.get(F.GUEST_CR4) | (1n << 18n));
    expect(cpuid(1)[2] & (1n << 27n)).toBe(1n << 27n);
    expect(w.get(F.GUEST_RIP)).toBe(ENTRY_RIP + 2n * 7n);
  });

  it("WRMSR of a non-switched MSR reaches the CPU and the vCPU; VMCALL returns the ABI version", () => {
    const w = world();
    const id = w.create();
    w.enter(id, (c) => (c.setReg(REG.RCX, 0xc0000082), c.setReg(REG.RAX, 0xdead0000), c.setReg(REG.RDX, 0xffff8000), c.exit(R.WRMSR, { length: 2 })));
    expect(w.m.msrs.get(0xc0000082)).toBe(0xffff8000dead0000n);
    w.enter(id, (c) => (c.setReg(REG.RCX, 0xc0000082), c.exit(R.RDMSR, { length: 2 })));
    expect([w.reg(id, REG.RAX), w.reg(id, REG.RDX)]).toEqual([0xdead0000n, 0xffff8000n]);
    w.enter(id, (c) => (c.setReg(REG.RAX, 0), c.exit(R.VMCALL, { length: 3 })));
    expect(w.reg(id, REG.RAX)).toBe(0x10000n);
    expect(w.get(F.GUEST_RIP)).toBe(ENTRY_RIP + 7n);
  });

  it("WRMSR IA32_FMASK with a reserved bit (63:32) is #GP(0) and never reaches the CPU; bits 31:0 do", () => {
    const w = world();
    const id = w.create();
    const FMASK = 0xc0000084;
    expect(w.enter(id, (c) => (c.setReg(REG.RCX, FMASK), c.setReg(REG.RAX, 0x700), c.setReg(REG.RDX, 1), c.exit(R.WRMSR, { length: 2 })))).toBe(ACT.RESUME);
    expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((0x80000000 | (3 << 8) | (1 << 11) | GP) >>> 0);
    expect(w.m.msrs.get(FMASK) ?? 0n).toBe(0n); // the vCPU's own, loaded when it was switched in
    w.enter(id, (c) => c.exit(R.PREEMPTION_TIMER));
    expect(w.enter(id, (c) => (c.setReg(REG.RCX, FMASK), c.setReg(REG.RAX, 0x700), c.setReg(REG.RDX, 0), c.exit(R.WRMSR, { length: 2 })))).toBe(ACT.NEXT);
    expect(w.m.msrs.get(FMASK)).toBe(0x700n);
  });
});

describe("exit dispatch: failures stop only the domain at fault", () => {
  function expectStopped(w: World, id: number, reason: string | RegExp, log: string, freeBefore: bigint) {
    expect(w.state(id)).toBe(DOMAIN_STOPPED);
    const r = w.stopReason(id);
    if (typeof reason === "string") expect(r).toBe(reason); else expect(r).toMatch(reason);
    expect(log).toContain(`hv: domain ${id} (`);
    expect(log).toContain(`) stopped: ${r}`);
    expect(log).toContain("hv: VMCS dump (field = value):");
    expect(w.e.testDomainChunks(id)).toBe(0);
    expect(w.e.testVcpuVmcs(id)).toBe(0n);
    expect(w.free()).toBe(freeBefore);
    expect(w.vmx.invepts.length).toBeGreaterThan(0);
    expect(w.vmx.invvpids.at(-1)).toEqual([1n, BigInt(w.e.testVcpuVpid(id)), 0n]); // single-context, the vCPU's VPID
    // The stopped domain is not entered again; the hypervisor goes on.
    expect(w.e.testEnterOnce(id, 0) >>> 0).toBe(0xffffffff);
  }

  // The first domain also allocates the three shared VMX bitmaps.
  function fresh() {
    const w = world();
    const warm = w.create("warmup");
    w.stop(warm, "warm-up");
    const free = w.free();
    return { w, free };
  }

  it("an unhandled exit (task switch) stops the domain with its reason; memory goes back", () => {
    const { w, free } = fresh();
    const id = w.create("victim");
    const victimFrames = free - w.free();
    const other = w.create("bystander");
    const freeWithOther = w.free();
    w.m.takeSerial();
    let action = 0;
    expect(() => { action = w.enter(id, (c) => c.exit(R.TASK_SWITCH, { qualification: 0x40000028 })); }).not.toThrow();
    expect(action).toBe(ACT.STOP);
    const log = w.m.takeSerial();
    expect(log).toContain(`hv: domain ${id} (victim) stopped: unexpected VM exit: ${w.m.str("exitReasonName", 9)}`);
    expectStopped(w, id, /^unexpected VM exit: /, log, freeWithOther + victimFrames);
    // The other domain still runs.
    expect(w.enter(other, (c) => c.exit(R.CPUID, { length: 2 }))).toBe(ACT.NEXT);
    expect(w.state(other)).toBe(DOMAIN_RUNNABLE);
    w.stop(other, "done");
    expect(w.free()).toBe(free);
  });

  it("an entry-failure exit (bit 31, reason 33) stops the domain with the reason and qualification", () => {
    const { w, free } = fresh();
    const id = w.create("badstate");
    w.m.takeSerial();
    const action = w.enter(id, (c) => c.exit((FAILED_VMENTRY | R.ENTRY_FAILURE_GUEST_STATE) >>> 0, { qualification: 2 }));
    expect(action).toBe(ACT.STOP);
    const log = w.m.takeSerial();
    const name = w.m.str("exitReasonName", 33)!;
    expectStopped(w, id, `VM entry failed: ${name}, qualification 0x2`, log, free);
    expect(w.e.testDomainExitCount(id, 33)).toBe(1n);
  });

  it("VMfailValid from VM entry stops the domain with the VM-instruction error text", () => {
    const { w, free } = fresh();
    const id = w.create("failvalid");
    w.m.takeSerial();
    const action = w.enter(id, (c) => c.fail(7));
    expect(action).toBe(ACT.STOP);
    const log = w.m.takeSerial();
    const text = w.m.str("vmInstructionErrorText", 7)!;
    expect(text.length).toBeGreaterThan(0);
    expectStopped(w, id, `VM entry failed: ${text}`, log, free);
  });

  it("VMLAUNCH, then VMRESUME: the launch state follows boot/vmx.asm's flag", () => {
    const w = world();
    const id = w.create();
    const launches: boolean[] = [];
    for (let i = 0; i < 3; i++) w.enter(id, (c) => (launches.push(c.launch), c.exit(R.PREEMPTION_TIMER)));
    expect(launches).toEqual([true, false, false]);
    expect(w.reg(id, REG.LAUNCHED)).toBe(1n);
  });

  it("the hypervisor keeps running: no Halted is thrown by any stop path", () => {
    const { w } = fresh();
    for (const g of [(c: GuestContext) => c.exit(9), (c: GuestContext) => c.exit((FAILED_VMENTRY | 33) >>> 0), (c: GuestContext) => c.fail(VMX_FAIL_VALID + 5)]) {
      const id = w.create();
      try {
        w.enter(id, g);
      } catch (err) {
        expect(err).not.toBeInstanceOf(Halted);
        throw err;
      }
      expect(w.state(id)).toBe(DOMAIN_STOPPED);
    }
    expect(w.m.serial).not.toContain("PANIC");
  });
});

describe("exit dispatch: IDT-vectoring re-injection", () => {
  it("an exit during delivery of #PF (error code) re-injects it on the next entry", () => {
    const w = world();
    const id = w.create();
    const pf = (VALID | HARD_EXCEPTION | DELIVER_CODE | PF) >>> 0;
    const action = w.enter(id, (c) => (c.setReg(REG.RAX, 0), c.exit(R.CPUID, { length: 2, idtVectoring: pf | 0x1000, idtError: 0x6 })));
    expect(action).toBe(ACT.NEXT);
    expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe(pf); // bit 12 (NMI unblocking) is reserved on entry
    expect(w.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(6n);
    w.enter(id, (c) => c.exit(R.PREEMPTION_TIMER));
    expect(w.vmx.injected.at(-1)).toMatchObject({ intrInfo: pf, errorCode: 6 });
  });

  it("a handler's own injection overrides the re-injected event", () => {
    const w = world();
    const id = w.create();
    const pf = (VALID | HARD_EXCEPTION | DELIVER_CODE | PF) >>> 0;
    w.enter(id, (c) => (c.setReg(REG.RCX, 0x12345), c.exit(R.RDMSR, { length: 2, idtVectoring: pf, idtError: 0x2 })));
    expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((VALID | HARD_EXCEPTION | DELIVER_CODE | GP) >>> 0);
    expect(w.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(0n);
  });

  it("a software exception in delivery keeps its instruction length", () => {
    const w = world();
    const id = w.create();
    const int3 = (VALID | (6 << 8) | 3) >>> 0; // software exception #BP
    w.enter(id, (c) => c.exit(R.EXTERNAL_INTERRUPT, { intrInfo: VALID | 0x20, idtVectoring: int3, length: 1 }));
    expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe(int3);
    expect(w.get(F.VM_ENTRY_INSTRUCTION_LEN)).toBe(1n);
  });
});

describe("simulated VMX CPU (tests/sim/vmx.ts)", () => {
  it("VMCS per region, VMCLEAR resets, read-only exit fields, no current VMCS", () => {
    const m = new Machine({ vmx: true });
    const hw = m.vmx!.imports();
    expect(hw.vmwrite(F.GUEST_RIP, 1n)).toBe(1);           // VMfailInvalid
    expect(hw.vmread(F.GUEST_RIP)).toBe(0n);
    expect(hw.vmxon(0x1000n)).toBe(0);
    expect(hw.vmclear(0x2000n)).toBe(0);
    expect(hw.vmptrld(0x2000n)).toBe(0);
    expect(hw.vmwrite(F.GUEST_RIP, 0x1234n)).toBe(0);
    expect(hw.vmwrite(F.VM_EXIT_REASON, 10n)).toBe(2);     // VMfailValid
    expect(hw.vmread(F.VM_INSTRUCTION_ERROR)).toBe(13n);
    expect(hw.vmwrite(0x2000 | 0x1000, 0n)).toBe(2);       // reserved bit 12
    expect(hw.vmread(F.VM_INSTRUCTION_ERROR)).toBe(12n);
    expect(hw.vmwrite(F.VM_ENTRY_INTR_INFO_FIELD, 0x1_8000_0306n)).toBe(0); // 32-bit field
    expect(hw.vmread(F.VM_ENTRY_INTR_INFO_FIELD)).toBe(0x8000_0306n);
    expect(hw.vmwrite(F.TSC_OFFSET + 1, 0xaaaan)).toBe(0); // high half of a 64-bit field
    expect(hw.vmread(F.TSC_OFFSET)).toBe(0xaaaa_0000_0000n);
    expect(hw.vmptrld(0x3000n)).toBe(0);
    expect(hw.vmread(F.GUEST_RIP)).toBe(0n);
    expect(hw.vmptrld(0x2000n)).toBe(0);
    expect(hw.vmread(F.GUEST_RIP)).toBe(0x1234n);
    expect(hw.vmptrld(0x1000n)).toBe(2);                   // the VMXON region
    expect(hw.vmread(F.VM_INSTRUCTION_ERROR)).toBe(10n);
    expect(hw.vmclear(0x2000n)).toBe(0);                   // current: no current VMCS left
    expect(hw.vmread(F.GUEST_RIP)).toBe(0n);
    expect(hw.vmenter(0x5000)).toBe(1);
    expect(hw.vmptrld(0x2000n)).toBe(0);
    expect(hw.vmread(F.GUEST_RIP)).toBe(0n);               // reset by VMCLEAR
    m.vmx!.writeAnyField = true;
    expect(hw.vmwrite(F.VM_EXIT_REASON, 10n)).toBe(0);
  });
});

describe("exit dispatch: hypercall privilege and the XSAVE policy", () => {
  it("VMCALL from CPL 3 is refused with -EPERM and changes nothing (src/vmx/exit/vmcall.ts)", () => {
    const w = world();
    const id = w.create();
    const action = w.enter(id, (c) => {
      c.set(0x4818, c.get(0x4818) | 0x60n); // GUEST_SS_ACCESS_RIGHTS.DPL = 3: CPL 3
      c.set(0x802, 0x2b);                     // GUEST_CS_SELECTOR, RPL 3
      c.setReg(REG.RAX, 3);                   // HC_SHUTDOWN
      c.setReg(REG.RDI, 0);
      return c.exit(R.VMCALL, { length: 3 });
    });
    expect(w.state(id)).toBe(DOMAIN_RUNNABLE);
    expect(action).toBe(ACT.NEXT);
    expect(w.reg(id, REG.RAX)).toBe(BigInt.asUintN(64, -1n)); // -EPERM
  });

  it("XSETBV accepts every XCR0 component CPUID.(EAX=0DH,ECX=0) shows the guest (src/vmx/exit/cpuid.ts)", () => {
    // Skylake/Coffee Lake: x87, SSE, AVX, MPX BNDREGS and BNDCSR.
    const m = new Machine({ vmx: true, cpuid: { ...CPUID, "0xd": [0x1f, 0x440, 0x440, 0] }, msrs: VMX_MSRS });
    const e = m.exports;
    e.framesInitRange(0x100000n, 0x2f0000n);
    expect(e.vmxProbe()).toBe(0);
    e.vmxEnable();
    for (let i = 0; i < 8; i++) m.view.setBigUint64(HANDOFF + 8 * i, 0x110000n, true);
    m.write(IMAGE, IMAGE_BYTES);
    const id = e.testDomainCreate(BigInt(IMAGE), BigInt(IMAGE_BYTES.length), m.newString("domain name=x mem=1152K kind=flat64"), HANDOFF);
    const vmx = m.vmx!;
    vmx.guest = (c) => (c.setReg(REG.RAX, 0xd), c.setReg(REG.RCX, 0), c.exit(R.CPUID, { length: 2 }));
    e.testEnterOnce(id, 0);
    const advertised = vmx.reg(e.testVcpuRegs(id), REG.RAX);
    vmx.guest = (c) => (c.setReg(REG.RCX, 0), c.setReg(REG.RDX, 0), c.setReg(REG.RAX, advertised), c.exit(R.XSETBV, { length: 3 }));
    expect(advertised & 0x18n).toBe(0n); // MPX hidden: the vCPU switch does not save it
    expect(e.testEnterOnce(id, 0)).toBe(ACT.NEXT);
  });
});

describe("exit dispatch: CR0 and single-step edge cases", () => {
  const VALID = 0x80000000, HARD_EXCEPTION = 3 << 8, DELIVER_CODE = 1 << 11, GP = 13;

  it("MOV to CR0 enabling paging with EFER.LME set and CR4.PAE clear raises #GP(0), RIP unchanged", () => {
    const w = world();
    const id = w.create();
    const before = w.get(F.GUEST_RIP);
    const action = w.enter(id, (c) => {
      c.set(F.GUEST_CR0, c.get(F.GUEST_CR0) & ~(1n << 31n)); // paging off
      c.set(F.CR0_READ_SHADOW, c.get(F.CR0_READ_SHADOW) & ~(1n << 31n));
      c.set(F.GUEST_CR4, c.get(F.GUEST_CR4) & ~(1n << 5n));  // PAE off
      c.set(F.GUEST_IA32_EFER, 1n << 8n);                    // LME, not LMA
      c.setReg(REG.RBX, 0x80000011);                          // PG | ET | PE
      return c.exit(R.CR_ACCESS, { qualification: 0 | (3 << 8), length: 3 });
    });
    expect(action).toBe(ACT.RESUME);
    expect(w.get(F.GUEST_RIP)).toBe(before);
    expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((VALID | HARD_EXCEPTION | DELIVER_CODE | GP) >>> 0);
    expect(w.get(F.GUEST_IA32_EFER)).toBe(1n << 8n); // LMA not set
  });

  it("MOV to CR0 clearing PG in 64-bit code raises #GP(0) and stays in IA-32e mode; from compatibility mode it leaves it", () => {
    const w = world();
    const id = w.create();
    const LME = 1n << 8n, LMA = 1n << 10n, IA32E_GUEST = 1n << 9n, CS_L = 1n << 13n;
    const leave = (csL: boolean) => w.enter(id, (c) => {
      c.set(F.GUEST_CR0, c.get(F.GUEST_CR0) | (1n << 31n));
      c.set(F.CR0_READ_SHADOW, c.get(F.CR0_READ_SHADOW) | (1n << 31n));
      c.set(F.GUEST_CR4, c.get(F.GUEST_CR4) | (1n << 5n));
      c.set(F.GUEST_IA32_EFER, LME | LMA);
      c.set(F.VM_ENTRY_CONTROLS, c.get(F.VM_ENTRY_CONTROLS) | IA32E_GUEST);
      const ar = c.get(F.GUEST_CS_ACCESS_RIGHTS) & ~CS_L & ~(1n << 14n);  // L, and D clear with it
      c.set(F.GUEST_CS_ACCESS_RIGHTS, csL ? ar | CS_L : ar | (1n << 14n));
      c.setReg(REG.RBX, 0x00000011);                                       // ET | PE: PG clear
      return c.exit(R.CR_ACCESS, { qualification: 0 | (3 << 8), length: 3 });
    });
    const before = w.get(F.GUEST_RIP);
    expect(leave(true)).toBe(ACT.RESUME);
    expect(w.get(F.GUEST_RIP)).toBe(before);
    expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((VALID | HARD_EXCEPTION | DELIVER_CODE | GP) >>> 0);
    expect(w.get(F.GUEST_CR0) & (1n << 31n)).toBe(1n << 31n);
    expect(w.get(F.GUEST_IA32_EFER)).toBe(LME | LMA);
    expect(w.get(F.VM_ENTRY_CONTROLS) & IA32E_GUEST).toBe(IA32E_GUEST);
    w.enter(id, (c) => c.exit(R.PREEMPTION_TIMER));
    expect(leave(false)).toBe(ACT.NEXT);
    expect(w.get(F.GUEST_CR0) & (1n << 31n)).toBe(0n);
    expect(w.get(F.GUEST_IA32_EFER)).toBe(LME);
    expect(w.get(F.VM_ENTRY_CONTROLS) & IA32E_GUEST).toBe(0n);
  });

  it("MOV to CR0 setting CD and NW: the guest reads them (shadow), the CPU keeps them clear (VM entry and exit leave them alone)", () => {
    const w = world();
    const id = w.create();
    const CD = 1n << 30n, NW = 1n << 29n;
    const shadowed = w.enter(id, (c) => {
      expect(c.get(F.CR0_GUEST_HOST_MASK) & (CD | NW)).toBe(CD | NW);
      c.setReg(REG.RBX, Number((c.get(F.CR0_READ_SHADOW) | CD | NW) & 0xffffffffn));
      return c.exit(R.CR_ACCESS, { qualification: 0 | (3 << 8), length: 3 });
    });
    expect(shadowed).toBe(ACT.NEXT);
    expect(w.get(F.CR0_READ_SHADOW) & (CD | NW)).toBe(CD | NW);
    expect(w.get(F.GUEST_CR0) & (CD | NW)).toBe(0n);
  });

  it("MOV to CR0 turning on PAE paging checks the PDPTEs first: a reserved bit is #GP with CR0 and the PDPTEs kept", () => {
    const w = world();
    const id = w.create();
    const PDPT = 0x80000;
    const at = Number(w.e.testGuestToHost(id, BigInt(PDPT)));
    w.m.bytes.fill(0, at, at + 24);
    const pae = (pdpte3: bigint) => {
      new DataView(w.m.bytes.buffer).setBigUint64(at + 24, pdpte3, true);
      return w.enter(id, (c) => {
        c.set(F.GUEST_CR0, c.get(F.GUEST_CR0) & ~(1n << 31n));
        c.set(F.CR0_READ_SHADOW, c.get(F.CR0_READ_SHADOW) & ~(1n << 31n));
        c.set(F.GUEST_CR4, c.get(F.GUEST_CR4) | (1n << 5n));   // PAE
        c.set(F.GUEST_IA32_EFER, 0n);
        c.set(F.GUEST_CR3, BigInt(PDPT));
        c.setReg(REG.RBX, 0x80000011);
        return c.exit(R.CR_ACCESS, { qualification: 0 | (3 << 8), length: 3 });
      });
    };
    // Present with bit 1, bit 5 or an address bit at MAXPHYADDR (36): #GP.
    for (const bad of [0x2003n, 0x2021n, (1n << 36n) | 0x2001n]) {
      expect(pae(bad)).toBe(ACT.RESUME);
      expect(Number(w.get(F.VM_ENTRY_INTR_INFO_FIELD))).toBe((VALID | HARD_EXCEPTION | DELIVER_CODE | GP) >>> 0);
      expect(w.get(F.GUEST_CR0) & (1n << 31n)).toBe(0n);
      expect(w.get(F.GUEST_PDPTE3)).toBe(0n);
      w.enter(id, (c) => c.exit(R.PREEMPTION_TIMER));
    }
    // Not present: its other bits are free. A good one is loaded and CR0 set.
    expect(pae(0x2ffen)).toBe(ACT.NEXT);
    expect(w.get(F.GUEST_PDPTE3)).toBe(0x2ffen);
    expect(pae(0x5001n)).toBe(ACT.NEXT);
    expect(w.get(F.GUEST_PDPTE3)).toBe(0x5001n);
    expect(w.get(F.GUEST_CR0) & (1n << 31n)).toBe(1n << 31n);
  });

  it("an emulated instruction under RFLAGS.TF leaves a single-step #DB pending (BS)", () => {
    const w = world();
    const id = w.create();
    w.enter(id, (c) => {
      c.set(F.GUEST_RFLAGS, 0x102n); // TF
      c.setReg(REG.RAX, 0);
      c.setReg(REG.RCX, 0);
      return c.exit(R.CPUID, { length: 2 });
    });
    expect(w.get(F.GUEST_PENDING_DEBUG_EXCEPTIONS) & (1n << 14n)).toBe(1n << 14n);
    w.enter(id, (c) => {
      c.set(F.GUEST_RFLAGS, 0x2n);
      c.set(F.GUEST_PENDING_DEBUG_EXCEPTIONS, 0n);
      return c.exit(R.CPUID, { length: 2 });
    });
    expect(w.get(F.GUEST_PENDING_DEBUG_EXCEPTIONS)).toBe(0n);
  });
});
