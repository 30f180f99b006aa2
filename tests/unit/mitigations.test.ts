// Speculative-execution mitigations (src/cpu/mitigations.ts) on the compiled
// wasm: which a CPU gets from what CPUID.(7,0) and IA32_ARCH_CAPABILITIES
// say, the boot log's reasons, and on the simulated VT-x CPU the parts the
// microkernel does itself: IBPB and a dirty L1D when a CPU enters another
// domain, L1D dirty after a management hypercall or a log line, the
// guests' IA32_SPEC_CTRL, IA32_PRED_CMD and IA32_FLUSH_CMD, and CPUID.7.EDX
// as guests see it. (The VM-entry stub's half, boot/vmx.asm and
// boot/spec.asm, runs in every Bochs suite: Bochs's Haswell model is
// affected by Spectre v2, MDS and L1TF.)
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";
import { F, REG } from "../sim/vmx";
import { vmxMachine, CPUID } from "./fixtures";

// src/arch/layout.ts SPEC_*.
const S = { RSB_FILL: 0x01, VERW: 0x02, L1D_FLUSH: 0x04, L1D_FLUSH_CMD: 0x08, IBPB: 0x10, CTRL: 0x20, RETPOLINE: 0x40 };
// CPUID.(7,0):EDX and EBX bits, IA32_ARCH_CAPABILITIES bits.
const EDX = { MD_CLEAR: 1 << 10, SPEC_CTRL: 1 << 26, STIBP: 1 << 27, L1D_FLUSH: 1 << 28, ARCH_CAP: 1 << 29, CORE_CAP: 1 << 30, SSBD: 1 << 31 };
const RTM = 1 << 11;
const CAP = {
  RDCL_NO: 1n << 0n, IBRS_ALL: 1n << 1n, SKIP_L1DFL: 1n << 3n, MDS_NO: 1n << 5n, TAA_NO: 1n << 8n,
  SBDR_SSDP_NO: 1n << 13n, FBSDP_NO: 1n << 14n, PSDP_NO: 1n << 15n, PBRSB_NO: 1n << 24n,
};
const MMIO_NO = CAP.SBDR_SSDP_NO | CAP.FBSDP_NO | CAP.PSDP_NO;
const MSR = { SPEC_CTRL: 0x48, PRED_CMD: 0x49, ARCH_CAPABILITIES: 0x10a, FLUSH_CMD: 0x10b };
const WRMSR = 32, RDMSR = 31, CPUID_EXIT = 10, VMCALL = 18;
const GP = 13;

describe("which mitigations a CPU gets", () => {
  const m = new Machine();
  const choose = (intel: boolean, ebx7: number, edx7: number, caps: bigint, off = false) => {
    const v = BigInt(m.exports.specChooseFor(intel ? 1 : 0, ebx7 >>> 0, edx7 >>> 0, caps, off ? 1 : 0));
    return { spec: Number(v & 0xffffffffn), hostCtrl: Number(v >> 32n) };
  };
  const report = (intel: boolean, ebx7: number, edx7: number, caps: bigint, off = false) =>
    m.str("specReportFor", intel ? 1 : 0, ebx7 >>> 0, edx7 >>> 0, caps, off ? 1 : 0)!;
  const ALL_NO = CAP.RDCL_NO | CAP.IBRS_ALL | CAP.MDS_NO | CAP.TAA_NO | MMIO_NO | CAP.PBRSB_NO;
  const MODERN = EDX.SPEC_CTRL | EDX.STIBP | EDX.L1D_FLUSH | EDX.ARCH_CAP | EDX.SSBD | EDX.MD_CLEAR;

  it("the table: each CPU's set and the host's IA32_SPEC_CTRL", () => {
    const rows: Array<[string, boolean, number, number, bigint, number, number]> = [
      // Bochs's Haswell: no speculation controls at all.
      ["Haswell model (Bochs)", true, 0, 0, 0n, S.RETPOLINE | S.RSB_FILL | S.VERW | S.L1D_FLUSH, 0],
      // Coffee Lake with microcode, no ARCH_CAPABILITIES: everything, flush through the MSR.
      ["Coffee Lake", true, 0, 0x9c000400, 0n,
        S.CTRL | S.RETPOLINE | S.RSB_FILL | S.IBPB | S.VERW | S.L1D_FLUSH | S.L1D_FLUSH_CMD, 0],
      // A CPU unaffected by everything but the branch predictor: eIBRS, IBPB.
      ["unaffected, eIBRS", true, 0, MODERN, ALL_NO, S.CTRL | S.IBPB, 1],
      // eIBRS without PBRSB_NO keeps the refill, not the retpoline.
      ["eIBRS, no PBRSB_NO", true, 0, MODERN, ALL_NO & ~CAP.PBRSB_NO, S.CTRL | S.IBPB | S.RSB_FILL, 1],
      // MDS_NO but TSX without TAA_NO (Cascade Lake): VERW for TAA.
      ["TAA only", true, RTM, MODERN, ALL_NO & ~CAP.TAA_NO, S.CTRL | S.IBPB | S.VERW, 1],
      // Without TSX, TAA does not apply.
      ["no TSX", true, 0, MODERN, ALL_NO & ~CAP.TAA_NO, S.CTRL | S.IBPB, 1],
      // MMIO stale data alone (one of the three NO bits missing).
      ["MMIO stale data", true, 0, MODERN, ALL_NO & ~CAP.FBSDP_NO, S.CTRL | S.IBPB | S.VERW, 1],
      // L1TF: RDCL_NO missing; SKIP_L1DFL_VMENTRY (a hypervisor below flushes) drops it.
      ["L1TF", true, 0, MODERN, ALL_NO & ~CAP.RDCL_NO, S.CTRL | S.IBPB | S.L1D_FLUSH | S.L1D_FLUSH_CMD, 1],
      ["L1TF, flushed below", true, 0, MODERN, (ALL_NO & ~CAP.RDCL_NO) | CAP.SKIP_L1DFL, S.CTRL | S.IBPB, 1],
      // IBRS_ALL without the SPEC_CTRL MSR cannot be enhanced IBRS.
      ["IBRS_ALL, no MSR", true, 0, EDX.ARCH_CAP, ALL_NO, S.RETPOLINE | S.RSB_FILL, 0],
      // Not Intel: none; the guests' SPEC_CTRL is still switched.
      ["not Intel", false, 0, EDX.SPEC_CTRL, 0n, S.CTRL, 0],
    ];
    for (const [what, intel, ebx7, edx7, caps, spec, hostCtrl] of rows) {
      expect(choose(intel, ebx7, edx7, caps), what).toEqual({ spec, hostCtrl });
    }
  });

  it("mitigations=off keeps only the guests' IA32_SPEC_CTRL", () => {
    expect(choose(true, 0, 0, 0n, true)).toEqual({ spec: 0, hostCtrl: 0 });
    expect(choose(true, 0, 0x9c000400, 0n, true)).toEqual({ spec: S.CTRL, hostCtrl: 0 });
    // Enhanced IBRS is a mitigation too: the host's IBRS stays clear.
    expect(choose(true, 0, MODERN, ALL_NO, true)).toEqual({ spec: S.CTRL, hostCtrl: 0 });
    expect(report(true, 0, 0, 0n, true)).toBe("mitigations: off (mitigations=off)");
  });

  it("the boot log says what is in force and why", () => {
    expect(report(true, 0, 0, 0n)).toBe([
      "mitigations (mitigations=off turns them off):",
      "  Spectre v2 (no enhanced IBRS): retpoline, return-stack refill on VM exit",
      "  no IBPB: the CPU has none (CPUID.7.EDX[26])",
      "  MDS (no MDS_NO): VERW before VM entry; no MD_CLEAR microcode: VERW may not clear the buffers",
      "  L1TF (no RDCL_NO): L1D flush before VM entry after another domain's or the host's work, by reading 64 KiB (no IA32_FLUSH_CMD)",
    ].join("\n"));
    expect(report(true, 0, MODERN, ALL_NO)).toBe([
      "mitigations (mitigations=off turns them off); guests' IA32_SPEC_CTRL switched on entry and exit:",
      "  Spectre v2: enhanced IBRS",
      "  IBPB when a CPU enters another domain",
      "  MDS, TAA, MMIO stale data: not affected",
      "  L1TF: not affected",
    ].join("\n"));
    expect(report(true, RTM, MODERN, ALL_NO & ~CAP.TAA_NO & ~CAP.PBRSB_NO)).toContain("  TAA (TSX, no TAA_NO): VERW before VM entry\n");
    expect(report(true, 0, MODERN, ALL_NO & ~CAP.PBRSB_NO)).toContain("  Spectre v2: enhanced IBRS, return-stack refill on VM exit (no PBRSB_NO)\n");
    expect(report(true, 0, MODERN, (ALL_NO & ~CAP.RDCL_NO) | CAP.SKIP_L1DFL)).toContain("  L1TF: no flush needed (SKIP_L1DFL_VMENTRY)");
    expect(report(false, 0, 0, 0n)).toBe("mitigations: none (not an Intel CPU)");
  });
});

// A Coffee Lake host (tests/unit/fixtures.ts: CPUID.7.EDX 0x9c000400, SPEC_CTRL,
// STIBP, L1D_FLUSH, SSBD, MD_CLEAR; no ARCH_CAPABILITIES), booted; `edx7`:
// another CPUID.7.EDX.
function world(edx7 = CPUID["7"][3]) {
  const w = vmxMachine();
  w.m.setCpuid("7", [CPUID["7"][0], CPUID["7"][1], CPUID["7"][2], edx7]);
  w.m.msrs.set(MSR.SPEC_CTRL, 0n);
  const lines = w.m.str("specBootTest", 0)!;
  const hc = (id: number, nr: number) => {
    w.vmx.guest = (c) => (c.setReg(REG.RAX, nr), c.exit(VMCALL, { length: 3 }));
    w.e.testEnterOnce(id, 0x1000);
  };
  const msr = (id: number, exit: number, index: number, value = 0n) => {
    w.vmx.guest = (c) => {
      c.setReg(REG.RCX, index);
      c.setReg(REG.RAX, value & 0xffffffffn);
      c.setReg(REG.RDX, value >> 32n);
      return c.exit(exit, { length: 2 });
    };
    w.e.testEnterOnce(id, 0x1000);
    const injected = w.vmx.get(F.VM_ENTRY_INTR_INFO_FIELD);
    return { gp: (injected & 0x80000000n) !== 0n && Number(injected & 0xffn) === GP, rax: w.vmx.reg(w.e.testVcpuRegs(id), REG.RAX) };
  };
  return { ...w, lines, hc, msr };
}

describe("mitigations on the simulated VT-x CPU", () => {
  it("the boot CPU: its set, the host's IA32_SPEC_CTRL written, L1D dirty after boot", () => {
    const w = world();
    expect(w.e.specThisCpu()).toBe(S.CTRL | S.RETPOLINE | S.RSB_FILL | S.IBPB | S.VERW | S.L1D_FLUSH | S.L1D_FLUSH_CMD);
    expect(w.m.msrWrites).toContainEqual([MSR.SPEC_CTRL, 0n]);
    expect(w.e.specL1dDirty()).toBe(1);
    expect(w.lines).toContain("L1D flush before VM entry after another domain's or the host's work, through IA32_FLUSH_CMD");
  });

  it("IBPB and a dirty L1D each time a CPU enters another domain, not when it enters the same one again", () => {
    const w = world();
    const a = w.create("a"), b = w.create("b");
    const ibpbs = () => w.m.msrWrites.filter(([i, v]) => i === MSR.PRED_CMD && v === 1n).length;
    const cpuid = (id: number) => {
      w.vmx.guest = (c) => (c.setReg(REG.RAX, 0), c.exit(CPUID_EXIT, { length: 2 }));
      w.e.testEnterOnce(id, 0x1000);
    };
    cpuid(a);
    expect(ibpbs()).toBe(1);
    w.e.specL1dClean();
    cpuid(a);
    cpuid(a);
    expect(ibpbs(), "same domain again").toBe(1);
    expect(w.e.specL1dDirty(), "CPUID of the same domain leaves L1D clean").toBe(0);
    cpuid(b);
    expect(ibpbs()).toBe(2);
    expect(w.e.specL1dDirty()).toBe(1);
    w.e.specL1dClean();
    cpuid(a);
    expect(ibpbs()).toBe(3);
  });

  it("a management hypercall and a log line leave L1D dirty; a call on the caller's own does not", () => {
    const w = world();
    const ctl = w.create("ctl", "control=1");
    w.hc(ctl, 0);                    // enter once: the domain switch
    w.e.specL1dClean();
    w.hc(ctl, 0);                    // HC_VERSION
    expect(w.e.specL1dDirty()).toBe(0);
    w.hc(ctl, 4);                    // HC_DOMAIN_LIST: other domains' records
    expect(w.e.specL1dDirty()).toBe(1);
    w.e.specL1dClean();
    w.e.testDomainStop(w.create("x"), w.m.newString("stopped for the test"));  // logs a line
    expect(w.e.specL1dDirty()).toBe(1);
  });

  it("the guest's IA32_SPEC_CTRL: its bits kept for the entry stub, others #GP; IBPB and L1D flush passed to the CPU", () => {
    const w = world();
    const id = w.create("g");
    expect(w.msr(id, WRMSR, MSR.SPEC_CTRL, 0b101n).gp).toBe(false);       // IBRS, SSBD
    expect(w.vmx.reg(w.e.testVcpuRegs(id), 152)).toBe(0b101n);            // VCPU_SPEC_CTRL
    expect(w.msr(id, RDMSR, MSR.SPEC_CTRL).rax).toBe(0b101n);
    expect(w.msr(id, WRMSR, MSR.SPEC_CTRL, 0b1000n).gp).toBe(true);       // reserved bit
    expect(w.vmx.reg(w.e.testVcpuRegs(id), 152)).toBe(0b101n);
    // Only the entry stub loads the guest's value: the host's stays in the CPU.
    expect(w.m.msrWrites.filter(([i]) => i === MSR.SPEC_CTRL)).toEqual([[MSR.SPEC_CTRL, 0n]]);
    const before = w.m.msrWrites.length;
    expect(w.msr(id, WRMSR, MSR.PRED_CMD, 1n).gp).toBe(false);
    expect(w.msr(id, WRMSR, MSR.FLUSH_CMD, 1n).gp).toBe(false);
    expect(w.m.msrWrites.slice(before)).toEqual([[MSR.PRED_CMD, 1n], [MSR.FLUSH_CMD, 1n]]);
    expect(w.msr(id, WRMSR, MSR.PRED_CMD, 2n).gp).toBe(true);
    expect(w.msr(id, WRMSR, MSR.FLUSH_CMD, 0x100n).gp).toBe(true);
    // The capability MSRs it does not emulate: #GP, and CPUID does not offer them.
    expect(w.msr(id, RDMSR, MSR.ARCH_CAPABILITIES).gp).toBe(true);
  });

  it("guests see the host's speculation controls in CPUID.7.EDX, less the capability MSRs", () => {
    const w = world();
    const id = w.create("g");
    w.vmx.guest = (c) => (c.setReg(REG.RAX, 7), c.setReg(REG.RCX, 0), c.exit(CPUID_EXIT, { length: 2 }));
    w.e.testEnterOnce(id, 0x1000);
    const edx = Number(w.vmx.reg(w.e.testVcpuRegs(id), REG.RDX));
    expect(edx >>> 0).toBe((CPUID["7"][3] & ~(EDX.ARCH_CAP | EDX.CORE_CAP)) >>> 0);
  });

  it("a host without IA32_SPEC_CTRL (Bochs's Haswell): no IBPB, and the guest's accesses to those MSRs #GP", () => {
    const w = world(0);
    expect(w.e.specThisCpu()).toBe(S.RETPOLINE | S.RSB_FILL | S.VERW | S.L1D_FLUSH);
    expect(w.m.msrWrites.filter(([i]) => i === MSR.SPEC_CTRL)).toEqual([]);
    const id = w.create("g");
    for (const i of [MSR.SPEC_CTRL, MSR.PRED_CMD, MSR.FLUSH_CMD]) expect(w.msr(id, WRMSR, i, 1n).gp, `wrmsr 0x${i.toString(16)}`).toBe(true);
    expect(w.msr(id, RDMSR, MSR.SPEC_CTRL).gp).toBe(true);
    expect(w.m.msrWrites.filter(([i]) => i === MSR.PRED_CMD || i === MSR.FLUSH_CMD)).toEqual([]);
  });
});
