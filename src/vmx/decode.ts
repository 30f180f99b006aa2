// Decoding the instruction behind an MMIO access (an EPT violation on a
// range a device claims): the exit gives the guest-physical address and
// whether it was a read or a write, not the width, the registers or the
// instruction's length, so the bytes at RIP are decoded once here (SDM Vol.
// 2A 2.1; Vol. 2A/2B for each instruction). Pure: bytes in, a description
// out. What kernels use on MMIO registers is covered, in 16-, 32- and
// 64-bit code, with operand-size, address-size, segment and REX prefixes:
//
//   MOV     88 89 8A 8B, C6 /0 C7 /0, A0-A3 (moffs)        MMIO_LOAD / STORE / STORE_IMM
//   MOVZX MOVSX  0F B6 0F B7 0F BE 0F BF                   MMIO_LOAD
//   ADD OR AND SUB XOR  00 01 08 09 20 21 28 29 30 31      MMIO_RMW (register source)
//           80 81 83 /0 /1 /4 /5 /6                        MMIO_RMW (immediate source)
//   CMP     38 39 (mem - reg) 3A 3B (reg - mem), 80 81 83 /7   MMIO_FLAGS
//   TEST    84 85, F6 F7 /0                                MMIO_FLAGS
//   BT      0F A3 (register bit offset), 0F BA /4 ib       MMIO_FLAGS
//   XCHG    86 87                                          MMIO_XCHG
//   STOS    AA AB, MOVS A4 A5, each with or without REP    MMIO_STOS / MMIO_MOVS
//
// LOCK is taken on the read-modify-write forms (ADD ... XOR with a memory
// destination, XCHG) and refused elsewhere, where the CPU raises #UD; REP
// (F3) only on STOS and MOVS. Anything else is refused (the domain stops,
// as for an access nothing decodes).
//
//   prefixes  [REX]  opcode (1 or 2)  ModRM  [SIB]  [disp 1/2/4]  [imm 1/2/4]
//   ModRM:  7 6 │ 5 4 3 │ 2 1 0       mod 3 is a register operand (no MMIO)
//           mod │  reg  │  rm         rm 4 (32/64-bit addressing): a SIB follows
//   SIB:    7 6 │ 5 4 3 │ 2 1 0
//         scale │ index │ base        index 4 (without REX.X): none
//
// The memory operand is described too (segment, base, index, scale,
// displacement, address size), for the forms whose other addresses the
// exit does not give: BT with a register bit offset, STOS and MOVS.

export const MMIO_LOAD: u32 = 1;        // memory -> register
export const MMIO_STORE: u32 = 2;       // register -> memory
export const MMIO_STORE_IMM: u32 = 3;   // immediate -> memory
export const MMIO_RMW: u32 = 4;         // memory = memory ALU source; flags
export const MMIO_FLAGS: u32 = 5;       // flags of memory ALU source; memory and registers unchanged
export const MMIO_XCHG: u32 = 6;        // memory <-> register
export const MMIO_STOS: u32 = 7;        // ES:[rDI] = accumulator
export const MMIO_MOVS: u32 = 8;        // ES:[rDI] = seg:[rSI]

// ALU operations: 0-7 are the group-1 numbers (the /digit of 80 81 83,
// bits 5:3 of opcodes 00-3F).
export const ALU_ADD: u32 = 0;
export const ALU_OR: u32 = 1;
export const ALU_AND: u32 = 4;
export const ALU_SUB: u32 = 5;
export const ALU_XOR: u32 = 6;
export const ALU_CMP: u32 = 7;
export const ALU_TEST: u32 = 8;
export const ALU_BT: u32 = 9;
export const ALU_NONE: u32 = 0xff;      // MOV, XCHG, string forms

export const EXTEND_NONE: u32 = 0;      // MOV: a 32-bit load zero-extends, 8/16-bit keep the rest
export const EXTEND_ZERO: u32 = 1;      // MOVZX
export const EXTEND_SIGN: u32 = 2;      // MOVSX

// Code sizes (CS.L, CS.D and CR0.PE decide, SDM Vol. 3A 5.2); also the
// address sizes, in bytes.
export const CODE16: u32 = 2;
export const CODE32: u32 = 4;
export const CODE64: u32 = 8;

// Segment registers, numbered as the instruction set does (Vol. 2A 3.1.1.3).
export const SEG_ES: u32 = 0;
export const SEG_CS: u32 = 1;
export const SEG_SS: u32 = 2;
export const SEG_DS: u32 = 3;
export const SEG_FS: u32 = 4;
export const SEG_GS: u32 = 5;

// A base or index that is not a register.
export const ADDR_NONE: u32 = 0xff;
export const ADDR_RIP: u32 = 0x10;      // RIP-relative (64-bit code, mod 0 rm 5): the next instruction's RIP

export const INSN_MAX: u32 = 15;        // the architectural limit (Vol. 2A 2.3.11)

@final
export class MmioInsn {
  op: u32 = 0;          // MMIO_*; 0: not decoded
  length: u32 = 0;      // bytes, prefixes included
  width: u32 = 0;       // bytes of memory accessed: 1, 2, 4, 8 (a string form: per element)
  reg: u32 = 0;         // the register operand (0 RAX .. 15 R15): loaded, stored, ALU source, BT offset
  high8: bool = false;  // byte register AH, CH, DH or BH (reg 4-7 without REX)
  regWidth: u32 = 0;    // bytes of the register written by a LOAD
  extend: u32 = EXTEND_NONE;
  imm: u64 = 0;         // immediate source, sign-extended to `width` (BT: the bit offset byte)
  alu: u32 = ALU_NONE;  // RMW and FLAGS: the operation
  srcImm: bool = false; // RMW and FLAGS: the source is `imm`, not `reg`
  swap: bool = false;   // CMP reg, mem (3A 3B): the flags of reg - mem
  lock: bool = false;
  rep: bool = false;    // STOS, MOVS: REP, rCX iterations
  // The memory operand: seg:[base + index << scale + disp] with addrSize-byte
  // arithmetic (MOVS: its source; the destination is always ES:[rDI]).
  addrSize: u32 = 0;
  seg: u32 = SEG_DS;
  base: u32 = ADDR_NONE;
  index: u32 = ADDR_NONE;
  scale: u32 = 0;       // index shift, 0-3
  disp: u64 = 0;        // sign-extended
  error: string = "";
}

// Does the instruction write memory at the exit's address? (MOVS can do
// either: it reads its source and writes its destination.)
export function mmioWrites(i: MmioInsn): bool {
  return i.op == MMIO_STORE || i.op == MMIO_STORE_IMM || i.op == MMIO_RMW || i.op == MMIO_XCHG || i.op == MMIO_STOS;
}

const REX_W: u32 = 8, REX_R: u32 = 4, REX_X: u32 = 2, REX_B: u32 = 1;

// Byte operands (else the operand size), in decodeMmio's table.
const F_BYTE: u32 = 1;

// Decodes the `len` bytes at `code` (len <= INSN_MAX) as an instruction of
// code size `cs` into `out`; false (out.error says why) if it is not one the
// MMIO path emulates.
export function decodeMmio(code: usize, len: u32, cs: u32, out: MmioInsn): bool {
  clear(out);
  let i: u32 = 0;
  let opsize16 = false, addr: u32 = cs, rex: u32 = 0, hasRex = false;
  let seg: u32 = ADDR_NONE, lock = false, rep = false;
  // Legacy prefixes, then (64-bit code) REX, which must come last.
  while (i < len) {
    const b = <u32>load<u8>(code + i);
    if (b == 0x66) opsize16 = true;
    else if (b == 0x67) addr = cs == CODE64 ? CODE32 : cs == CODE32 ? CODE16 : CODE32;
    else if (b == 0x26) seg = SEG_ES;
    else if (b == 0x2e) seg = SEG_CS;
    else if (b == 0x36) seg = SEG_SS;
    else if (b == 0x3e) seg = SEG_DS;
    else if (b == 0x64) seg = SEG_FS;
    else if (b == 0x65) seg = SEG_GS;
    else if (b == 0xf0) lock = true;
    else if (b == 0xf3) rep = true;
    else if (b == 0xf2) return fail(out, "REPNE prefix");
    else break;
    i++;
  }
  if (cs == CODE64 && i < len && (load<u8>(code + i) & 0xf0) == 0x40) {
    rex = <u32>load<u8>(code + i) & 0x0f;
    hasRex = true;
    i++;
  }
  if (i >= len) return fail(out, "no opcode");
  let opc = <u32>load<u8>(code + i++);
  // Operand size of the non-byte forms (Vol. 2A 2.2.1.2, 3.1.1.1).
  let osize: u32 = cs == CODE16 ? 2 : 4;
  if (opsize16) osize = cs == CODE16 ? 4 : 2;
  if ((rex & REX_W) != 0) osize = 8;
  if (opc == 0x0f) {
    if (i >= len) return fail(out, "truncated");
    opc = 0x0f00 | <u32>load<u8>(code + i++);
  }
  out.addrSize = addr;
  out.lock = lock;
  out.rep = rep;

  // The forms without a ModRM byte: the accumulator and an absolute offset
  // (moffs, A0-A3: an address-size offset), the string forms.
  if (opc >= 0xa0 && opc <= 0xa5 || opc == 0xaa || opc == 0xab) {
    const w = (opc & 1) != 0 ? osize : 1;
    out.width = w;
    out.regWidth = w;
    out.reg = 0;
    out.seg = seg != ADDR_NONE ? seg : SEG_DS;
    if (lock) return fail(out, "LOCK prefix");
    if (opc <= 0xa3) {
      if (rep) return fail(out, "REP prefix");
      out.op = (opc & 2) != 0 ? MMIO_STORE : MMIO_LOAD;
      if (i + addr > len) return fail(out, "truncated");
      out.disp = readLe(code + i, addr);
      i += addr;
    } else {
      out.op = opc >= 0xaa ? MMIO_STOS : MMIO_MOVS;
    }
    out.length = i;
    return true;
  }

  let flags: u32 = 0;
  let immBytes: u32 = 0;
  let immSigned = true;       // sign-extended to the operand size (all but BT's bit offset)
  let group = false;          // the ModRM reg field is an opcode extension
  let w: u32 = 0;
  if (opc < 0x40 && (opc & 7) <= 3 && ((opc >> 3) <= 1 || (opc >> 3) >= 4)) {
    // ADD OR AND SUB XOR CMP: r/m,reg (0, 1) and reg,r/m (2, 3); only CMP reads into nothing.
    const alu = opc >> 3;
    const toReg = (opc & 2) != 0;
    if (toReg && alu != ALU_CMP) return fail(out, "opcode not emulated");
    out.op = alu == ALU_CMP ? MMIO_FLAGS : MMIO_RMW;
    out.alu = alu;
    out.swap = toReg;
    if ((opc & 1) == 0) flags |= F_BYTE;
  } else {
    switch (opc) {
      case 0x80: case 0x81: case 0x83:
        group = true;
        if (opc == 0x80) flags |= F_BYTE;
        immBytes = opc == 0x81 ? (osize == 2 ? 2 : 4) : 1;
        break;
      case 0xf6: case 0xf7:
        group = true;
        if (opc == 0xf6) flags |= F_BYTE;
        immBytes = opc == 0xf6 ? 1 : (osize == 2 ? 2 : 4);
        break;
      case 0x84: case 0x85:
        out.op = MMIO_FLAGS;
        out.alu = ALU_TEST;
        if (opc == 0x84) flags |= F_BYTE;
        break;
      case 0x86: case 0x87:
        out.op = MMIO_XCHG;
        if (opc == 0x86) flags |= F_BYTE;
        break;
      case 0x88: case 0x89:
        out.op = MMIO_STORE;
        if (opc == 0x88) flags |= F_BYTE;
        break;
      case 0x8a: case 0x8b:
        out.op = MMIO_LOAD;
        if (opc == 0x8a) flags |= F_BYTE;
        break;
      case 0xc6: case 0xc7:
        group = true;
        if (opc == 0xc6) flags |= F_BYTE;
        immBytes = opc == 0xc6 ? 1 : (osize == 2 ? 2 : 4);
        break;
      case 0x0fb6: case 0x0fb7: case 0x0fbe: case 0x0fbf:
        out.op = MMIO_LOAD;
        out.extend = (opc & 8) != 0 ? EXTEND_SIGN : EXTEND_ZERO;
        w = (opc & 1) != 0 ? 2 : 1;
        out.regWidth = osize;
        break;
      case 0x0fa3:
        out.op = MMIO_FLAGS;
        out.alu = ALU_BT;
        break;
      case 0x0fba:
        group = true;
        immBytes = 1;
        immSigned = false;
        break;
      default:
        return fail(out, "opcode not emulated");
    }
  }
  if (w == 0) {
    w = (flags & F_BYTE) != 0 ? 1 : osize;
    out.regWidth = w;
  }
  out.width = w;

  if (i >= len) return fail(out, "truncated");
  const modrm = <u32>load<u8>(code + i++);
  const mod = modrm >> 6, rm = modrm & 7, digit = (modrm >> 3) & 7;
  if (group) {
    // The operation is the ModRM reg field.
    out.srcImm = true;
    if (opc == 0x80 || opc == 0x81 || opc == 0x83) {
      if (digit == 2 || digit == 3) return fail(out, "opcode not emulated");   // ADC, SBB
      out.op = digit == ALU_CMP ? MMIO_FLAGS : MMIO_RMW;
      out.alu = digit;
    } else if (opc == 0xf6 || opc == 0xf7) {
      if (digit != 0) return fail(out, "opcode not emulated");                 // NOT NEG MUL IMUL DIV IDIV
      out.op = MMIO_FLAGS;
      out.alu = ALU_TEST;
    } else if (opc == 0xc6 || opc == 0xc7) {
      if (digit != 0) return fail(out, "opcode not emulated");
      out.op = MMIO_STORE_IMM;
      out.srcImm = false;
    } else {
      if (digit != 4) return fail(out, "opcode not emulated");                 // BTS BTR BTC
      out.op = MMIO_FLAGS;
      out.alu = ALU_BT;
    }
  } else {
    out.reg = digit | ((rex & REX_R) != 0 ? 8 : 0);
    // AH..BH: byte registers 4-7 when there is no REX prefix.
    out.high8 = !hasRex && (flags & F_BYTE) != 0 && out.reg >= 4;
  }
  if (mod == 3) return fail(out, "register operand");
  if (lock && out.op != MMIO_RMW && out.op != MMIO_XCHG) return fail(out, "LOCK prefix");
  if (rep) return fail(out, "REP prefix");

  // The memory operand and its displacement (Vol. 2A 2.1.5, Tables 2-1 to 2-3).
  let dispBytes: u32 = 0;
  let ss = false;             // based on rBP or rSP (not R12, R13): SS is the default segment
  if (addr == CODE16) {
    // [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP] [BX]
    const REG_RBX: u32 = 3, REG_RBP: u32 = 5, REG_RSI: u32 = 6, REG_RDI: u32 = 7;
    if (rm < 4) {
      out.base = (rm & 2) != 0 ? REG_RBP : REG_RBX;
      out.index = (rm & 1) != 0 ? REG_RDI : REG_RSI;
      ss = (rm & 2) != 0;
    } else if (rm == 4) out.base = REG_RSI;
    else if (rm == 5) out.base = REG_RDI;
    else if (rm == 6) {
      if (mod != 0) {
        out.base = REG_RBP;
        ss = true;
      }
    } else out.base = REG_RBX;
    if (mod == 0 && rm == 6) dispBytes = 2;
    else if (mod == 1) dispBytes = 1;
    else if (mod == 2) dispBytes = 2;
  } else {
    let base = rm;
    if (rm == 4) {
      if (i >= len) return fail(out, "truncated");
      const sib = <u32>load<u8>(code + i++);
      base = sib & 7;
      const index = ((sib >> 3) & 7) | ((rex & REX_X) != 0 ? 8 : 0);
      if (index != 4) {
        out.index = index;
        out.scale = sib >> 6;
      }
      if (mod == 0 && base == 5) {
        dispBytes = 4;        // no base: disp32
      } else {
        out.base = base | ((rex & REX_B) != 0 ? 8 : 0);
        ss = out.base == 4 || out.base == 5;
      }
    } else if (mod == 0 && rm == 5) {
      dispBytes = 4;          // disp32: RIP-relative in 64-bit code, absolute otherwise
      if (cs == CODE64) out.base = ADDR_RIP;
    } else {
      out.base = rm | ((rex & REX_B) != 0 ? 8 : 0);
      ss = out.base == 5;
    }
    if (mod == 1) dispBytes = 1;
    else if (mod == 2) dispBytes = 4;
  }
  out.seg = seg != ADDR_NONE ? seg : ss ? SEG_SS : SEG_DS;
  if (i + dispBytes > len) return fail(out, "truncated");
  out.disp = signExtend(readLe(code + i, dispBytes), dispBytes);
  i += dispBytes;
  if (immBytes != 0) {
    if (i + immBytes > len) return fail(out, "truncated");
    let v = readLe(code + i, immBytes);
    if (immSigned) v = signExtend(v, immBytes) & widthMaskOf(out.width);
    out.imm = v;
    i += immBytes;
  }
  out.length = i;
  return true;
}

function clear(out: MmioInsn): void {
  out.op = 0;
  out.length = 0;
  out.width = 0;
  out.reg = 0;
  out.high8 = false;
  out.regWidth = 0;
  out.extend = EXTEND_NONE;
  out.imm = 0;
  out.alu = ALU_NONE;
  out.srcImm = false;
  out.swap = false;
  out.lock = false;
  out.rep = false;
  out.addrSize = 0;
  out.seg = SEG_DS;
  out.base = ADDR_NONE;
  out.index = ADDR_NONE;
  out.scale = 0;
  out.disp = 0;
  out.error = "";
}

// The `n` bytes at `p`, little endian (n <= 8).
function readLe(p: usize, n: u32): u64 {
  let v: u64 = 0;
  for (let k: u32 = 0; k < n; k++) v |= <u64>load<u8>(p + k) << (<u64>k << 3);
  return v;
}

@inline function signExtend(v: u64, bytes: u32): u64 {
  if (bytes == 0 || bytes >= 8) return v;
  const shift = <u64>(64 - (bytes << 3));
  return <u64>(<i64>(v << shift) >> shift);
}

@inline function widthMaskOf(bytes: u32): u64 {
  return bytes >= 8 ? 0xffffffffffffffff : (<u64>1 << (<u64>bytes << 3)) - 1;
}

function fail(out: MmioInsn, why: string): bool {
  out.op = 0;
  out.error = why;
  return false;
}
