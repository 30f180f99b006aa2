// Building strings at boot time without floating point: hex and decimal
// formatting and byte strings from physical memory. (AssemblyScript's
// number-to-string code is generic over floats; these stay integer-only.)

const HEX_DIGITS = "0123456789abcdef";

// A new string of `len` UTF-16 units, to be filled in by the caller.
@inline function alloc(len: i32): string {
  return changetype<string>(__new(<usize>len << 1, idof<string>()));
}

// `v` as 0x-prefixed hex with at least `digits` digits.
export function hex(v: u64, digits: i32 = 1): string {
  let n = 1;
  while (n < 16 && (v >> (<u64>n * 4)) != 0) n++;
  if (n < digits) n = digits;
  const s = alloc(n + 2);
  const p = changetype<usize>(s);
  store<u16>(p, 0x30);
  store<u16>(p + 2, 0x78);
  for (let i = 0; i < n; i++) {
    const d = <i32>((v >> (<u64>(n - 1 - i) * 4)) & 0xf);
    store<u16>(p + 4 + (<usize>i << 1), HEX_DIGITS.charCodeAt(d));
  }
  return s;
}

export function dec(v: u64): string {
  let n = 1;
  for (let t = v; t >= 10; t /= 10) n++;
  const s = alloc(n);
  const p = changetype<usize>(s);
  for (let i = n - 1; i >= 0; i--) {
    store<u16>(p + (<usize>i << 1), <u16>(0x30 + <u32>(v % 10)));
    v /= 10;
  }
  return s;
}

// The `len` bytes at `addr` as a string, one UTF-16 unit per byte (Latin-1).
export function stringFromBytes(addr: usize, len: u32): string {
  const s = alloc(<i32>len);
  const p = changetype<usize>(s);
  for (let i: u32 = 0; i < len; i++) {
    store<u16>(p + (<usize>i << 1), <u16>load<u8>(addr + <usize>i));
  }
  return s;
}

// Length of the NUL-terminated string at `addr`, looking at no more than
// `limit` bytes; -1 if there is no NUL among them.
export function strnlen(addr: usize, limit: u32): i32 {
  for (let i: u32 = 0; i < limit; i++) {
    if (load<u8>(addr + <usize>i) == 0) return <i32>i;
  }
  return -1;
}

// `s` as a JSON string literal (quotes included). Two passes, one
// allocation: the stub runtime never frees, so no concatenation in loops.
export function jsonString(s: string): string {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c == 0x22 || c == 0x5c ? 2 : c < 0x20 || c >= 0x7f ? 6 : 1;
  }
  const out = alloc(n);
  let p = changetype<usize>(out);
  store<u16>(p, 0x22);
  p += 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) {
      store<u16>(p, 0x5c);
      store<u16>(p + 2, <u16>c);
      p += 4;
    } else if (c < 0x20 || c >= 0x7f) {
      store<u16>(p, 0x5c);
      store<u16>(p + 2, 0x75); // u
      for (let k = 0; k < 4; k++) {
        store<u16>(p + 4 + (<usize>k << 1), HEX_DIGITS.charCodeAt((c >> ((3 - k) * 4)) & 0xf));
      }
      p += 12;
    } else {
      store<u16>(p, <u16>c);
      p += 2;
    }
  }
  store<u16>(p, 0x22);
  return out;
}

// A copy of `s`, in the region allocations go to now (src/mm/region.ts):
// how a string made for a moment becomes part of what outlives it.
export function strCopy(s: string): string {
  const n = s.length;
  const c = alloc(n);
  memory.copy(changetype<usize>(c), changetype<usize>(s), <usize>n << 1);
  return c;
}
