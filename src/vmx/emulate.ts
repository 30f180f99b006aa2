// What emulating an MMIO instruction needs beyond its decoding
// (src/vmx/decode.ts): the arithmetic and the status flags it leaves, as
// the CPU computes them (SDM Vol. 2 for each instruction, Vol. 1 3.4.3.1);
// the addresses of operands the exit does not give (segment bases, the
// effective address); and the translation of a data address through the
// guest's paging with the checks and the accessed/dirty updates the CPU
// makes (Vol. 3A 5.6, 5.8), for the other side of a MOVS and the later
// iterations of a REP string instruction. Allocates nothing.
//
// Undefined flags, by rule: AF after AND, OR, XOR and TEST is cleared (as
// Intel CPUs and Bochs leave it); BT defines only CF and leaves OF, SF, AF
// and PF as they were (ZF is unaffected by definition).
import { Domain, Vcpu } from "../domain/domain";
import { guestToHost, guestToHostWrite } from "../domain/memory";
import { gpr } from "./regs";
import { vmcsRead32, vmcsRead64, vmcsReadNat } from "./vmcs";
import {
  MmioInsn, ALU_ADD, ALU_OR, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST, ALU_BT,
  ADDR_NONE, ADDR_RIP, CODE64, SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS,
} from "./decode";
import {
  GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_IA32_EFER, GUEST_RFLAGS, GUEST_SS_ACCESS_RIGHTS,
  GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE, GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE,
  SEGMENT_AR_DPL_MASK, SEGMENT_AR_DPL_SHIFT,
} from "../arch/vmcs";
import {
  CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PSE, CR4_LA57, CR4_SMAP, EFER_LMA,
  RFLAGS_CF, RFLAGS_PF, RFLAGS_AF, RFLAGS_ZF, RFLAGS_SF, RFLAGS_OF, RFLAGS_STATUS, RFLAGS_VM, RFLAGS_AC,
} from "../arch/cr";
import { PTE_P, PTE_RW, PTE_US, PTE_A, PTE_D, PTE_PS, PTE_ADDR_MASK, PF_ERR_P, PF_ERR_W, PF_ERR_U } from "../arch/paging";
import { cmpxchg32 } from "../arch/hw";

// ── Arithmetic and flags (pure) ────────────────────────────────────────────

@inline function mask(width: u32): u64 {
  return width >= 8 ? 0xffffffffffffffff : (<u64>1 << (<u64>width << 3)) - 1;
}

// Does the operation write its result back to memory?
export function aluWrites(op: u32): bool {
  return op == ALU_ADD || op == ALU_OR || op == ALU_AND || op == ALU_SUB || op == ALU_XOR;
}

// The result of `a op b` in `width` bytes (CMP, TEST, BT: the value that
// sets the flags; BT's is `a`).
export function aluResult(op: u32, a: u64, b: u64, width: u32): u64 {
  let r: u64 = a;
  switch (op) {
    case ALU_ADD: r = a + b; break;
    case ALU_OR: r = a | b; break;
    case ALU_AND: case ALU_TEST: r = a & b; break;
    case ALU_SUB: case ALU_CMP: r = a - b; break;
    case ALU_XOR: r = a ^ b; break;
  }
  return r & mask(width);
}

// The RFLAGS bits the operation defines (aluFlags gives their values).
export function aluFlagMask(op: u32): u64 {
  return op == ALU_BT ? RFLAGS_CF : RFLAGS_STATUS;
}

// The status flags of `r = a op b` in `width` bytes (b: BT's bit offset,
// below 8 * width).
export function aluFlags(op: u32, a: u64, b: u64, r: u64, width: u32): u64 {
  const m = mask(width);
  a &= m;
  b &= m;
  r &= m;
  if (op == ALU_BT) return ((a >> b) & 1) != 0 ? RFLAGS_CF : 0;
  const sign = <u64>1 << (<u64>(width << 3) - 1);
  let f: u64 = 0;
  if (r == 0) f |= RFLAGS_ZF;
  if ((r & sign) != 0) f |= RFLAGS_SF;
  if ((popcnt<u32>(<u32>r & 0xff) & 1) == 0) f |= RFLAGS_PF;
  if (op == ALU_ADD) {
    if (r < a) f |= RFLAGS_CF;
    if (((a ^ r) & (b ^ r) & sign) != 0) f |= RFLAGS_OF;
    if (((a ^ b ^ r) & 0x10) != 0) f |= RFLAGS_AF;
  } else if (op == ALU_SUB || op == ALU_CMP) {
    if (a < b) f |= RFLAGS_CF;
    if (((a ^ b) & (a ^ r) & sign) != 0) f |= RFLAGS_OF;
    if (((a ^ b ^ r) & 0x10) != 0) f |= RFLAGS_AF;
  }
  // AND OR XOR TEST: CF = OF = 0, AF cleared (undefined).
  return f;
}

// ── Operand addresses ─────────────────────────────────────────────────────

// The guest's CPL: SS.DPL in protected mode (Vol. 3C 25.4.1), 0 in real
// mode, 3 in virtual-8086 mode.
export function guestCpl(): u32 {
  if ((vmcsReadNat(GUEST_CR0) & CR0_PE) == 0) return 0;
  if ((vmcsReadNat(GUEST_RFLAGS) & RFLAGS_VM) != 0) return 3;
  return (vmcsRead32(GUEST_SS_ACCESS_RIGHTS) & SEGMENT_AR_DPL_MASK) >> SEGMENT_AR_DPL_SHIFT;
}

function segmentBase(seg: u32): u64 {
  switch (seg) {
    case SEG_ES: return vmcsReadNat(GUEST_ES_BASE);
    case SEG_CS: return vmcsReadNat(GUEST_CS_BASE);
    case SEG_SS: return vmcsReadNat(GUEST_SS_BASE);
    case SEG_FS: return vmcsReadNat(GUEST_FS_BASE);
    case SEG_GS: return vmcsReadNat(GUEST_GS_BASE);
  }
  return vmcsReadNat(GUEST_DS_BASE);
}

// The linear address of seg:offset in code of size `cs` (Vol. 3A 3.4, 3.2.4:
// in 64-bit mode only FS and GS have a base). Segment limits are not
// checked: the CPU checked the access it faulted on.
export function linearAddress(seg: u32, offset: u64, cs: u32): u64 {
  if (cs == CODE64) return seg == SEG_FS || seg == SEG_GS ? segmentBase(seg) + offset : offset;
  return (segmentBase(seg) + offset) & 0xffffffff;
}

// The effective address (the offset in its segment) of the instruction's
// memory operand, in its address size; `nextRip` is the RIP after it.
export function operandOffset(vcpu: Vcpu, insn: MmioInsn, nextRip: u64): u64 {
  let ea = insn.disp;
  if (insn.base == ADDR_RIP) ea += nextRip;
  else if (insn.base != ADDR_NONE) ea += gpr(vcpu, insn.base);
  if (insn.index != ADDR_NONE) ea += gpr(vcpu, insn.index) << <u64>insn.scale;
  return ea & mask(insn.addrSize);
}

// ── Data addresses through the guest's paging ─────────────────────────────

export const XLATE_OK: u32 = 0;
export const XLATE_FAULT: u32 = 1;    // the CPU would raise #PF with Xlate.error
export const XLATE_RETRY: u32 = 2;    // an entry changed under the walk (another vCPU): try again later
export const XLATE_NONE: u32 = 3;     // not walkable: paging structures outside RAM, or 5-level paging

@final
export class Xlate {
  gpa: u64 = 0;
  error: u32 = 0;       // the #PF error code (XLATE_FAULT)
}

// The entries a walk used (at most 4, guest-physical), for the accessed/dirty updates.
const walkEntries = memory.data(4 * 8);
const walkValues = memory.data(4 * 8);

// Translates the linear address `lin` of a data read or write at the
// guest's CPL now, as the CPU would (Vol. 3A 5.6): a user-mode access
// needs U/S and, for a write, R/W in every entry; a supervisor write to a
// read-only page faults under CR0.WP; a supervisor access to a user page
// faults under CR4.SMAP unless RFLAGS.AC. Then it sets the accessed flag
// of every entry used and the dirty flag of the one mapping the page on a
// write (5.8), each with a LOCK CMPXCHG on the entry's low dword (where
// both are), as the CPU does: XLATE_RETRY if another vCPU changed it
// meanwhile. Reserved bits are not checked. PAE's PDPTEs are read from
// memory (the CPU's are those loaded with CR3).
export function guestDataTranslate(dom: Domain, lin: u64, write: bool, out: Xlate): u32 {
  const cr0 = vmcsReadNat(GUEST_CR0);
  if ((cr0 & CR0_PG) == 0) {
    out.gpa = lin & 0xffffffff;
    return XLATE_OK;
  }
  const cr3 = vmcsReadNat(GUEST_CR3);
  const cr4 = vmcsReadNat(GUEST_CR4);
  const user = guestCpl() == 3;
  let wide = true, levels = 4, bits: u64 = 9;
  let table: u64 = cr3 & PTE_ADDR_MASK;
  let error: u32 = (write ? PF_ERR_W : 0) | (user ? PF_ERR_U : 0);
  if ((vmcsRead64(GUEST_IA32_EFER) & EFER_LMA) != 0) {
    if ((cr4 & CR4_LA57) != 0) return XLATE_NONE;
  } else {
    lin &= 0xffffffff;
    levels = 2;
    if ((cr4 & CR4_PAE) != 0) {
      const h = guestToHost(dom, (cr3 & 0xffffffe0) + ((lin >> 30) << 3));
      if (h == 0) return XLATE_NONE;
      const pdpte = load<u64>(<usize>h);
      if ((pdpte & PTE_P) == 0) return fault(out, error);
      table = pdpte & PTE_ADDR_MASK;
    } else {
      wide = false;
      bits = 10;
      table = cr3 & 0xfffff000;
    }
  }
  let rw = true, us = true, n = 0;
  let gpa: u64 = 0;
  for (let level = levels - 1; level >= 0; level--) {
    const shift = 12 + bits * <u64>level;
    const slot = (lin >> shift) & ((<u64>1 << bits) - 1);
    const at = table + (slot << (wide ? 3 : 2));
    const h = guestToHost(dom, at);
    if (h == 0) return XLATE_NONE;
    const e: u64 = wide ? load<u64>(<usize>h) : <u64>load<u32>(<usize>h);
    if ((e & PTE_P) == 0) return fault(out, error);
    if ((e & PTE_RW) == 0) rw = false;
    if ((e & PTE_US) == 0) us = false;
    store<u64>(walkEntries + (<usize>n << 3), at);
    store<u64>(walkValues + (<usize>n << 3), e);
    n++;
    const large = (e & PTE_PS) != 0 && (wide ? level == 1 || (levels == 4 && level == 2) : level == 1 && (cr4 & CR4_PSE) != 0);
    if (level == 0 || large) {
      const size = <u64>1 << shift;
      const frame = wide ? e & PTE_ADDR_MASK & ~(size - 1) : e & 0xffffffff & ~(size - 1);
      gpa = frame | (lin & (size - 1));
      break;
    }
    table = wide ? e & PTE_ADDR_MASK : e & 0xfffff000;
  }
  error |= PF_ERR_P;
  if (user) {
    if (!us || (write && !rw)) return fault(out, error);
  } else {
    if (write && !rw && (cr0 & CR0_WP) != 0) return fault(out, error);
    if (us && (cr4 & CR4_SMAP) != 0 && (vmcsReadNat(GUEST_RFLAGS) & RFLAGS_AC) == 0) return fault(out, error);
  }
  for (let k = 0; k < n; k++) {
    const e = load<u64>(walkValues + (<usize>k << 3));
    const want = PTE_A | (k == n - 1 && write ? PTE_D : 0);
    if ((e & want) == want) continue;
    // The CPU's write of a paging-structure entry: the page becomes the
    // domain's own first (copy-on-write).
    const h = <usize>guestToHostWrite(dom, load<u64>(walkEntries + (<usize>k << 3)));
    if (h == 0) return XLATE_NONE;
    if (cmpxchg32(h, <u32>e, <u32>(e | want)) != <u32>e) return XLATE_RETRY;
  }
  out.gpa = gpa;
  return XLATE_OK;
}

function fault(out: Xlate, error: u32): u32 {
  out.error = error;
  return XLATE_FAULT;
}
