// Decoding the instruction behind an MMIO access (an EPT violation on a
// range a device claims): the exit gives the guest-physical address and
// whether it was a read or a write, not the width, the register or the
// instruction's length, so the bytes at RIP are decoded once here (SDM Vol.
// 2A 2.1, Vol. 2B MOV, MOVZX, MOVSX). What drivers use for MMIO registers
// is covered: MOV between a register or an immediate and memory (also the
// accumulator's absolute-offset forms), and MOVZX/MOVSX loads, with operand-size, address-size, segment and REX prefixes,
// in 16-, 32- and 64-bit code. Anything else is refused (the domain stops,
// as for an access nothing decodes). Pure: bytes in, a description out.
//
//   prefixes  [REX]  opcode (1 or 2)  ModRM  [SIB]  [disp 1/2/4]  [imm 1/2/4]
//   ModRM:  7 6 │ 5 4 3 │ 2 1 0       mod 3 is a register operand (no MMIO)
//           mod │  reg  │  rm         rm 4 (32/64-bit addressing): a SIB follows

export const MMIO_LOAD: u32 = 1;        // memory -> register
export const MMIO_STORE: u32 = 2;       // register -> memory
export const MMIO_STORE_IMM: u32 = 3;   // immediate -> memory

export const EXTEND_NONE: u32 = 0;      // MOV: a 32-bit load zero-extends, 8/16-bit keep the rest
export const EXTEND_ZERO: u32 = 1;      // MOVZX
export const EXTEND_SIGN: u32 = 2;      // MOVSX

// Code sizes (CS.L, CS.D and CR0.PE decide, SDM Vol. 3A 5.2).
export const CODE16: u32 = 2;
export const CODE32: u32 = 4;
export const CODE64: u32 = 8;

export const INSN_MAX: u32 = 15;        // the architectural limit (Vol. 2A 2.3.11)

@final
export class MmioInsn {
  op: u32 = 0;          // MMIO_*; 0: not decoded
  length: u32 = 0;      // bytes, prefixes included
  width: u32 = 0;       // bytes of memory accessed: 1, 2, 4, 8
  reg: u32 = 0;         // register number (0 RAX .. 15 R15), for LOAD and STORE
  high8: bool = false;  // byte register AH, CH, DH or BH (reg 4-7 without REX)
  regWidth: u32 = 0;    // bytes of the register written by a LOAD
  extend: u32 = EXTEND_NONE;
  imm: u64 = 0;         // STORE_IMM, sign-extended to `width`
  error: string = "";
}

const REX_W: u32 = 8, REX_R: u32 = 4;

// Decodes the `len` bytes at `code` (len <= INSN_MAX) as an instruction of
// code size `cs` into `out`; false (out.error says why) if it is not one the
// MMIO path emulates.
export function decodeMmio(code: usize, len: u32, cs: u32, out: MmioInsn): bool {
  out.op = 0;
  out.error = "";
  let i: u32 = 0;
  let opsize16 = false, addr: u32 = cs, rex: u32 = 0, hasRex = false;
  // Legacy prefixes, then (64-bit code) REX, which must come last.
  while (i < len) {
    const b = <u32>load<u8>(code + i);
    if (b == 0x66) opsize16 = true;
    else if (b == 0x67) addr = cs == CODE64 ? CODE32 : cs == CODE32 ? CODE16 : CODE32;
    else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65) { /* segment: the address is known */ }
    else if (b == 0xf0 || b == 0xf2 || b == 0xf3) return fail(out, "LOCK/REP prefix");
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
  let immBytes: u32 = 0;
  if (opc == 0x0f) {
    if (i >= len) return fail(out, "truncated");
    opc = 0x0f00 | <u32>load<u8>(code + i++);
  }
  // MOV between the accumulator and an absolute offset (moffs, A0-A3): no
  // ModRM, an address-size offset.
  if (opc >= 0xa0 && opc <= 0xa3) {
    const w = (opc & 1) != 0 ? osize : 1;
    set(out, (opc & 2) != 0 ? MMIO_STORE : MMIO_LOAD, w, w, EXTEND_NONE);
    out.reg = 0;
    out.high8 = false;
    i += addr;
    if (i > len) return fail(out, "truncated");
    out.length = i;
    return true;
  }
  switch (opc) {
    case 0x88: set(out, MMIO_STORE, 1, 1, EXTEND_NONE); break;
    case 0x89: set(out, MMIO_STORE, osize, osize, EXTEND_NONE); break;
    case 0x8a: set(out, MMIO_LOAD, 1, 1, EXTEND_NONE); break;
    case 0x8b: set(out, MMIO_LOAD, osize, osize, EXTEND_NONE); break;
    case 0xc6: set(out, MMIO_STORE_IMM, 1, 1, EXTEND_NONE); immBytes = 1; break;
    case 0xc7: set(out, MMIO_STORE_IMM, osize, osize, EXTEND_NONE); immBytes = osize == 2 ? 2 : 4; break;
    case 0x0fb6: set(out, MMIO_LOAD, 1, osize, EXTEND_ZERO); break;
    case 0x0fb7: set(out, MMIO_LOAD, 2, osize, EXTEND_ZERO); break;
    case 0x0fbe: set(out, MMIO_LOAD, 1, osize, EXTEND_SIGN); break;
    case 0x0fbf: set(out, MMIO_LOAD, 2, osize, EXTEND_SIGN); break;
    default: return fail(out, "opcode not emulated");
  }
  if (i >= len) return fail(out, "truncated");
  const modrm = <u32>load<u8>(code + i++);
  const mod = modrm >> 6, rm = modrm & 7;
  if (mod == 3) return fail(out, "register operand");
  const reg = ((modrm >> 3) & 7) | ((rex & REX_R) != 0 ? 8 : 0);
  if (out.op == MMIO_STORE_IMM && (modrm & 0x38) != 0) return fail(out, "opcode not emulated");
  out.reg = reg;
  // AH..BH: byte registers 4-7 when there is no REX prefix.
  out.high8 = !hasRex && (opc == 0x88 || opc == 0x8a) && reg >= 4 && reg < 8;
  // The displacement's size (Vol. 2A 2.1.5, Tables 2-1 and 2-2).
  let disp: u32 = 0;
  if (addr == CODE16) {
    if (mod == 0 && rm == 6) disp = 2;
    else if (mod == 1) disp = 1;
    else if (mod == 2) disp = 2;
  } else {
    let base = rm;
    if (rm == 4) {
      if (i >= len) return fail(out, "truncated");
      base = <u32>load<u8>(code + i++) & 7;   // SIB
    }
    if (mod == 0 && base == 5) disp = 4;      // disp32 (RIP-relative when rm is 5 in 64-bit code)
    else if (mod == 1) disp = 1;
    else if (mod == 2) disp = 4;
  }
  i += disp;
  if (immBytes != 0) {
    if (i + immBytes > len) return fail(out, "truncated");
    let v: u64 = 0;
    for (let k: u32 = 0; k < immBytes; k++) v |= <u64>load<u8>(code + i + k) << (<u64>k << 3);
    // A 32-bit immediate of a 64-bit store is sign-extended.
    if (immBytes == 4 && out.width == 8) v = <u64><i64><i32><u32>v;
    out.imm = v;
    i += immBytes;
  }
  if (i > len) return fail(out, "truncated");
  out.length = i;
  return true;
}

@inline function set(out: MmioInsn, op: u32, width: u32, regWidth: u32, extend: u32): void {
  out.op = op;
  out.width = width;
  out.regWidth = regWidth;
  out.extend = extend;
  out.imm = 0;
}

function fail(out: MmioInsn, why: string): bool {
  out.op = 0;
  out.error = why;
  return false;
}
