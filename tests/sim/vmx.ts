// A simulated VMX CPU for tests/sim/machine.ts: the "hw" imports VMXON,
// VMCLEAR, VMPTRLD, VMREAD, VMWRITE, INVEPT, INVVPID, VM entry, and the XSAVE
// family, with the status conventions of SDM Vol. 3C 31.2 (VMX_SUCCEED 0,
// VMfailInvalid 1, VMfailValid 2 with VM_INSTRUCTION_ERROR set).
//
// The VMCS of each region address is a map of field encoding -> value. The
// guest is a JS callback the test supplies: `vmenter` calls it with a context
// through which it sets exit fields (bypassing VMWRITE's read-only rule, as
// the CPU does) and the guest registers in the register block (VCPU_*
// offsets, src/arch/layout.ts). It returns 0 for a VM exit, or 2 to make the
// entry fail with VMfailValid (ctx.entryError sets the error number).

export const VMX_SUCCEED = 0;
export const VMX_FAIL_INVALID = 1;
export const VMX_FAIL_VALID = 2;

// Encodings used by the simulator itself (src/arch/vmcs.ts).
export const F = {
  VM_ENTRY_INTR_INFO_FIELD: 0x4016,
  VM_ENTRY_EXCEPTION_ERROR_CODE: 0x4018,
  VM_ENTRY_INSTRUCTION_LEN: 0x401a,
  VM_INSTRUCTION_ERROR: 0x4400,
  VM_EXIT_REASON: 0x4402,
  VM_EXIT_INTR_INFO: 0x4404,
  VM_EXIT_INTR_ERROR_CODE: 0x4406,
  IDT_VECTORING_INFO_FIELD: 0x4408,
  IDT_VECTORING_ERROR_CODE: 0x440a,
  VM_EXIT_INSTRUCTION_LEN: 0x440c,
  VMX_INSTRUCTION_INFO: 0x440e,
  GUEST_INTERRUPTIBILITY_INFO: 0x4824,
  VMX_PREEMPTION_TIMER_VALUE: 0x482e,
  EXIT_QUALIFICATION: 0x6400,
  GUEST_LINEAR_ADDRESS: 0x640a,
  GUEST_PHYSICAL_ADDRESS: 0x2400,
  GUEST_CR0: 0x6800,
  GUEST_CR3: 0x6802,
  GUEST_PDPTE0: 0x280a,
  GUEST_PDPTE3: 0x2810,
  GUEST_CR4: 0x6804,
  GUEST_RSP: 0x681c,
  GUEST_RIP: 0x681e,
  GUEST_RFLAGS: 0x6820,
  GUEST_PENDING_DEBUG_EXCEPTIONS: 0x6822,
  CR0_GUEST_HOST_MASK: 0x6000,
  CR0_READ_SHADOW: 0x6004,
  GUEST_CS_ACCESS_RIGHTS: 0x4816,
  TSC_OFFSET: 0x2010,
  GUEST_IA32_EFER: 0x2806,
  GUEST_IA32_PAT: 0x2804,
  VM_ENTRY_CONTROLS: 0x4012,
  PIN_BASED_VM_EXEC_CONTROL: 0x4000,
  CPU_BASED_VM_EXEC_CONTROL: 0x4002,
  VM_EXIT_CONTROLS: 0x400c,
  IO_BITMAP_A: 0x2000,
  IO_BITMAP_B: 0x2002,
} as const;

// Controls and event bits the simulator checks (SDM Vol. 3C 25.6.2, 25.8.3).
export const PROC_INTERRUPT_WINDOW_EXITING = 1 << 2;
export const RFLAGS_IF = 1n << 9n;
export const INTR_STATE_STI = 1, INTR_STATE_MOV_SS = 2;
export const EXIT_REASON_FAILED_VMENTRY = 0x80000000;
export const EXIT_REASON_ENTRY_FAILURE_GUEST_STATE = 33;

// VM-instruction error numbers (Table 31-1) the simulator produces.
export const VMERR = {
  VMLAUNCH_NON_CLEAR: 4,
  VMRESUME_NON_LAUNCHED: 5,
  VMPTRLD_INVALID_ADDRESS: 9,
  VMPTRLD_VMXON_POINTER: 10,
  VMPTRLD_BAD_REVISION: 11,
  UNSUPPORTED_FIELD: 12,
  WRITE_READ_ONLY: 13,
  VMXON_IN_ROOT: 15,
} as const;

// The register block (src/arch/layout.ts, VCPU_*).
export const REG = {
  RAX: 0, RCX: 8, RDX: 16, RBX: 24, RBP: 40, RSI: 48, RDI: 56, R8: 64, R9: 72, R10: 80, R11: 88,
  R12: 96, R13: 104, R14: 112, R15: 120, CR2: 128, HOST_RSP: 136, LAUNCHED: 144,
} as const;

const MASK64 = (1n << 64n) - 1n;

// Encoding layout (SDM Vol. 3D B): bit 0 access type (high half of a 64-bit
// field), 9:1 index, 11:10 type, 14:13 width; bits 12 and 31:15 reserved.
export function fieldType(enc: number): number { return (enc >>> 10) & 3; }
export function fieldWidth(enc: number): number { return (enc >>> 13) & 3; }
export const TYPE_EXIT_INFO = 1; // "VM-exit information": read-only
const WIDTH_16 = 0, WIDTH_64 = 1, WIDTH_32 = 2;

function widthMask(enc: number): bigint {
  const w = fieldWidth(enc);
  if (w === WIDTH_16) return 0xffffn;
  if (w === WIDTH_32) return 0xffffffffn;
  if (w === WIDTH_64 && (enc & 1) !== 0) return 0xffffffffn; // high half
  return MASK64;
}

function validEncoding(enc: number): boolean {
  if ((enc >>> 0) > 0x7fff || (enc & 0x1000) !== 0) return false;
  // Only 64-bit fields have a "high" access form.
  return (enc & 1) === 0 || fieldWidth(enc) === WIDTH_64;
}

export interface Vmcs {
  fields: Map<number, bigint>;
  launched: boolean;
}

// What a guest callback sees: the current VMCS (unchecked access, as the CPU
// itself writes exit fields) and the register block in wasm memory.
export interface GuestContext {
  readonly vmx: SimVmx;
  readonly regs: number;            // register block address
  readonly entry: number;           // 1-based count of VM entries
  readonly launch: boolean;         // VMLAUNCH (true) or VMRESUME
  get(field: number): bigint;
  set(field: number, value: bigint | number): void;
  reg(offset: number): bigint;
  setReg(offset: number, value: bigint | number): void;
  // Convenience: a VM exit with this reason and exit information.
  exit(reason: number, info?: { qualification?: bigint | number; length?: number; intrInfo?: number; idtVectoring?: number; idtError?: number; gpa?: bigint | number }): number;
  // A failed entry: VMfailValid with this VM-instruction error.
  fail(error: number): number;
}
export type Guest = (ctx: GuestContext) => number;

// An event injected at VM entry (VM_ENTRY_INTR_INFO_FIELD valid).
export interface EntryRecord { rip: bigint; intrInfo: number; errorCode: number; launch: boolean }

export class SimVmx {
  readonly vmcss = new Map<bigint, Vmcs>();
  current: bigint | null = null;
  vmxonRegion: bigint | null = null;
  // IA32_VMX_MISC bit 29: VMWRITE may write exit-information fields. Off by
  // default, so such a write fails as on most CPUs.
  writeAnyField = false;
  guest: Guest | null = null;
  entries = 0;
  badInjections = 0;               // entries refused for an external interrupt the guest could not take
  readonly injected: EntryRecord[] = [];
  readonly invepts: Array<[bigint, bigint]> = [];
  readonly invvpids: Array<[bigint, bigint, bigint]> = [];
  readonly vmclears: bigint[] = [];
  readonly vmptrlds: bigint[] = [];
  readonly xsaves: Array<[number, bigint]> = [];
  readonly xrstors: Array<[number, bigint]> = [];
  readonly xsetbvs: Array<[number, bigint]> = [];
  readonly xcr = new Map<number, bigint>([[0, 1n]]);
  // VMREAD/VMWRITE failures, since VMREAD's status is not returned to the wasm.
  readonly failures: Array<{ op: string; field: number; status: number; error?: number }> = [];

  constructor(private readonly memory: () => ArrayBuffer) {}

  private view(): DataView { return new DataView(this.memory()); }

  // The current VMCS, or null.
  vmcs(): Vmcs | null {
    return this.current === null ? null : this.vmcss.get(this.current) ?? null;
  }

  // Unchecked field access on the current VMCS (what the CPU does).
  get(field: number): bigint {
    const v = this.vmcs();
    if (v === null) throw new Error("SimVmx.get: no current VMCS");
    return readField(v, field);
  }
  set(field: number, value: bigint | number): void {
    const v = this.vmcs();
    if (v === null) throw new Error("SimVmx.set: no current VMCS");
    writeField(v, field, BigInt(value));
  }

  reg(regs: number, offset: number): bigint { return this.view().getBigUint64(regs + offset, true); }
  setReg(regs: number, offset: number, value: bigint | number): void {
    this.view().setBigUint64(regs + offset, BigInt.asUintN(64, BigInt(value)), true);
  }

  // VMfailValid if there is a current VMCS (the error goes into it), else
  // VMfailInvalid (SDM Vol. 3C 31.2).
  private failWith(error: number): number {
    const v = this.vmcs();
    if (v === null) return VMX_FAIL_INVALID;
    v.fields.set(F.VM_INSTRUCTION_ERROR, BigInt(error));
    return VMX_FAIL_VALID;
  }

  imports(): Record<string, Function> {
    const u64 = (x: bigint) => BigInt.asUintN(64, x);
    return {
      vmxon: (region: bigint) => {
        const r = u64(region);
        if (this.vmxonRegion !== null) return this.failWith(VMERR.VMXON_IN_ROOT);
        if ((r & 0xfffn) !== 0n) return VMX_FAIL_INVALID;
        this.vmxonRegion = r;
        return VMX_SUCCEED;
      },
      vmxoff: () => {
        this.vmxonRegion = null;
        this.current = null;
        return VMX_SUCCEED;
      },
      vmclear: (addr: bigint) => {
        const a = u64(addr);
        if ((a & 0xfffn) !== 0n) return this.failWith(2); // VMCLEAR with invalid physical address
        if (a === this.vmxonRegion) return this.failWith(3); // VMCLEAR with the VMXON pointer
        this.vmclears.push(a);
        // Launch state "clear", data flushed; the region's contents start afresh here.
        this.vmcss.set(a, { fields: new Map(), launched: false });
        if (this.current === a) this.current = null;
        return VMX_SUCCEED;
      },
      vmptrld: (addr: bigint) => {
        const a = u64(addr);
        if ((a & 0xfffn) !== 0n || a === 0n) return this.failWith(VMERR.VMPTRLD_INVALID_ADDRESS);
        if (a === this.vmxonRegion) return this.failWith(VMERR.VMPTRLD_VMXON_POINTER);
        this.vmptrlds.push(a);
        if (!this.vmcss.has(a)) this.vmcss.set(a, { fields: new Map(), launched: false });
        this.current = a;
        return VMX_SUCCEED;
      },
      vmread: (field: number) => {
        const v = this.vmcs();
        if (v === null) {
          this.failures.push({ op: "vmread", field, status: VMX_FAIL_INVALID });
          return 0n;
        }
        if (!validEncoding(field)) {
          this.failures.push({ op: "vmread", field, status: this.failWith(VMERR.UNSUPPORTED_FIELD), error: VMERR.UNSUPPORTED_FIELD });
          return 0n;
        }
        return BigInt.asIntN(64, readField(v, field));
      },
      vmwrite: (field: number, value: bigint) => {
        const v = this.vmcs();
        let status = VMX_SUCCEED;
        let error: number | undefined;
        if (v === null) status = VMX_FAIL_INVALID;
        else if (!validEncoding(field)) status = this.failWith(error = VMERR.UNSUPPORTED_FIELD);
        else if (fieldType(field) === TYPE_EXIT_INFO && !this.writeAnyField) status = this.failWith(error = VMERR.WRITE_READ_ONLY);
        else writeField(v, field, u64(value));
        if (status !== VMX_SUCCEED) this.failures.push({ op: "vmwrite", field, status, error });
        return status;
      },
      invept: (type: bigint, eptp: bigint) => {
        this.invepts.push([u64(type), u64(eptp)]);
        return VMX_SUCCEED;
      },
      invvpid: (type: bigint, vpid: bigint, addr: bigint) => {
        this.invvpids.push([u64(type), u64(vpid), u64(addr)]);
        return VMX_SUCCEED;
      },
      vmenter: (regs: number) => this.vmenter(regs),
      xsave: (area: number, mask: bigint) => { this.xsaves.push([area, u64(mask)]); },
      xrstor: (area: number, mask: bigint) => { this.xrstors.push([area, u64(mask)]); },
      xgetbv: (index: number) => BigInt.asIntN(64, this.xcr.get(index) ?? 0n),
      xsetbv: (index: number, value: bigint) => {
        this.xsetbvs.push([index, u64(value)]);
        this.xcr.set(index, u64(value));
      },
    };
  }

  // VMLAUNCH or VMRESUME as boot/vmx.asm picks them (VCPU_LAUNCHED), then
  // the guest callback up to its VM exit.
  private vmenter(regs: number): number {
    const v = this.vmcs();
    if (v === null) return VMX_FAIL_INVALID;
    const launch = this.reg(regs, REG.LAUNCHED) === 0n;
    if (launch && v.launched) return this.failWith(VMERR.VMLAUNCH_NON_CLEAR);
    if (!launch && !v.launched) return this.failWith(VMERR.VMRESUME_NON_LAUNCHED);
    if (this.guest === null) throw new Error("SimVmx: vmenter with no guest callback set");
    this.entries++;
    const intrInfo = Number(readField(v, F.VM_ENTRY_INTR_INFO_FIELD));
    // An external interrupt may be injected only into a guest that could
    // take it: RFLAGS.IF = 1, no blocking by STI or MOV SS (27.3.1.5);
    // otherwise the entry fails with "invalid guest state" (27.8).
    if ((intrInfo & 0x80000000) !== 0 && ((intrInfo >>> 8) & 7) === 0 &&
      ((readField(v, F.GUEST_RFLAGS) & RFLAGS_IF) === 0n ||
        (Number(readField(v, F.GUEST_INTERRUPTIBILITY_INFO)) & (INTR_STATE_STI | INTR_STATE_MOV_SS)) !== 0)) {
      this.badInjections++;
      v.fields.set(F.VM_EXIT_REASON, BigInt((EXIT_REASON_FAILED_VMENTRY | EXIT_REASON_ENTRY_FAILURE_GUEST_STATE) >>> 0));
      v.fields.set(F.EXIT_QUALIFICATION, 0n);
      return VMX_SUCCEED;
    }
    // Every VM exit writes the exit-information fields; start them at 0 so
    // a guest sets only those its exit defines.
    for (const f of [F.VM_EXIT_REASON, F.EXIT_QUALIFICATION, F.VM_EXIT_INTR_INFO, F.VM_EXIT_INTR_ERROR_CODE,
      F.IDT_VECTORING_INFO_FIELD, F.IDT_VECTORING_ERROR_CODE, F.VM_EXIT_INSTRUCTION_LEN, F.VMX_INSTRUCTION_INFO,
      F.GUEST_LINEAR_ADDRESS]) v.fields.set(f, 0n);
    let failError = 0;
    const self = this;
    const ctx: GuestContext = {
      vmx: this,
      regs,
      entry: this.entries,
      launch,
      get: (f) => readField(v, f),
      set: (f, value) => writeField(v, f, BigInt(value)),
      reg: (off) => self.reg(regs, off),
      setReg: (off, value) => self.setReg(regs, off, value),
      exit(reason, info = {}) {
        this.set(F.VM_EXIT_REASON, reason >>> 0);
        if (info.qualification !== undefined) this.set(F.EXIT_QUALIFICATION, BigInt(info.qualification));
        if (info.length !== undefined) this.set(F.VM_EXIT_INSTRUCTION_LEN, info.length);
        if (info.intrInfo !== undefined) this.set(F.VM_EXIT_INTR_INFO, info.intrInfo >>> 0);
        if (info.idtVectoring !== undefined) this.set(F.IDT_VECTORING_INFO_FIELD, info.idtVectoring >>> 0);
        if (info.idtError !== undefined) this.set(F.IDT_VECTORING_ERROR_CODE, info.idtError >>> 0);
        if (info.gpa !== undefined) this.set(F.GUEST_PHYSICAL_ADDRESS, BigInt(info.gpa));
        return VMX_SUCCEED;
      },
      fail(error) {
        failError = error;
        return VMX_FAIL_VALID;
      },
    };
    const event: EntryRecord | null = (intrInfo & 0x80000000) === 0 ? null : {
      rip: readField(v, F.GUEST_RIP), intrInfo: intrInfo >>> 0,
      errorCode: Number(readField(v, F.VM_ENTRY_EXCEPTION_ERROR_CODE)), launch,
    };
    const status = this.guest(ctx);
    if (status === VMX_FAIL_VALID) {
      v.fields.set(F.VM_INSTRUCTION_ERROR, BigInt(failError));
      return VMX_FAIL_VALID;
    }
    if (status !== VMX_SUCCEED) return status;
    // The entry delivered the injected event; every VM exit clears the
    // valid bit of the VM-entry interruption-information field (SDM Vol. 3C 28.2.4... "VM exits clear the valid bit").
    if (event !== null) {
      this.injected.push(event);
      writeField(v, F.VM_ENTRY_INTR_INFO_FIELD, BigInt((intrInfo & 0x7fffffff) >>> 0));
    }
    v.launched = true;
    this.setReg(regs, REG.LAUNCHED, 1n); // boot/vmx.asm vm_exit
    return VMX_SUCCEED;
  }
}

function readField(v: Vmcs, enc: number): bigint {
  if (fieldWidth(enc) === WIDTH_64 && (enc & 1) !== 0) return (v.fields.get(enc & ~1) ?? 0n) >> 32n;
  return (v.fields.get(enc) ?? 0n) & widthMask(enc);
}

function writeField(v: Vmcs, enc: number, value: bigint): void {
  value = BigInt.asUintN(64, value);
  if (fieldWidth(enc) === WIDTH_64 && (enc & 1) !== 0) {
    const full = enc & ~1;
    const old = v.fields.get(full) ?? 0n;
    v.fields.set(full, (old & 0xffffffffn) | ((value & 0xffffffffn) << 32n));
    return;
  }
  v.fields.set(enc, value & widthMask(enc));
}
