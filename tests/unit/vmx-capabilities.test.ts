// VT-x detection and capability decoding (src/vmx/capabilities.ts) on the
// compiled wasm, against MSR values read from real CPUs.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

// A real Intel Core i7 "Coffee Lake" host (CPUID.1:EAX = 0x000906ea), as
// logged by VirtualBox 6.1 ("HM:" lines of a public VBox.log found with code
// search). The same EPT_VPID_CAP and MISC values appear in vmxcap output
// from Skylake-class hosts posted to the KVM mailing list (2019).
const COFFEE_LAKE = {
  cpuid1: [0x000906ea, 0x03100800, 0x7ffafbbf, 0xbfebfbff] as [number, number, number, number],
  msrs: {
    0x3a: 0x20005n,                   // IA32_FEATURE_CONTROL: lock, VMX outside SMX, SGX launch
    0x480: 0xda040000000004n,         // IA32_VMX_BASIC
    0x481: 0x7f00000016n,             // IA32_VMX_PINBASED_CTLS
    0x482: 0xfff9fffe0401e172n,       // IA32_VMX_PROCBASED_CTLS
    0x483: 0x1ffffff00036dffn,        // IA32_VMX_EXIT_CTLS
    0x484: 0x3ffff000011ffn,          // IA32_VMX_ENTRY_CTLS
    0x485: 0x7004c1e7n,               // IA32_VMX_MISC
    0x486: 0x80000021n, 0x487: 0xffffffffn, 0x488: 0x2000n, 0x489: 0x3727ffn,
    0x48a: 0x2en,                     // IA32_VMX_VMCS_ENUM
    0x48b: 0x5fbcff00000000n,         // IA32_VMX_PROCBASED_CTLS2
    0x48c: 0xf0106734141n,            // IA32_VMX_EPT_VPID_CAP
    0x48d: 0x7f00000016n,             // IA32_VMX_TRUE_PINBASED_CTLS
    0x48e: 0xfff9fffe04006172n,       // IA32_VMX_TRUE_PROCBASED_CTLS
    0x48f: 0x1ffffff00036dfbn,        // IA32_VMX_TRUE_EXIT_CTLS
    0x490: 0x3ffff000011fbn,          // IA32_VMX_TRUE_ENTRY_CTLS
    0x491: 0x1n,                      // IA32_VMX_VMFUNC
  } as Record<number, bigint>,
};

// A Core 2 (Merom-class) shape: VMX without TRUE controls and without
// secondary controls, so no EPT. The legacy control values are the ones
// real CPUs of that era report (the pin/proc values also appear in the
// cmpe283 module dump in jasonliu96/linux cmpe283/MODULE_OUTPUT.md).
const CORE2 = {
  cpuid1: [0x000006f6, 0x00020800, 0x0000e3bd, 0xbfebfbff] as [number, number, number, number],
  msrs: {
    0x3a: 0x5n,
    0x480: 0x5a08000000000dn,         // revision 13, 2048 bytes, WB, no TRUE MSRs
    0x481: 0x3f00000016n,
    0x482: 0x77f9fffe0401e172n,       // allowed-1 bit 31 (secondary controls) clear
    0x483: 0x3fff00036dffn,
    0x484: 0x3fff000011ffn,
    0x485: 0x403c0n,
  } as Record<number, bigint>,
};

function machine(cpu: { cpuid1: [number, number, number, number]; msrs: Record<number, bigint> }, msrs: Record<number, bigint> = {}): Machine {
  return new Machine({ cpuid: { "0": [0x16, 0x756e6547, 0x6c65746e, 0x49656e69], "1": cpu.cpuid1 }, msrs: { ...cpu.msrs, ...msrs } });
}

const lines = (s: string) => s.replace(/\r/g, "").split("\n").filter((l) => l.length > 0);
const hex = (n: number | bigint) => BigInt(n).toString(16);

describe("VMX capability decoding (pure)", () => {
  const m = new Machine();
  const e = m.exports;
  it("decodes IA32_VMX_BASIC", () => {
    expect(e.vmxRevisionId(0xda040000000004n)).toBe(4);
    expect(e.vmxRegionSize(0xda040000000004n)).toBe(1024);
    expect(e.vmxMemoryType(0xda040000000004n)).toBe(6);
    expect(e.vmxHasTrueControls(0xda040000000004n)).toBe(1);
    expect(e.vmxRevisionId(0x5a08000000000dn)).toBe(13);
    expect(e.vmxRegionSize(0x5a08000000000dn)).toBe(2048);
    expect(e.vmxHasTrueControls(0x5a08000000000dn)).toBe(0);
    // bit 31 is not part of the revision; 4096 is encoded as bit 44.
    expect(e.vmxRevisionId(0x80000001n)).toBe(1);
    expect(e.vmxRegionSize(0x100000000000n)).toBe(4096);
  });

  it("splits control MSRs into allowed-0 and allowed-1", () => {
    expect(e.vmxAllowed0(0xfff9fffe04006172n) >>> 0).toBe(0x04006172);
    expect(e.vmxAllowed1(0xfff9fffe04006172n) >>> 0).toBe(0xfff9fffe);
    expect(e.vmxCanSet(0xfff9fffe04006172n, 0x80000000)).toBe(1); // secondary controls
    expect(e.vmxCanSet(0xfff9fffe04006172n, 1 << 17)).toBe(0);    // reserved bit 17
    // Must-be-1 bits are forced on, unsupported ones dropped.
    expect(e.vmxAdjustControls(0x7f00000016n, 0x81) >>> 0).toBe(0x17);
    expect(e.vmxAdjustControls(0x1ffffff00036dfbn, 0x200 | 0x8000 | 0x80000000) >>> 0).toBe(0x0003effb);
  });

  it("decodes IA32_VMX_MISC", () => {
    expect(e.vmxPreemptionTimerRate(0x7004c1e7n)).toBe(7);
    expect(e.vmxStoresLma(0x7004c1e7n)).toBe(1);
    expect(e.vmxHltActivity(0x7004c1e7n)).toBe(1);
    expect(e.vmxCr3TargetCount(0x7004c1e7n)).toBe(4);
    expect(e.vmxMaxMsrListSize(0x7004c1e7n)).toBe(512);
    expect(e.vmxPreemptionTimerRate(0x300481e5n)).toBe(5);
    expect(e.vmxMaxMsrListSize(0x0e000000n)).toBe(4096);
    expect(e.vmxCr3TargetCount(0x01000000n)).toBe(256);
    expect(e.vmxStoresLma(0x403c0n)).toBe(0);
  });

  it("decodes IA32_VMX_EPT_VPID_CAP", () => {
    const cap = 0xf0106734141n;
    for (const bit of [0, 6, 8, 14, 16, 17, 20, 21, 22, 25, 26, 32, 40, 41, 42, 43]) {
      expect(e.eptVpidHas(cap, 1n << BigInt(bit)), `bit ${bit}`).toBe(1);
    }
    for (const bit of [7, 23, 33, 39]) expect(e.eptVpidHas(cap, 1n << BigInt(bit)), `bit ${bit}`).toBe(0);
    expect(m.str("eptFeatureText", cap)).toBe("4-level walk, WB, 2M pages, 1G pages, A/D flags, INVEPT single/all-context");
    expect(m.str("invvpidTypesText", cap)).toBe("INVVPID individual/single/all");
    // An older CPU: no A/D, no 1G pages, only all-context INVEPT.
    expect(m.str("eptFeatureText", 0x6114141n)).toBe("4-level walk, WB, 2M pages, INVEPT single/all-context");
    expect(m.str("eptFeatureText", 0x4104041n)).toBe("4-level walk, WB, INVEPT all-context");
    expect(m.str("eptFeatureText", 0n)).toBe("none");
    expect(m.str("invvpidTypesText", 0n)).toBe("no INVVPID");
    expect(e.eptUsable(0x5fbcff00000000n, cap)).toBe(1);
    expect(e.eptUsable(0x5fbcff00000000n, 0x4000n)).toBe(0); // no 4-level walk
    expect(e.eptUsable(0x4100000000n, cap)).toBe(0);          // EPT control cannot be set
  });
});

describe("vmxProbe on a Coffee Lake host", () => {
  it("reports VT-x available with the TRUE controls and prints the summary", () => {
    const m = machine(COFFEE_LAKE);
    expect(m.exports.vmxProbe()).toBe(0);
    expect(m.exports.vmxStatus()).toBe(0);
    expect(m.str("vmxMissingReason")).toBe("");
    expect(m.msrWrites).toEqual([]); // firmware locked it with VMX on: left alone
    m.exports.vmxPrintSummary();
    const out = lines(m.takeSerial());
    expect(out[0]).toBe("vmx: VT-x available");
    for (const l of out) expect(l.startsWith("vmx: ")).toBe(true);
    expect(out).toEqual([
      "vmx: VT-x available",
      "vmx: VMCS revision 0x00000004, region 1024 bytes, memory type WB",
      "vmx: EPT yes: 4-level walk, WB, 2M pages, 1G pages, A/D flags, INVEPT single/all-context",
      "vmx: VPID yes: INVVPID individual/single/all",
      "vmx: unrestricted guest yes",
      "vmx: VMX-preemption timer yes, rate TSC/128",
      "vmx: APIC virtualization no, virtual-interrupt delivery no, posted interrupts no, VMCS shadowing no",
      "vmx: virtual NMIs yes, HLT activity state yes, stores LMA yes, CR3 targets 4, MSR lists 512",
      "vmx: controls (allowed-0/allowed-1): pin 0x00000016/0x0000007f, proc 0x04006172/0xfff9fffe, " +
        "proc2 0x00000000/0x005fbcff, exit 0x00036dfb/0x01ffffff, entry 0x000011fb/0x0003ffff (TRUE MSRs)",
      "vmx: required features present: EPT, unrestricted guest",
    ]);
  });

  it("locks IA32_FEATURE_CONTROL with VMX enabled when firmware left it unlocked", () => {
    const m = machine(COFFEE_LAKE, { 0x3a: 0n });
    expect(m.exports.vmxProbe()).toBe(0);
    expect(m.msrWrites).toEqual([[0x3a, 0x5n]]);
    expect(m.msrs.get(0x3a)).toBe(0x5n);
    expect(BigInt.asUintN(64, m.exports.vmxFeatureControlBefore())).toBe(0n);
    expect(BigInt.asUintN(64, m.exports.vmxFeatureControl())).toBe(5n);
    // Bits firmware set but did not lock are kept.
    const m2 = machine(COFFEE_LAKE, { 0x3a: 0x20002n });
    expect(m2.exports.vmxProbe()).toBe(0);
    expect(m2.msrWrites).toEqual([[0x3a, 0x20007n]]);
  });

  it("uses the legacy control MSRs of the TRUE-less Bochs-style BASIC", () => {
    const msrs = { ...COFFEE_LAKE.msrs, 0x480: 0x5a040000000004n };
    delete (msrs as any)[0x48d]; delete (msrs as any)[0x48e]; delete (msrs as any)[0x48f]; delete (msrs as any)[0x490];
    const m = machine({ cpuid1: COFFEE_LAKE.cpuid1, msrs });
    expect(m.exports.vmxProbe()).toBe(0);
    m.exports.vmxPrintSummary();
    expect(m.takeSerial()).toContain("proc 0x0401e172/0xfff9fffe");
  });
});

describe("CPUs without usable VT-x", () => {
  const checkParagraph = (text: string, firstLine: string) => {
    const out = lines(text);
    expect(out[0]).toBe(firstLine);
    for (const l of out) expect(l.length, l).toBeLessThan(80);
    const all = out.join("\n");
    expect(all).toContain("enable Intel Virtualization Technology (VT-x) in the firmware setup");
    expect(all).toMatch(/Bochs, which emulates VMX and\s+EPT \(`make run` does\)/);
    expect(all).toContain("`modprobe kvm_intel nested=1`");
    expect(all).toContain("`-enable-kvm -cpu host`");
    expect(all).toContain("needs Intel VT-x with EPT and unrestricted guest");
    return out;
  };

  it("no VMX in CPUID (an AMD CPU, or QEMU TCG): no MSR is touched", () => {
    // QEMU's qemu64 model under TCG: CPUID.1:ECX = 0x80202001 (no VMX).
    const m = new Machine({ cpuid: { "1": [0x000663, 0x800, 0x80202001, 0x0783fbfd] } });
    expect(m.exports.vmxProbe()).toBe(1);
    expect(m.str("vmxMissingReason")).toBe("CPUID.1:ECX.VMX is clear");
    expect(m.msrWrites).toEqual([]);
    m.exports.vmxPrintMissing();
    const out = checkParagraph(m.takeSerial(), "VT-x is not available: CPUID.1:ECX.VMX is clear.");
    expect(out[1]).toBe("This CPU does not offer VMX (an AMD CPU, or QEMU without KVM).");
    m.exports.vmxPrintSummary();
    expect(lines(m.takeSerial())).toEqual(["vmx: VT-x not available: CPUID.1:ECX.VMX is clear"]);
  });

  it("firmware locked VMX off", () => {
    const m = machine(COFFEE_LAKE, { 0x3a: 0x1n });
    expect(m.exports.vmxProbe()).toBe(2);
    expect(m.msrWrites).toEqual([]);
    m.exports.vmxPrintMissing();
    const out = checkParagraph(m.takeSerial(),
      "VT-x is not available: the firmware locked VMX off in IA32_FEATURE_CONTROL.");
    expect(out[1]).toBe("IA32_FEATURE_CONTROL is locked with VMX disabled by the firmware.");
    // Locked with VMX enabled only inside SMX is still "off" for us.
    expect(machine(COFFEE_LAKE, { 0x3a: 0x3n }).exports.vmxProbe()).toBe(2);
  });

  it("VMX without secondary controls (Core 2): no EPT, absent MSRs never read", () => {
    const m = machine(CORE2); // reading 0x48b..0x490 would throw #GP in the sim
    expect(m.exports.vmxProbe()).toBe(3);
    expect(m.str("vmxMissingReason")).toBe("VMX lacks EPT, unrestricted guest");
    m.exports.vmxPrintSummary();
    const out = lines(m.takeSerial());
    expect(out).toContain("vmx: VT-x available");
    expect(out).toContain("vmx: VMCS revision 0x0000000d, region 2048 bytes, memory type WB");
    expect(out).toContain("vmx: EPT no");
    expect(out).toContain("vmx: VPID no");
    expect(out).toContain("vmx: unrestricted guest no");
    expect(out).toContain("vmx: VMX-preemption timer no");
    expect(out[out.length - 1]).toBe("vmx: missing: EPT, unrestricted guest");
    m.exports.vmxPrintMissing();
    const para = checkParagraph(m.takeSerial(), "VT-x is not available: VMX lacks EPT, unrestricted guest.");
    expect(para[1]).toBe("This CPU's VT-x is too old for this hypervisor.");
  });

  it("VMX with secondary controls but no EPT (Penryn): EPT_VPID_CAP never read", () => {
    const m = machine(CORE2, { 0x482: 0xf7f9fffe0401e172n, 0x48b: 0x4100000000n });
    expect(m.exports.vmxProbe()).toBe(3);
    expect(m.str("vmxMissingReason")).toBe("VMX lacks EPT, unrestricted guest");
  });

  it("EPT without unrestricted guest (Nehalem): only that is missing", () => {
    // Nehalem: EPT and VPID but no unrestricted guest (proc2 allowed-1 0x6b).
    const m = machine(CORE2, { 0x482: 0xf7f9fffe0401e172n, 0x48b: 0x6b00000000n, 0x48c: 0xf0106114141n });
    expect(m.exports.vmxProbe()).toBe(3);
    expect(m.str("vmxMissingReason")).toBe("VMX lacks unrestricted guest");
  });

  it("before vmxProbe", () => {
    const m = new Machine();
    expect(m.exports.vmxStatus()).toBe(-1);
    expect(m.str("vmxMissingReason")).toBe("VT-x was not probed");
  });
});
