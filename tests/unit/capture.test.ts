// A domain's state as plain data (src/state/capture.ts) on the compiled wasm
// against the simulated VMX CPU: every guest-state field of the SDM's VMCS
// table is captured or named as not, every device of a PC domain is in the
// record, a capture restored into another domain of the same shape gives it
// the same VMCS fields, registers, XSAVE area and devices, and a record that
// does not fit is refused with why, the domain untouched.
import { describe, expect, it } from "vitest";
import { REG, F } from "../sim/vmx";
import { vmxMachine } from "./fixtures";

const VMCS_TYPE_GUEST = 2;
// Controls a record holds: what the guest reads of CR0 and CR4, and an
// event injection waiting for the next entry (src/arch/vmcs.ts).
const CR0_READ_SHADOW = 0x6004, CR4_READ_SHADOW = 0x6006;
const VM_ENTRY_INTR_INFO_FIELD = 0x4016, VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018, VM_ENTRY_INSTRUCTION_LEN = 0x401a;
const TSC_OFFSET = 0x2010, GUEST_RIP = 0x681e;
// Guest-state fields a VM entry checks (SDM Vol. 3C Appendix B).
const GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_DR7 = 0x681a, GUEST_RFLAGS = 0x6820;
const GUEST_IA32_DEBUGCTL = 0x2802, GUEST_IA32_PAT = 0x2804, GUEST_IA32_EFER = 0x2806, GUEST_FS_BASE = 0x680e;
const GUEST_GDTR_LIMIT = 0x4810, GUEST_INTERRUPTIBILITY_INFO = 0x4824, GUEST_ACTIVITY_STATE = 0x4826;
// A PC DomU's device models, in the order the builder makes them
// (src/lifecycle/builder.ts, src/domain/pc.ts): a new one must be named here.
const PC_DEVICES = ["DBGX", "LAPC", "8259", "IOAP", "8254", "6818", "PHST", "ACPM", "FCFG", "8042", "PT92", "U550"];
const A = 0x50000, B = 0x70000;
const D_SIZE = 8;
const DOMREC_HEADER = 56 + 16 + 200 + 16384;

const widthMask = (enc: number): bigint => {
  const w = (enc >> 13) & 3;
  return w === 0 ? 0xffffn : w === 2 ? 0xffffffffn : (1n << 64n) - 1n;
};
const fourcc = (v: number): string => String.fromCharCode(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);

function world() {
  const { m, e, vmx, create } = vmxMachine();
  const captured = Array.from({ length: e.stateCapturedCount() }, (_, i) => e.stateCapturedField(i) >>> 0);
  const uncaptured = Array.from({ length: e.stateUncapturedCount() }, (_, i) => e.stateUncapturedField(i) >>> 0);
  const make = (name: string): number => {
    const id = create(name);
    expect(e.stateStart(id)).toBe(0);
    e.stateSetPaused(id, 1);
    return id;
  };
  const fields = (id: number) => vmx.vmcss.get(e.testVcpuVmcs(id))!.fields;
  const capture = (id: number, at: number): number => {
    const n = e.stateCaptureSize(id);
    expect(m.str("stateCapture", id, at)).toBe("");
    return n;
  };
  const restore = (id: number, at: number, n: number, own = false): string => m.str("stateRestore", id, at, n, own ? 1 : 0);
  return { m, e, vmx, captured, uncaptured, make, fields, capture, restore };
}

describe("state capture: what a vCPU record holds", () => {
  it("names every guest-state field of the VMCS as captured or not, and captures only guest-visible controls besides", () => {
    const { e, captured, uncaptured } = world();
    const guest: number[] = [];
    for (let i = 0; i < e.vmcsFieldCount(); i++) if (e.vmcsFieldType(i) === VMCS_TYPE_GUEST) guest.push(e.vmcsFieldEncoding(i) >>> 0);
    expect(guest.length).toBeGreaterThan(60);
    const missing = guest.filter((f) => !captured.includes(f) && !uncaptured.includes(f));
    expect(missing.map((f) => f.toString(16))).toEqual([]);
    expect(captured.filter((f) => uncaptured.includes(f))).toEqual([]);
    expect(captured.filter((f) => !guest.includes(f)).sort()).toEqual(
      [VM_ENTRY_INTR_INFO_FIELD, VM_ENTRY_EXCEPTION_ERROR_CODE, VM_ENTRY_INSTRUCTION_LEN, CR0_READ_SHADOW, CR4_READ_SHADOW].sort());
    expect(new Set(captured).size).toBe(captured.length);
  });

  it("holds every device of a PC domain, each by its kind, after the vCPUs", () => {
    const { m, make, capture } = world();
    const id = make("a");
    const n = capture(id, A);
    expect(m.view.getUint32(A + D_SIZE, true)).toBe(n);
    const vcpus = m.view.getUint32(A + 12, true), devices = m.view.getUint32(A + 16, true);
    expect(vcpus).toBe(1);
    expect(devices).toBe(PC_DEVICES.length);
    let at = A + DOMREC_HEADER + vcpus * m.view.getUint32(A + DOMREC_HEADER + 8, true);
    const kinds: string[] = [];
    for (let i = 0; i < devices; i++) {
      kinds.push(fourcc(m.view.getUint32(at, true)));
      at += 16 + m.view.getUint32(at + 8, true);
    }
    expect(kinds).toEqual(PC_DEVICES);
    expect(at).toBe(A + n);
  });
});

describe("state capture: restore", () => {
  it("gives another domain of the same shape the captured VMCS fields, registers, XSAVE area, TSC and devices", () => {
    const { m, e, vmx, captured, make, fields, capture, restore } = world();
    const a = make("a"), b = make("b");
    // Distinct values in every captured field of a's VMCS, its registers
    // and XSAVE area, and its console.
    captured.forEach((f, i) => fields(a).set(f, (0x1111111111111111n * BigInt(i + 1)) & widthMask(f)));
    vmx.setReg(e.testVcpuRegs(a), REG.RBX, 0xfeedfacecafebeefn);
    vmx.setReg(e.testVcpuRegs(a), REG.R15, 0x0123456789abcdefn);
    const n = capture(a, A);
    const tscAt = m.tsc;
    // The XSAVE area is in the record after the fields: mark it there and
    // restore that, as a guest's FPU state.
    const rec = A + DOMREC_HEADER;
    const vsize = m.view.getUint32(rec + 8, true);
    m.view.setUint32(rec + vsize - 4, 0xa5a5a5a5, true);
    m.tsc += 1000000n;
    // (Patterns no CPU would enter: a record of this hypervisor's own.)
    expect(restore(b, A, n, true)).toBe("");
    for (const f of captured) expect(fields(b).get(f) ?? 0n, `field ${f.toString(16)}`).toBe(fields(a).get(f) ?? 0n);
    expect(vmx.reg(e.testVcpuRegs(b), REG.RBX)).toBe(0xfeedfacecafebeefn);
    expect(vmx.reg(e.testVcpuRegs(b), REG.R15)).toBe(0x0123456789abcdefn);
    // b's TSC goes on from a's at the capture, not from the host's now.
    const offA = fields(a).get(TSC_OFFSET)!, offB = fields(b).get(TSC_OFFSET)!;
    // (The simulated TSC moves a little with every read.)
    const moved = BigInt.asUintN(64, offA - offB);
    expect(moved >= 1000000n && moved < 1010000n).toBe(true);
    // Captured again, b's header and vCPU record equal a's but for the TSC
    // (the time since), the XSAVE mark included.
    expect(capture(b, B)).toBe(n);
    const differ: number[] = [];
    for (let i = 0; i < DOMREC_HEADER + vsize; i++) if (m.bytes[A + i] !== m.bytes[B + i]) differ.push(i);
    expect(differ.filter((i) => i < DOMREC_HEADER + 16 || i >= DOMREC_HEADER + 24)).toEqual([]);
    expect(m.tsc > tscAt).toBe(true);
  });

  it("a record from outside has its VMCS guest state checked as a VM entry would check it, the rest as the instructions that load it would", () => {
    const { m, e, captured, make, capture, restore } = world();
    const a = make("a"), b = make("b");
    const n = capture(a, A);
    expect(restore(b, A, n)).toBe("");
    const at = (f: number) => A + DOMREC_HEADER + e.stateFieldsAt() + captured.indexOf(f) * 8;
    const edits: Array<[string, number, (v: bigint) => bigint, RegExp]> = [
      ["CR0 without NE", GUEST_CR0, (v) => v & ~(1n << 5n), /CR0 .* breaks VMX's fixed bits/],
      ["CR0 paging without PE", GUEST_CR0, (v) => v & ~1n, /CR0 .*: paging without protection/],
      ["CR4 without VMXE", GUEST_CR4, (v) => v & ~(1n << 13n), /CR4 .* breaks VMX's fixed bits/],
      ["CR3 beyond MAXPHYADDR", GUEST_CR3, () => 1n << 60n, /CR3 .* beyond the physical address width/],
      ["PAT type 2", GUEST_IA32_PAT, () => 0x0007040600070402n, /IA32_PAT .* reserved memory type/],
      ["EFER bit 9", GUEST_IA32_EFER, (v) => v | (1n << 9n), /IA32_EFER .* sets bits a guest cannot/],
      ["EFER LME without LMA", GUEST_IA32_EFER, (v) => v & ~(1n << 10n), /LMA and LME differ/],
      ["DEBUGCTL bit 2", GUEST_IA32_DEBUGCTL, () => 4n, /IA32_DEBUGCTL .* reserved/],
      ["DR7 high", GUEST_DR7, () => 1n << 40n, /DR7 .* 63:32/],
      ["RFLAGS bit 1 clear", GUEST_RFLAGS, () => 0n, /RFLAGS .* reserved/],
      ["RIP not canonical", GUEST_RIP, () => 0x0000800000000000n, /RIP .* outside its mode's range/],
      ["GDTR limit", GUEST_GDTR_LIMIT, () => 0x10000n, /GDTR or IDTR limit/],
      ["FS base", GUEST_FS_BASE, () => 0x8000000000000000n, /not canonical/],
      ["activity 4", GUEST_ACTIVITY_STATE, () => 4n, /activity state/],
      ["interruptibility both", GUEST_INTERRUPTIBILITY_INFO, () => 3n, /interruptibility/],
      ["inject type 1", VM_ENTRY_INTR_INFO_FIELD, () => 0x80000100n, /an event to inject/],
      ["inject #GP without its code", VM_ENTRY_INTR_INFO_FIELD, () => 0x8000030dn, /an event to inject .*: error code/],
      ["inject NMI vector 3", VM_ENTRY_INTR_INFO_FIELD, () => 0x80000203n, /an event to inject/],
    ];
    const good = Uint8Array.from(m.bytes.subarray(A, A + n));
    for (const [what, f, edit, re] of edits) {
      m.bytes.set(good, A);
      m.view.setBigUint64(at(f), BigInt.asUintN(64, edit(m.view.getBigUint64(at(f), true))), true);
      expect(restore(b, A, n), what).toMatch(new RegExp(`^vCPU 0: .*${re.source}`));
    }
    m.bytes.set(good, A);
    expect(restore(b, A, n)).toBe("");
    // What the record holds beyond the VMCS, checked as XSETBV, WRMSR and
    // XRSTOR would check it (a refused value would fault in the host when
    // the vCPU is switched in). Offsets: specCtrl, xcr0, kernelGsBase,
    // lstar, sfmask, tscAux, the XSAVE area.
    const v = (i: number) => A + DOMREC_HEADER + e.stateVcpuFieldAt(i);
    const xsave = v(6);
    const extras: Array<[string, () => void, RegExp]> = [
      ["XCR0 without x87", () => m.view.setBigUint64(v(1), 2n, true), /XCR0 0x0*2 not one XSETBV takes/],
      ["XCR0 AVX without SSE", () => m.view.setBigUint64(v(1), 5n, true), /XCR0 .* not one XSETBV takes/],
      ["XCR0 beyond the host", () => m.view.setBigUint64(v(1), 0x207n, true), /XCR0 .* not one XSETBV takes/],
      ["KERNEL_GS_BASE", () => m.view.setBigUint64(v(2), 0x0000800000000000n, true), /IA32_KERNEL_GS_BASE, IA32_LSTAR or IA32_CSTAR not canonical/],
      ["LSTAR", () => m.view.setBigUint64(v(3), 0x8000000000000000n, true), /IA32_KERNEL_GS_BASE, IA32_LSTAR or IA32_CSTAR not canonical/],
      ["FMASK high", () => m.view.setBigUint64(v(4), 1n << 32n, true), /IA32_FMASK or IA32_TSC_AUX: bits 63:32 set/],
      ["TSC_AUX high", () => m.view.setBigUint64(v(5), 1n << 40n, true), /IA32_FMASK or IA32_TSC_AUX: bits 63:32 set/],
      // This simulated host has no IA32_SPEC_CTRL (specBoot not run): any bit is refused.
      ["SPEC_CTRL", () => m.view.setBigUint64(v(0), 1n, true), /IA32_SPEC_CTRL 0x0*1 sets bits this CPU lacks/],
      ["MXCSR bit 16", () => m.view.setUint32(xsave + 24, 0x11f80, true), /MXCSR sets reserved bits/],
      ["XSTATE_BV bit 9", () => m.view.setBigUint64(xsave + 512, 0x203n, true), /XSTATE_BV names components this CPU lacks/],
      ["XCOMP_BV", () => m.view.setBigUint64(xsave + 520, 1n << 63n, true), /the XSAVE header sets reserved bytes/],
      ["header byte 63", () => m.bytes[xsave + 575] = 1, /the XSAVE header sets reserved bytes/],
    ];
    for (const [what, edit, re] of extras) {
      m.bytes.set(good, A);
      edit();
      expect(restore(b, A, n), what).toMatch(new RegExp(`^vCPU 0: ${re.source}`));
    }
    m.bytes.set(good, A);
    expect(restore(b, A, n)).toBe("");
  });

  it("refuses a record that does not fit, saying why, and leaves the domain as it was", () => {
    const { m, e, vmx, make, fields, capture, restore } = world();
    const a = make("a"), b = make("b");
    fields(a).set(GUEST_RIP, 0x1234n);
    fields(b).set(GUEST_RIP, 0x5678n);
    vmx.setReg(e.testVcpuRegs(a), REG.RBX, 1n);
    vmx.setReg(e.testVcpuRegs(b), REG.RBX, 2n);
    const n = capture(a, A);
    const offB = fields(b).get(TSC_OFFSET);
    const bad = (what: string, edit: () => void, len = n, pattern: RegExp): void => {
      m.bytes.copyWithin(B, A, A + n);
      edit();
      expect(restore(b, B, len), what).toMatch(pattern);
      expect(fields(b).get(GUEST_RIP), what).toBe(0x5678n);
      expect(vmx.reg(e.testVcpuRegs(b), REG.RBX), what).toBe(2n);
      expect(fields(b).get(TSC_OFFSET), what).toBe(offB);
    };
    bad("truncated", () => {}, n - 1, /size \d+ in \d+ bytes/);
    bad("truncated header", () => {}, 100, /truncated/);
    bad("magic", () => m.view.setUint32(B, 0x12345678, true), n, /magic/);
    bad("version", () => m.view.setUint32(B + 4, 9, true), n, /version 9/);
    bad("vCPU count", () => m.view.setUint32(B + 12, 2, true), n, /2 vCPUs, the domain has 1/);
    bad("vCPU record", () => m.view.setUint32(B + DOMREC_HEADER + 12, 7, true), n, /vCPU 0: not its record/);
    // The PIT's block says it is another device; the last device's size runs past the end.
    const vsize = m.view.getUint32(A + DOMREC_HEADER + 8, true);
    let pit = B + DOMREC_HEADER + vsize;
    for (let i = 0; i < 4; i++) pit += 16 + m.view.getUint32(pit + 8, true);
    bad("device kind", () => m.view.setUint32(pit, 0x41414141, true), n, /saved by another device/);
    bad("device size", () => m.view.setUint32(pit + 8, 0x7fffffff, true), n, /truncated/);
    bad("memory size", () => m.view.setBigUint64(B + 24, 1n << 30n, true), n, /memory size/);
    bad("event page", () => m.view.setBigUint64(B + 32, 0x123n, true), n, /event page outside/);
    // Not paused: refused too.
    e.stateSetPaused(b, 0);
    expect(restore(b, A, n)).toMatch(/not paused/);
    expect(m.str("stateCapture", b, B)).toMatch(/not paused/);
  });
});

describe("INIT and STARTUP of a PC's second vCPU (src/domain/pc.ts, src/vmx/event.ts)", () => {
  const GUEST_CS_SELECTOR = 0x802, CPUID = 10, ACT_NEXT = 1;

  it("a STARTUP sent after an INIT the vCPU has not taken yet starts it when it takes the INIT; one without an INIT is ignored", () => {
    const { e, vmx, create } = vmxMachine();
    const id = create("two", "vcpus=2");
    const cs = (): bigint => vmx.vmcss.get(e.stateVcpuVmcs(id, 1))!.fields.get(GUEST_CS_SELECTOR) ?? 0n;
    const enter = (): { cs: bigint; rip: bigint } => {
      const seen = { cs: -1n, rip: -1n };
      vmx.guest = (c) => {
        seen.cs = c.get(GUEST_CS_SELECTOR);
        seen.rip = c.get(F.GUEST_RIP);
        return c.exit(CPUID, { length: 2 });
      };
      expect(e.stateEnterOnce(id, 1, 0x100000) >>> 0).toBe(ACT_NEXT);
      return seen;
    };
    // In wait-for-SIPI from creation, INIT and STARTUP start it at once.
    expect(e.stateVcpuWaitSipi(id, 1)).toBe(1);
    e.stateApicSend(id, 0, 0, 0, 1);
    e.stateApicSend(id, 0, 1, 0x08, 1);
    expect(e.stateVcpuWaitSipi(id, 1)).toBe(0);
    expect(enter()).toEqual({ cs: 0x800n, rip: 0n });
    // Running now: a STARTUP alone is dropped.
    e.stateApicSend(id, 0, 1, 0x0a, 1);
    expect(enter().cs).toBe(0x800n);
    // INIT, then a STARTUP before vCPU 1 had a CPU to take the INIT on: at
    // its next entry it takes both and starts at the STARTUP's page.
    e.stateApicSend(id, 0, 0, 0, 1);
    e.stateApicSend(id, 0, 1, 0x09, 1);
    expect(enter()).toEqual({ cs: 0x900n, rip: 0n });
    expect(e.stateVcpuWaitSipi(id, 1)).toBe(0);
    expect(cs()).toBe(0x900n);
    // INIT alone: it waits for a STARTUP and does not enter.
    e.stateApicSend(id, 0, 0, 0, 1);
    expect(e.stateEnterOnce(id, 1, 0x100000) >>> 0).not.toBe(ACT_NEXT);
    expect(e.stateVcpuWaitSipi(id, 1)).toBe(1);
  });
});
