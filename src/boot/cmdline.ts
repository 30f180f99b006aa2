// The hypervisor command line: words separated by spaces or tabs, each either
// a flag (`nosmp`) or an option (`console=com1`). No quoting. Matching is
// exact: `hasFlag("nosmpx", "nosmp")` and `optionValue("loglevel=3", "log")`
// are both negative. The last occurrence of an option wins, as in Linux.

@inline function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

// Does the word [start, end) of `s` equal `w` (all of it)?
function wordIs(s: string, start: i32, end: i32, w: string): bool {
  if (end - start != w.length) return false;
  for (let i = 0; i < w.length; i++) {
    if (s.charCodeAt(start + i) != w.charCodeAt(i)) return false;
  }
  return true;
}

// The value of `key=value`, "" for `key=`, or null when `key=` is absent.
export function optionValue(cmdline: string, key: string): string | null {
  let result: string | null = null;
  const n = cmdline.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(cmdline.charCodeAt(i))) i++;
    const start = i;
    let eq = -1;
    while (i < n && !isSpace(cmdline.charCodeAt(i))) {
      if (eq < 0 && cmdline.charCodeAt(i) == 0x3d) eq = i;
      i++;
    }
    if (eq >= 0 && wordIs(cmdline, start, eq, key)) result = cmdline.substring(eq + 1, i);
  }
  return result;
}

// Is `word` present as a whole word (not as the key of an option)?
export function hasFlag(cmdline: string, word: string): bool {
  const n = cmdline.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(cmdline.charCodeAt(i))) i++;
    const start = i;
    while (i < n && !isSpace(cmdline.charCodeAt(i))) i++;
    if (i > start && wordIs(cmdline, start, i, word)) return true;
  }
  return false;
}

// parseSize's answer for anything that is not a size.
export const BAD_SIZE: u64 = 0xffffffffffffffff;

// `s` as a size: decimal or 0x hex, optional K/M/G suffix; BAD_SIZE if it is
// not one or does not fit in 48 bits (no real size or address does).
export function parseSize(s: string): u64 {
  let n = s.length;
  if (n == 0) return BAD_SIZE;
  let shift: u64 = 0;
  const last = s.charCodeAt(n - 1) | 0x20;
  if (last == 0x6b) shift = 10;        // k
  else if (last == 0x6d) shift = 20;   // m
  else if (last == 0x67) shift = 30;   // g
  if (shift != 0) n--;
  let i = 0;
  let base: u64 = 10;
  if (n > 2 && s.charCodeAt(0) == 0x30 && (s.charCodeAt(1) | 0x20) == 0x78) {
    base = 16;
    i = 2;
  }
  if (i >= n) return BAD_SIZE;
  const limit: u64 = <u64>1 << 48;
  let v: u64 = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    let d: i32 = -1;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (base == 16 && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
    if (d < 0) return BAD_SIZE;
    v = v * base + <u64>d;
    if (v >= limit) return BAD_SIZE;
  }
  v <<= shift;
  return v >= limit ? BAD_SIZE : v;
}
