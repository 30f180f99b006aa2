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
