// VMCS field encodings (src/arch/vmcs.ts), VM-instruction errors and exit
// reasons (src/arch/vmx-exit.ts), as compiled into the wasm.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Halted, Machine } from "../sim/machine";
import { ACCESSOR_WIDTH, WIDTH_NAME, checkAccesses, sourceFiles, vmcsConstants } from "../harness/vmcs-access";
import { vmxMachine } from "./fixtures";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ARCH_VMCS = readFileSync(`${ROOT}/src/arch/vmcs.ts`, "utf8");

const WIDTH_BITS: Record<number, number> = { 0: 16, 1: 64, 2: 32, 3: 64 /* natural */ };

function fields(m: Machine) {
  const n = m.exports.vmcsFieldCount();
  const out: Array<{ enc: number; width: number; type: number; name: string }> = [];
  for (let i = 0; i < n; i++) {
    const enc = m.exports.vmcsFieldEncoding(i) >>> 0;
    out.push({ enc, width: m.exports.vmcsFieldWidth(i), type: m.exports.vmcsFieldType(i), name: m.str("vmcsFieldName", enc)! });
  }
  return out;
}

describe("VMCS field encodings (SDM Vol. 3D Appendix B)", () => {
  const m = new Machine();
  const all = fields(m);

  it("lists every field group of Appendix B", () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
    for (let w = 0; w < 4; w++) for (let t = 0; t < 4; t++) {
      if (w === 0 && t === 1) continue; // no 16-bit read-only fields
      expect(all.some((f) => f.width === w && f.type === t), `width ${w} type ${t}`).toBe(true);
    }
  });

  it("encodes the declared width in bits 14:13 and type in bits 11:10", () => {
    for (const f of all) {
      expect((f.enc >> 13) & 3, f.name).toBe(f.width);
      expect((f.enc >> 10) & 3, f.name).toBe(f.type);
      expect(f.enc >>> 15, f.name).toBe(0);
      expect(f.enc & (1 << 12), f.name).toBe(0);
    }
  });

  it("uses full access (bit 0 clear) for every field and unique encodings and names", () => {
    for (const f of all) expect(f.enc & 1, f.name).toBe(0);
    expect(new Set(all.map((f) => f.enc)).size).toBe(all.length);
    expect(new Set(all.map((f) => f.name)).size).toBe(all.length);
    expect(all.map((f) => f.name)).not.toContain("unknown");
  });

  it("names agree with the type: GUEST_ / HOST_ prefixes and the read-only fields", () => {
    for (const f of all) {
      if (f.type === 3) expect(f.name, f.name).toMatch(/^HOST_/);
      if (f.name.startsWith("HOST_")) expect(f.type, f.name).toBe(3);
      if (f.name.startsWith("GUEST_") && f.name !== "GUEST_PHYSICAL_ADDRESS" && f.name !== "GUEST_LINEAR_ADDRESS") {
        expect(f.type, f.name).toBe(2);
      }
    }
  });

  it("keeps each group in ascending index order, as Appendix B lists them", () => {
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1], b = all[i];
      if ((a.enc & ~0x3ff) === (b.enc & ~0x3ff)) expect(b.enc, b.name).toBeGreaterThan(a.enc);
    }
  });

  it("has the well-known encodings", () => {
    const by = new Map(all.map((f) => [f.name, f]));
    const known: Record<string, [number, number]> = {
      VIRTUAL_PROCESSOR_ID: [0x0000, 16], GUEST_ES_SELECTOR: [0x0800, 16], GUEST_TR_SELECTOR: [0x080e, 16],
      HOST_TR_SELECTOR: [0x0c0c, 16], IO_BITMAP_A: [0x2000, 64], IO_BITMAP_B: [0x2002, 64], MSR_BITMAP: [0x2004, 64],
      VM_EXIT_MSR_STORE_ADDR: [0x2006, 64], VM_EXIT_MSR_LOAD_ADDR: [0x2008, 64], VM_ENTRY_MSR_LOAD_ADDR: [0x200a, 64],
      TSC_OFFSET: [0x2010, 64], VIRTUAL_APIC_PAGE_ADDR: [0x2012, 64], APIC_ACCESS_ADDR: [0x2014, 64],
      EPT_POINTER: [0x201a, 64], EOI_EXIT_BITMAP0: [0x201c, 64], EOI_EXIT_BITMAP3: [0x2022, 64],
      VMREAD_BITMAP: [0x2026, 64], VMWRITE_BITMAP: [0x2028, 64], XSS_EXITING_BITMAP: [0x202c, 64],
      TSC_MULTIPLIER: [0x2032, 64], GUEST_PHYSICAL_ADDRESS: [0x2400, 64], VMCS_LINK_POINTER: [0x2800, 64],
      GUEST_IA32_DEBUGCTL: [0x2802, 64], GUEST_IA32_PAT: [0x2804, 64], GUEST_IA32_EFER: [0x2806, 64],
      GUEST_PDPTE0: [0x280a, 64], GUEST_PDPTE3: [0x2810, 64], HOST_IA32_PAT: [0x2c00, 64], HOST_IA32_EFER: [0x2c02, 64],
      PIN_BASED_VM_EXEC_CONTROL: [0x4000, 32], CPU_BASED_VM_EXEC_CONTROL: [0x4002, 32], EXCEPTION_BITMAP: [0x4004, 32],
      PAGE_FAULT_ERROR_CODE_MASK: [0x4006, 32], PAGE_FAULT_ERROR_CODE_MATCH: [0x4008, 32], CR3_TARGET_COUNT: [0x400a, 32],
      VM_EXIT_CONTROLS: [0x400c, 32], VM_EXIT_MSR_STORE_COUNT: [0x400e, 32], VM_EXIT_MSR_LOAD_COUNT: [0x4010, 32],
      VM_ENTRY_CONTROLS: [0x4012, 32], VM_ENTRY_MSR_LOAD_COUNT: [0x4014, 32], VM_ENTRY_INTR_INFO_FIELD: [0x4016, 32],
      VM_ENTRY_EXCEPTION_ERROR_CODE: [0x4018, 32], VM_ENTRY_INSTRUCTION_LEN: [0x401a, 32], TPR_THRESHOLD: [0x401c, 32],
      SECONDARY_VM_EXEC_CONTROL: [0x401e, 32], PLE_GAP: [0x4020, 32], PLE_WINDOW: [0x4022, 32],
      VM_INSTRUCTION_ERROR: [0x4400, 32], VM_EXIT_REASON: [0x4402, 32], VM_EXIT_INTR_INFO: [0x4404, 32],
      VM_EXIT_INTR_ERROR_CODE: [0x4406, 32], IDT_VECTORING_INFO_FIELD: [0x4408, 32], IDT_VECTORING_ERROR_CODE: [0x440a, 32],
      VM_EXIT_INSTRUCTION_LEN: [0x440c, 32], VMX_INSTRUCTION_INFO: [0x440e, 32],
      GUEST_ES_LIMIT: [0x4800, 32], GUEST_IDTR_LIMIT: [0x4812, 32], GUEST_ES_ACCESS_RIGHTS: [0x4814, 32],
      GUEST_TR_ACCESS_RIGHTS: [0x4822, 32], GUEST_INTERRUPTIBILITY_INFO: [0x4824, 32], GUEST_ACTIVITY_STATE: [0x4826, 32],
      GUEST_SYSENTER_CS: [0x482a, 32], VMX_PREEMPTION_TIMER_VALUE: [0x482e, 32], HOST_IA32_SYSENTER_CS: [0x4c00, 32],
      CR0_GUEST_HOST_MASK: [0x6000, 64], CR4_GUEST_HOST_MASK: [0x6002, 64], CR0_READ_SHADOW: [0x6004, 64],
      CR4_READ_SHADOW: [0x6006, 64], CR3_TARGET_VALUE0: [0x6008, 64], CR3_TARGET_VALUE3: [0x600e, 64],
      EXIT_QUALIFICATION: [0x6400, 64], GUEST_LINEAR_ADDRESS: [0x640a, 64],
      GUEST_CR0: [0x6800, 64], GUEST_CR3: [0x6802, 64], GUEST_CR4: [0x6804, 64], GUEST_ES_BASE: [0x6806, 64],
      GUEST_GDTR_BASE: [0x6816, 64], GUEST_IDTR_BASE: [0x6818, 64], GUEST_DR7: [0x681a, 64], GUEST_RSP: [0x681c, 64],
      GUEST_RIP: [0x681e, 64], GUEST_RFLAGS: [0x6820, 64], GUEST_PENDING_DEBUG_EXCEPTIONS: [0x6822, 64],
      GUEST_SYSENTER_ESP: [0x6824, 64], GUEST_SYSENTER_EIP: [0x6826, 64],
      HOST_CR0: [0x6c00, 64], HOST_CR3: [0x6c02, 64], HOST_CR4: [0x6c04, 64], HOST_FS_BASE: [0x6c06, 64],
      HOST_GS_BASE: [0x6c08, 64], HOST_TR_BASE: [0x6c0a, 64], HOST_GDTR_BASE: [0x6c0c, 64], HOST_IDTR_BASE: [0x6c0e, 64],
      HOST_IA32_SYSENTER_ESP: [0x6c10, 64], HOST_IA32_SYSENTER_EIP: [0x6c12, 64], HOST_RSP: [0x6c14, 64], HOST_RIP: [0x6c16, 64],
    };
    for (const [name, [enc, bits]] of Object.entries(known)) {
      const f = by.get(name);
      expect(f, name).toBeDefined();
      expect(f!.enc, name).toBe(enc);
      expect(WIDTH_BITS[f!.width], name).toBe(bits);
    }
    expect(m.str("vmcsFieldName", 0x681f)).toBe("unknown"); // the high half of a natural field does not exist
  });
});

describe("VM-instruction errors (SDM Vol. 3C 31.4, Table 31-1)", () => {
  const m = new Machine();
  it("describes every number, reserved ones as reserved", () => {
    expect(m.str("vmInstructionErrorText", 7)).toBe("VM entry with invalid control field(s)");
    expect(m.str("vmInstructionErrorText", 8)).toBe("VM entry with invalid host-state field(s)");
    expect(m.str("vmInstructionErrorText", 12)).toMatch(/unsupported VMCS component/);
    expect(m.str("vmInstructionErrorText", 28)).toMatch(/INVEPT\/INVVPID/);
    for (const n of [14, 21, 27, 29, 1000]) expect(m.str("vmInstructionErrorText", n), String(n)).toBe("reserved");
    for (let n = 1; n <= 28; n++) if (![14, 21, 27].includes(n)) expect(m.str("vmInstructionErrorText", n)).not.toBe("reserved");
  });
});

describe("basic exit reasons (SDM Vol. 3D Appendix C)", () => {
  const m = new Machine();
  const RESERVED = [35, 38, 42, 71];
  it("names every number below EXIT_REASON_COUNT, or calls it reserved", () => {
    const count = m.exports.exitReasonCount();
    expect(count).toBe(78);
    const names = new Set<string>();
    for (let n = 0; n < count; n++) {
      const name = m.str("exitReasonName", n)!;
      if (RESERVED.includes(n)) {
        expect(name, String(n)).toBe("reserved");
      } else {
        expect(name, String(n)).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(names.has(name), name).toBe(false);
        names.add(name);
      }
    }
    expect(names.size).toBe(count - RESERVED.length);
    expect(m.str("exitReasonName", count)).toBe("reserved");
    expect(m.str("exitReasonName", 0xffff)).toBe("reserved");
  });
  it("uses the SDM numbering", () => {
    const known: Record<number, string> = {
      0: "EXCEPTION_OR_NMI", 1: "EXTERNAL_INTERRUPT", 2: "TRIPLE_FAULT", 7: "INTERRUPT_WINDOW", 10: "CPUID", 12: "HLT",
      18: "VMCALL", 28: "CR_ACCESS", 30: "IO_INSTRUCTION", 31: "RDMSR", 32: "WRMSR", 33: "ENTRY_FAILURE_GUEST_STATE",
      48: "EPT_VIOLATION", 49: "EPT_MISCONFIG", 52: "VMX_PREEMPTION_TIMER_EXPIRED", 55: "XSETBV", 74: "BUS_LOCK",
      77: "TDCALL",
    };
    for (const [n, name] of Object.entries(known)) expect(m.str("exitReasonName", Number(n))).toBe(name);
  });
});

// The rows of the field table as the source writes them, and the constants
// of the field sections above it (Appendix B groups B.1.1 to B.4.4).
function sourceTable() {
  const rows = [...ARCH_VMCS.matchAll(/^ {2}([A-Z0-9_]+), changetype<u32>\("([A-Z0-9_]+)"\), (B_\d_\d),$/gm)]
    .map((m) => ({ constant: m[1], name: m[2], group: m[3] }));
  const sections = ARCH_VMCS.slice(ARCH_VMCS.indexOf("// ── 16-bit control fields (B.1.1)"), ARCH_VMCS.indexOf("// ── The field table"));
  const consts = vmcsConstants(ARCH_VMCS);
  const defined = [...vmcsConstants(sections).keys()];
  return { rows, consts, defined };
}

describe("the field table (src/arch/vmcs.ts)", () => {
  const m = new Machine();
  const { rows, consts, defined } = sourceTable();

  it("has one row per field constant, in the order defined, named as the constant", () => {
    expect(rows.length).toBe(m.exports.vmcsFieldCount());
    expect(rows.map((r) => r.constant)).toEqual(defined);
    for (const r of rows) expect(r.name, r.constant).toBe(r.constant);
  });

  it("is what the wasm walks: encodings and names by row", () => {
    rows.forEach((r, i) => {
      expect(m.exports.vmcsFieldEncoding(i) >>> 0, r.name).toBe(consts.get(r.constant));
      expect(m.str("vmcsFieldName", consts.get(r.constant)), r.name).toBe(r.name);
    });
    expect(m.exports.vmcsFieldEncoding(rows.length) >>> 0).toBe(0xffffffff);
    expect(m.exports.vmcsFieldWidth(rows.length) >>> 0).toBe(0xffffffff);
    expect(m.exports.vmcsFieldType(rows.length) >>> 0).toBe(0xffffffff);
  });

  it("names each group after its Appendix B section: B.<width>.<type>", () => {
    // B.1 (16-bit) has no read-only data group: its guest and host groups are B.1.2, B.1.3.
    const section = (width: number, type: number) => `B_${width + 1}_${width === 0 ? [1, -1, 2, 3][type] : type + 1}`;
    rows.forEach((r, i) => expect(r.group, r.name).toBe(section(m.exports.vmcsFieldWidth(i), m.exports.vmcsFieldType(i))));
  });
});

describe("VMCS accessors match the field width, bits 14:13 (src/vmx/vmcs.ts)", () => {
  const { rows, consts } = sourceTable();
  const fields = new Map(rows.map((r) => [r.constant, consts.get(r.constant)!]));
  const report = checkAccesses(sourceFiles(ROOT), fields);

  it("uses the accessor of the field's width at every call in src/", () => {
    expect(report.problems).toEqual([]);
    expect(report.accesses.length).toBeGreaterThan(100);
    // Only the test entry point takes its field from outside the code.
    expect(report.dynamic).toEqual(["src/exports.ts testVmcsAccess"]);
  });

  it("has an accessor for every field's width, and the one it names is its width's", () => {
    for (const [name, enc] of fields) {
      const width = (enc >> 13) & 3;
      const ok = Object.keys(ACCESSOR_WIDTH).filter((a) => ACCESSOR_WIDTH[a] === width);
      expect(ok.length, name).toBe(2); // a read and a write
      for (const a of report.accesses.filter((x) => x.field === name)) expect(ok, `${a.file}:${a.line}`).toContain(a.accessor);
    }
  });

  it("reports a wrong width, directly and through a parameter, and a field it cannot resolve", () => {
    const files = new Map([["src/vmx/bad.ts", [
      "import { vmcsRead32, vmcsWrite16 as w16 } from \"./vmcs\";",
      "import * as F from \"../arch/vmcs\";",
      "export function a(): u32 { return vmcsRead32(F.GUEST_RIP); }",
      "function seg(sel: u32, v: u16): void { w16(sel, v); }",
      "export function b(): void { seg(F.GUEST_ES_SELECTOR, 0); seg(F.GUEST_ES_LIMIT, 0); }",
      "export function c(x: u32): u32 { return vmcsRead32(x + 2); }",
    ].join("\n")]]);
    const r = checkAccesses(files, fields);
    expect(r.problems).toEqual([
      "src/vmx/bad.ts:3: vmcsRead32(GUEST_RIP): the field is natural-width (encoding 0x681e)",
      "src/vmx/bad.ts:5: vmcsWrite16(GUEST_ES_LIMIT via seg()): the field is 32-bit (encoding 0x4800)",
      "src/vmx/bad.ts:6: vmcsRead32(x + 2): field not resolved to a constant",
    ]);
    expect(r.accesses.map((a) => a.field)).toEqual(["GUEST_RIP", "GUEST_ES_SELECTOR", "GUEST_ES_LIMIT"]);
  });
});

describe("the test build checks each access as it runs (tests/sim)", () => {
  const ACCESSORS = ["vmcsRead16", "vmcsRead32", "vmcsRead64", "vmcsReadNat", "vmcsWrite16", "vmcsWrite32", "vmcsWrite64", "vmcsWriteNat"];
  // One writable field of each width: 16-bit, 64-bit, 32-bit, natural.
  const FIELD = [
    { name: "GUEST_ES_SELECTOR", enc: 0x0800 }, { name: "TSC_OFFSET", enc: 0x2010 },
    { name: "GUEST_ES_LIMIT", enc: 0x4800 }, { name: "GUEST_RIP", enc: 0x681e },
  ];

  it("passes an accessor of the field's width", () => {
    const { e, vmx, create } = vmxMachine();
    create("acc");
    ACCESSORS.forEach((accessor, n) => {
      const f = FIELD[ACCESSOR_WIDTH[accessor]];
      const value = 0x1234n + BigInt(n);
      if (n >= 4) {
        expect(e.testVmcsAccess(n, f.enc, value), accessor).toBe(0n);
        expect(vmx.get(f.enc), accessor).toBe(value);
      } else {
        vmx.set(f.enc, value);
        expect(BigInt.asUintN(64, BigInt(e.testVmcsAccess(n, f.enc, 0n))), accessor).toBe(value);
      }
    });
    expect(vmx.failures).toEqual([]);
  });

  it("panics naming the field and the accessor on any other width", () => {
    let checked = 0;
    ACCESSORS.forEach((accessor, n) => {
      for (const [width, f] of FIELD.entries()) {
        if (width === ACCESSOR_WIDTH[accessor]) continue;
        const m = new Machine(); // no VMX: the check comes before any VMREAD or VMWRITE
        expect(() => m.exports.testVmcsAccess(n, f.enc, 0n), `${accessor} ${f.name}`).toThrow(Halted);
        const hex = f.enc.toString(16).padStart(4, "0");
        expect(m.serial).toContain(`hv: VMCS field ${f.name} (0x${hex}), ${WIDTH_NAME[width]}, accessed with ${accessor}\r\n`);
        expect(m.serial).toContain("hv: PANIC: VMCS access of the wrong width");
        checked++;
      }
    });
    expect(checked).toBe(24);
  });
});
