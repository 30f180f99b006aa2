// A shell line as words: blanks (space, tab) separate words; a double-quoted
// part keeps its blanks (`cmdline="a b"` is one word, `cmdline=a b`);
// inside quotes `\"` and `\\` stand for `"` and `\`. An unterminated quote
// is an error, and so is a control character.

export class Words {
  list: string[] = [];
  error: string = "";
}

@inline function isBlank(c: i32): bool {
  return c == 0x20 || c == 0x09;
}

export function splitWords(s: string): Words {
  const w = new Words();
  const n = s.length;
  let i = 0;
  while (i < n) {
    while (i < n && isBlank(s.charCodeAt(i))) i++;
    if (i == n) break;
    let word = "";
    let quoted = false;
    let runStart = i;   // the current run of plain characters
    while (i < n) {
      const c = s.charCodeAt(i);
      if (!quoted && isBlank(c)) break;
      if ((c < 0x20 && c != 0x09) || c == 0x7f) {
        w.error = "control character in the line";
        return w;
      }
      if (c == 0x22) {
        word += s.substring(runStart, i);
        quoted = !quoted;
        i++;
        runStart = i;
      } else if (quoted && c == 0x5c && i + 1 < n && (s.charCodeAt(i + 1) == 0x22 || s.charCodeAt(i + 1) == 0x5c)) {
        word += s.substring(runStart, i);
        runStart = i + 1; // keep the escaped character
        i += 2;
      } else {
        i++;
      }
    }
    if (quoted) {
      w.error = "unterminated quote";
      return w;
    }
    word += s.substring(runStart, i);
    w.list.push(word);
  }
  return w;
}

// Does the word have a `=` (a key=value word)? Its key is what comes before.
export function eqIndex(word: string): i32 {
  return word.indexOf("=");
}

// A plain decimal number (digits only, at most 18 of them), or -1.
export function parseDecimal(s: string): i64 {
  if (s.length == 0 || s.length > 18) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + <i64>(c - 0x30);
  }
  return v;
}

// A number: 0x and hex digits (at most 16), or decimal (at most 19 digits,
// below 2^64). parsedNumber holds it when the result is true.
export let parsedNumber: u64 = 0;
export function parseNumber(s: string): bool {
  let v: u64 = 0;
  if (s.length > 2 && s.charCodeAt(0) == 0x30 && (s.charCodeAt(1) | 0x20) == 0x78) {
    if (s.length > 18) return false;
    for (let i = 2; i < s.length; i++) {
      const d = hexDigit(s.charCodeAt(i));
      if (d < 0) return false;
      v = (v << 4) | <u64>d;
    }
  } else {
    if (s.length == 0 || s.length > 19) return false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
      v = v * 10 + <u64>(c - 0x30);
    }
  }
  parsedNumber = v;
  return true;
}

// The value of a hex digit, or -1.
export function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
