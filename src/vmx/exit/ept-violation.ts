// EPT violations and misconfigurations (SDM Vol. 3C 29.3.3). A domain's EPT
// maps exactly its RAM, so a write to RAM is a copy-on-write page's first
// (src/domain/memory.ts), and an access elsewhere is either a device's MMIO
// or a guest touching memory it does not own. An access to a range a device
// claims on the domain's MMIO bus is decoded once (the instruction at RIP,
// src/vmx/decode.ts) and completed here as the CPU would have completed it:
// the device's registers, the guest's registers, RFLAGS (src/vmx/emulate.ts)
// and RIP. Any other stops the domain, with the address, the access and the
// RIP (and for an instruction not emulated, its bytes) in the log.
//
// The direction: the exit's qualification says whether the access that
// faulted was a read or a write. A read-modify-write instruction (ADD ...
// XOR to memory, XCHG) faults as a write, with the read bit set too or not
// as the implementation chooses (28.2.1, Table 28-7), so only the write
// bit is compared with what the instruction does at that address. MOVS
// faults on the side that is MMIO, its source first: the bit says which.
//
// REP STOS and REP MOVS run up to MMIO_REP_BATCH iterations in one exit,
// for as long as an element is on MMIO (a run of RAM-only elements is left
// to the CPU); with more to do RIP stays on the instruction, which the guest
// then executes again from the registers left, as after an interrupt between
// iterations (Vol. 2B REP). Only the first element's address comes from the
// exit; the others, and the RAM side of a MOVS, are translated through the
// guest's paging with its checks (emulate.ts). A first element the CPU would
// fault on gets the fault (#PF, #GP for a non-canonical address); a later
// one ends the batch, and the CPU raises it itself.
import { Vcpu, Domain } from "../../domain/domain";
import { guestToHost, guestCopy, guestWriteFault } from "../../domain/memory";
import { eptLeafEntry } from "../../ept/ept";
import { ACTION_RESUME, actionStop, actionForDevice } from "../action";
import { vmcsRead64, vmcsReadNat, vmcsWriteNat, vmcsDump } from "../vmcs";
import { gpr, setGpr, setGprSized, completeInstruction, REG_RAX, REG_RCX, REG_RSI, REG_RDI } from "../regs";
import {
  decodeMmio, mmioWrites, MmioInsn, INSN_MAX, CODE64, SEG_ES, ALU_BT,
  MMIO_LOAD, MMIO_STORE, MMIO_STORE_IMM, MMIO_RMW, MMIO_FLAGS, MMIO_XCHG, MMIO_STOS, MMIO_MOVS,
  EXTEND_ZERO, EXTEND_SIGN,
} from "../decode";
import {
  aluResult, aluFlags, aluFlagMask, linearAddress, operandOffset, guestDataTranslate, Xlate,
  XLATE_OK, XLATE_FAULT, XLATE_RETRY,
} from "../emulate";
import { injectException } from "../event";
import { guestFetch, guestCodeSize } from "../guest-fetch";
import { Access, DEV_OK, widthMask } from "../../devices/device";
import { Bus } from "../../devices/bus";
import { EXIT_QUALIFICATION, GUEST_PHYSICAL_ADDRESS, GUEST_RIP, GUEST_RFLAGS, GUEST_PENDING_DEBUG_EXCEPTIONS } from "../../arch/vmcs";
import {
  EPT_VIOLATION_DATA_READ, EPT_VIOLATION_DATA_WRITE, EPT_VIOLATION_INSTRUCTION_FETCH,
  VECTOR_GP, VECTOR_PF, PENDING_DBG_BS,
} from "../../arch/vmx-exit";
import { RFLAGS_DF, RFLAGS_TF } from "../../arch/cr";
import { isCanonical } from "../../arch/paging";
import { VCPU_CR2 } from "../../arch/layout";
import { hex } from "../../lib/str";

// Iterations of a REP string instruction on MMIO done in one exit (as KVM,
// which goes back to the guest every 1024).
export const MMIO_REP_BATCH: u64 = 1024;

const PAGE: u64 = 0x1000;

// One access at a time (the big lock): decoded once, reused; `bus` is the
// one it is on (the vCPU's own, or the domain's).
let bus: Bus = changetype<Bus>(0);
const code = memory.data(<i32>INSN_MAX);
const insn = new MmioInsn();
const access = new Access();
const xl = new Xlate();
const element = memory.data(8);

export function handleEptViolation(vcpu: Vcpu): u32 {
  const q = vmcsReadNat(EXIT_QUALIFICATION);
  const gpa = vmcsRead64(GUEST_PHYSICAL_ADDRESS);
  const dom = vcpu.domain;
  const fetch = (q & EPT_VIOLATION_INSTRUCTION_FETCH) != 0;
  const write = (q & EPT_VIOLATION_DATA_WRITE) != 0;
  if (write && gpa < dom.guest.memBytes && eptLeafEntry(dom.eptPml4, gpa) != 0) {
    // RAM mapped read-only: a snapshot's page, copied on this first write
    // (or made writable by another vCPU's copy already).
    if (guestWriteFault(dom, gpa)) return ACTION_RESUME;
    return actionStop(dom, "out of memory: no frame to copy guest page " + hex(gpa & ~(PAGE - 1)) + " on its first write");
  }
  if (!fetch) {
    // The vCPU's own page (its xAPIC) first, as a CPU's LAPIC answers
    // before the bus does.
    const own = vcpu.mmio;
    if (own !== null && own.deviceAt(gpa) !== null) return mmio(vcpu, own, gpa, write);
    if (dom.mmio.deviceAt(gpa) !== null) return mmio(vcpu, dom.mmio, gpa, write);
  }
  const kind = fetch ? "fetch" : write ? "write" : (q & EPT_VIOLATION_DATA_READ) != 0 ? "read" : "access";
  return actionStop(dom, "EPT violation at " + hex(gpa) + " (" + kind + ") rip " + hex(vmcsReadNat(GUEST_RIP)));
}

// A read or write of MMIO at `gpa` on `on`: the instruction must be one
// the decoder knows and access memory there in the direction the exit
// reports. (An APIC-access exit comes here too: src/vmx/exit/apic.ts.)
export function mmio(vcpu: Vcpu, on: Bus, gpa: u64, write: bool): u32 {
  bus = on;
  const dom = vcpu.domain;
  const n = guestFetch(dom, code, INSN_MAX);
  const cs = guestCodeSize();
  if (!decodeMmio(code, n, cs, insn)) return refuse(dom, gpa, write, n, insn.error);
  if (insn.op != MMIO_MOVS && mmioWrites(insn) != write) return refuse(dom, gpa, write, n, "direction differs from the access");
  switch (insn.op) {
    case MMIO_LOAD: {
      let v = bus.read(access, gpa, insn.width);
      if (insn.extend == EXTEND_SIGN) {
        const shift = <u64>(64 - (insn.width << 3));
        v = <u64>(<i64>(v << shift) >> shift);
      }
      setRegister(vcpu, insn.extend == EXTEND_ZERO || insn.extend == EXTEND_SIGN ? v & widthMask(insn.regWidth) : v);
      break;
    }
    case MMIO_STORE: case MMIO_STORE_IMM: {
      const result = bus.write(access, gpa, insn.width, insn.op == MMIO_STORE ? register(vcpu) : insn.imm);
      if (result != DEV_OK) return actionForDevice(dom, result, bus);
      break;
    }
    case MMIO_RMW: case MMIO_FLAGS:
      return alu(vcpu, gpa, write, n, cs);
    case MMIO_XCHG: {
      // Locked by the CPU; here by the big lock, which every MMIO access takes.
      const old = bus.read(access, gpa, insn.width);
      const result = bus.write(access, gpa, insn.width, register(vcpu));
      if (result != DEV_OK) return actionForDevice(dom, result, bus);
      setRegister(vcpu, old);
      break;
    }
    default:
      return stringOp(vcpu, gpa, write, n, cs);
  }
  completeInstruction(insn.length);
  return ACTION_RESUME;
}

// The register operand's value, in the access width.
function register(vcpu: Vcpu): u64 {
  if (insn.high8) return (gpr(vcpu, insn.reg - 4) >> 8) & 0xff;
  return gpr(vcpu, insn.reg) & widthMask(insn.width);
}

// Writes the register operand (regWidth bytes), as the CPU does: AH..BH
// into bits 15:8, a 32-bit write zero-extends, 8 and 16 keep the rest.
function setRegister(vcpu: Vcpu, v: u64): void {
  if (insn.high8) setGpr(vcpu, insn.reg - 4, (gpr(vcpu, insn.reg - 4) & ~<u64>0xff00) | ((v & 0xff) << 8));
  else setGprSized(vcpu, insn.reg, v, insn.regWidth);
}

// ADD OR AND SUB XOR (the result written back), CMP TEST BT (flags only).
function alu(vcpu: Vcpu, gpa: u64, write: bool, n: u32, cs: u32): u32 {
  const dom = vcpu.domain;
  const w = insn.width;
  let at = gpa;
  let b: u64 = insn.srcImm ? insn.imm : register(vcpu);
  if (insn.alu == ALU_BT) {
    const bits = w << 3;
    if (insn.srcImm) {
      b = insn.imm & <u64>(bits - 1);
    } else {
      // A register bit offset is signed and reaches past the operand: the
      // CPU reads the operand-size word at EA + w * (offset DIV 8w) (Vol. 2A
      // BT), which must be on this device and hold the exit's address.
      const shift = <u64>(64 - bits);
      const offset = <i64>(b << shift) >> shift;
      b = <u64>offset & <u64>(bits - 1);
      const words = offset >> <i64>ctz<u32>(bits);
      const ea = (operandOffset(vcpu, insn, vmcsReadNat(GUEST_RIP) + insn.length) + <u64>(words * <i64>w)) & widthMask(insn.addrSize);
      const t = guestDataTranslate(dom, linearAddress(insn.seg, ea, cs), false, xl);
      if (t == XLATE_RETRY) return ACTION_RESUME;                // the guest executes it again
      if (t != XLATE_OK) return refuse(dom, gpa, write, n, "bit offset's address not translated");
      at = xl.gpa;
      const dev = bus.deviceAt(gpa);
      if (gpa - at >= <u64>w) return refuse(dom, gpa, write, n, "address differs from the access");
      if (bus.deviceAt(at) !== dev || bus.deviceAt(at + <u64>w - 1) !== dev) {
        return refuse(dom, gpa, write, n, "bit offset beyond the device");
      }
    }
  }
  const m = bus.read(access, at, w);
  const x = insn.swap ? b : m;
  const y = insn.swap ? m : b;
  const r = aluResult(insn.alu, x, y, w);
  if (insn.op == MMIO_RMW) {
    const result = bus.write(access, at, w, r);
    if (result != DEV_OK) return actionForDevice(dom, result, bus);
  }
  const mask = aluFlagMask(insn.alu);
  vmcsWriteNat(GUEST_RFLAGS, (vmcsReadNat(GUEST_RFLAGS) & ~mask) | (aluFlags(insn.alu, x, y, r, w) & mask));
  completeInstruction(insn.length);
  return ACTION_RESUME;
}

// ── STOS and MOVS ────────────────────────────────────────────────────────

const SIDE_RAM: u32 = 1, SIDE_MMIO: u32 = 2;
// Why an element's side cannot be accessed (besides XLATE_FAULT, XLATE_RETRY).
const SIDE_NONCANONICAL: u32 = 10;
const SIDE_NOWHERE: u32 = 11;     // neither RAM nor a device, or not walkable

// One side of a string element: where it is, and the last page translated
// (the guest's TLB, for this exit).
@final
class Side {
  kind: u32 = 0;
  gpa: u64 = 0;
  gpa2: u64 = 0;      // RAM: the part on the next page, if the element crosses one
  split: u32 = 0;     // bytes on the first page
  linPage: u64 = 1;   // 1: none (not page-aligned)
  gpaPage: u64 = 0;
}
const src = new Side();
const dst = new Side();
// The linear address of the last translation that faulted (its error code: xl.error).
let faultAt: u64 = 0;

// Finds the `size` bytes at linear `lin` for a read or a write: 0 (kind and
// gpa set), or why not.
function resolve(dom: Domain, s: Side, lin: u64, size: u32, write: bool, cs: u32): u32 {
  if (cs == CODE64 && (!isCanonical(lin) || !isCanonical(lin + <u64>size - 1))) return SIDE_NONCANONICAL;
  const first = <u32>(PAGE - (lin & (PAGE - 1)));
  s.split = size <= first ? size : first;
  let r = page(dom, s, lin, write);
  if (r != XLATE_OK) return r;
  s.gpa = s.gpaPage | (lin & (PAGE - 1));
  s.gpa2 = 0;
  if (s.split < size) {
    r = page(dom, s, lin + <u64>s.split, write);
    if (r != XLATE_OK) return r;
    s.gpa2 = s.gpaPage;
  }
  if (guestToHost(dom, s.gpa) != 0) {
    if (s.split < size && guestToHost(dom, s.gpa2) == 0) return SIDE_NOWHERE;
    s.kind = SIDE_RAM;
    return 0;
  }
  // MMIO: one access at gpa, so the element must be contiguous there.
  if (bus.deviceAt(s.gpa) === null || (s.split < size && s.gpa2 != s.gpa + <u64>s.split)) return SIDE_NOWHERE;
  s.kind = SIDE_MMIO;
  return 0;
}

// The page of `lin` into s.gpaPage, translated once per exit.
function page(dom: Domain, s: Side, lin: u64, write: bool): u32 {
  const p = lin & ~(PAGE - 1);
  if (p == s.linPage) return XLATE_OK;
  const r = guestDataTranslate(dom, lin, write, xl);
  if (r == XLATE_FAULT) faultAt = lin;
  if (r != XLATE_OK) return r == XLATE_FAULT || r == XLATE_RETRY ? r : SIDE_NOWHERE;
  s.linPage = p;
  s.gpaPage = xl.gpa & ~(PAGE - 1);
  return XLATE_OK;
}

function stringOp(vcpu: Vcpu, gpa: u64, write: bool, n: u32, cs: u32): u32 {
  const dom = vcpu.domain;
  const movs = insn.op == MMIO_MOVS;
  const size = insn.width;
  const asz = insn.addrSize;
  const amask = widthMask(asz);
  const rflags = vmcsReadNat(GUEST_RFLAGS);
  const step: u64 = (rflags & RFLAGS_DF) != 0 ? <u64>(-<i64>size) : <u64>size;
  let count: u64 = 1;
  if (insn.rep) {
    count = gpr(vcpu, REG_RCX) & amask;
    if (count == 0) {
      // Nothing to do and nothing the CPU could have faulted on.
      completeInstruction(insn.length);
      return ACTION_RESUME;
    }
  }
  let batch = count < MMIO_REP_BATCH ? count : MMIO_REP_BATCH;
  if ((rflags & RFLAGS_TF) != 0) batch = 1;      // a single-step trap after each iteration
  src.linPage = 1;
  dst.linPage = 1;
  // On the first element the exit names the MMIO side: the destination, or
  // a MOVS source on a read.
  const exitSide = movs && !write ? src : dst;
  let done: u64 = 0;
  while (done < batch) {
    const first = done == 0;
    const dLin = linearAddress(SEG_ES, gpr(vcpu, REG_RDI) & amask, cs);
    let r = resolve(dom, dst, dLin, size, true, cs);
    if (r == 0 && movs) r = resolve(dom, src, linearAddress(insn.seg, gpr(vcpu, REG_RSI) & amask, cs), size, false, cs);
    if (r == 0 && first && (exitSide.kind != SIDE_MMIO || exitSide.gpa != gpa)) {
      return refuse(dom, gpa, write, n, "address differs from the access");
    }
    if (r == 0 && dst.kind != SIDE_MMIO && !(movs && src.kind == SIDE_MMIO)) break;   // the CPU's to do
    if (r != 0) {
      if (!first) break;
      return firstFault(vcpu, r, gpa, write, n);
    }
    // Both sides found before either is touched: a read has side effects.
    let v: u64 = gpr(vcpu, REG_RAX);
    if (movs) {
      if (src.kind == SIDE_MMIO) v = bus.read(access, src.gpa, size);
      else ramCopy(dom, src, size, false);
    }
    if (dst.kind == SIDE_MMIO) {
      if (movs && src.kind == SIDE_RAM) v = load<u64>(element);
      const result = bus.write(access, dst.gpa, size, v);
      if (result != DEV_OK) return actionForDevice(dom, result, bus);
    } else {
      store<u64>(element, v);
      ramCopy(dom, dst, size, true);
    }
    setGprSized(vcpu, REG_RDI, gpr(vcpu, REG_RDI) + step, asz);
    if (movs) setGprSized(vcpu, REG_RSI, gpr(vcpu, REG_RSI) + step, asz);
    if (insn.rep) setGprSized(vcpu, REG_RCX, gpr(vcpu, REG_RCX) - 1, asz);
    done++;
  }
  if (done == count) {
    completeInstruction(insn.length);
  } else if ((rflags & RFLAGS_TF) != 0) {
    // Between iterations RIP stays on the instruction; a single-step trap
    // still follows each one.
    vmcsWriteNat(GUEST_PENDING_DEBUG_EXCEPTIONS, vmcsReadNat(GUEST_PENDING_DEBUG_EXCEPTIONS) | PENDING_DBG_BS);
  }
  return ACTION_RESUME;
}

// The element between `element` and the RAM side `s` (one or two pages).
function ramCopy(dom: Domain, s: Side, size: u32, toGuest: bool): void {
  guestCopy(dom, s.gpa, element, s.split, toGuest);
  if (s.split < size) guestCopy(dom, s.gpa2, element + s.split, size - s.split, toGuest);
}

// The first element cannot be done: what the CPU would do instead.
function firstFault(vcpu: Vcpu, why: u32, gpa: u64, write: bool, n: u32): u32 {
  const dom = vcpu.domain;
  if (why == XLATE_RETRY) return ACTION_RESUME;               // the guest executes it again
  if (why == SIDE_NONCANONICAL) {
    injectException(VECTOR_GP, true, 0);
    return ACTION_RESUME;
  }
  if (why == XLATE_FAULT) {
    store<u64>(vcpu.regs + VCPU_CR2, faultAt);
    injectException(VECTOR_PF, true, xl.error);
    return ACTION_RESUME;
  }
  return refuse(dom, gpa, write, n, "an operand is neither RAM nor a device");
}

// ── Refusals ──────────────────────────────────────────────────────────────

function refuse(dom: Domain, gpa: u64, write: bool, n: u32, why: string): u32 {
  return actionStop(dom, "MMIO " + (write ? "write" : "read") + " at " + hex(gpa) + " rip " + hex(vmcsReadNat(GUEST_RIP)) +
    ": instruction " + bytesText(n) + " not emulated (" + why + ")");
}

// "0f b6 07": the bytes fetched, for the log.
function bytesText(n: u32): string {
  if (n == 0) return "(not mapped)";
  let s = "";
  for (let i: u32 = 0; i < n && i < 8; i++) s += (i != 0 ? " " : "") + hex(load<u8>(code + i), 2).substring(2);
  return s;
}

// A malformed EPT entry is a hypervisor bug, but it is confined to the
// domain whose tables hold it.
export function handleEptMisconfig(vcpu: Vcpu): u32 {
  vmcsDump();
  return actionStop(vcpu.domain, "EPT misconfiguration at " + hex(vmcsRead64(GUEST_PHYSICAL_ADDRESS)));
}
