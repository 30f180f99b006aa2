// Domain configs in the style of Xen's xl.cfg: a file of `key = value`
// lines, or the same keys as `key=value` words on the shell's `create` line.
//
//   # a comment (to the end of the line, outside quotes)
//   name    = "web"          string: 1-31 of A-Z a-z 0-9 _ . -
//   memory  = 64             MiB, 1-2048
//   vcpus   = 1              1-64
//   kernel  = "counter.elf"  the boot module with the image (path, file name,
//                            name= of a domain module, or index)
//   ramdisk = "initrd.img"   a Linux kernel's initrd, a boot module as kernel
//   cmdline = "delay=5"      the guest's command line
//   root    = "/dev/vda1"    xl's older pair: the command line is
//   extra   = "quiet"        "root=<root> <extra>" unless cmdline is given
//   weight  = 256            scheduler weight, 1-65535
//   cap     = 0              % of one CPU, 0-100 (0: none)
//   kind    = "flat64"       image format without ELF/multiboot header:
//                            auto, flat64 or realmode (not in xl: ours)
//
// In a file, strings are double-quoted (`\"` and `\\` inside) and numbers
// are plain decimal; a later line overrides an earlier one. On the shell
// line the words' quotes are already gone, so a value is taken as it is.
// Errors name the line (`line 3: ...`) or the word (`memory=x: ...`).
//
// xlToDomainLine() turns a config into the hypervisor's module command line
// (`domain name= mem= ...`, src/domain/config.ts) for HC_DOMAIN_CREATE.
import {
  isValidDomainName, DOMAIN_NAME_MAX, DOMAIN_MEM_MAX, DOMAIN_VCPUS_MAX, DOMAIN_WEIGHT_MAX, DOMAIN_CAP_MAX,
} from "../src/domain/config";
import { dec } from "../src/lib/str";
import { rightsNamed, parsePortRanges, RIGHT_NAMES } from "../src/domain/config";
import { parseDecimal } from "./words";

export const XL_KEYS = "name, memory, vcpus, kernel, ramdisk, cmdline, root, extra, weight, cap, kind, acpi, on_poweroff, on_reboot, on_crash, rights, ioports";
const MEMORY_MAX_MIB: i64 = <i64>(DOMAIN_MEM_MAX >> 20);

export class XlConfig {
  name: string = "";     // "" when not given
  memoryMiB: i64 = -1;   // -1 when not given
  vcpus: i64 = -1;
  kernel: string = "";
  ramdisk: string = "";
  cmdline: string = "";
  hasCmdline: bool = false;
  root: string = "";     // xl's root= and extra=, for a config without cmdline
  extra: string = "";
  weight: i64 = -1;
  cap: i64 = -1;
  kind: string = "";
  acpi: i64 = -1;
  // on_poweroff, on_reboot, on_crash: destroy, restart or preserve ("": not given).
  onPoweroff: string = "";
  onReboot: string = "";
  onCrash: string = "";
  rights: string = "";   // rights=, ioports= as the hypervisor takes them ("": not given)
  ioports: string = "";
  error: string = "";

  fail(message: string): bool {
    if (this.error.length == 0) this.error = message;
    return false;
  }
}

// Printable ASCII; `blanks` also allows tab and CR (a file's line).
function isPrintable(s: string, blanks: bool = false): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 || c >= 0x7f) && !(blanks && (c == 0x09 || c == 0x0d))) return false;
  }
  return true;
}

function number(c: XlConfig, where: string, value: string, min: i64, max: i64, what: string): i64 {
  const v = parseDecimal(value);
  if (v < 0) {
    c.fail(where + "not a number (" + dec(<u64>min) + " to " + dec(<u64>max) + " " + what + ")");
    return -1;
  }
  if (v < min || v > max) {
    c.fail(where + "out of range (" + dec(<u64>min) + " to " + dec(<u64>max) + " " + what + ")");
    return -1;
  }
  return v;
}

// Sets `key` from `value`. `where` prefixes errors ("line 3: memory: " or
// "memory=x: "); `quoted`: whether the value was a quoted string (files).
// False (and c.error) when the key or value is bad.
export function xlAssign(c: XlConfig, key: string, value: string, where: string, fromFile: bool, quoted: bool): bool {
  const isAction = key == "on_poweroff" || key == "on_reboot" || key == "on_crash";
  const isString = key == "name" || key == "kernel" || key == "ramdisk" || key == "cmdline" || key == "root" || key == "extra" ||
    key == "kind" || key == "rights" || key == "ioports" || isAction;
  const isNumber = key == "memory" || key == "vcpus" || key == "weight" || key == "cap" || key == "acpi";
  if (!isString && !isNumber) return c.fail(where + "unknown key \"" + key + "\" (keys: " + XL_KEYS + ")");
  if (fromFile && isString && !quoted) return c.fail(where + "a string needs double quotes: " + key + " = \"...\"");
  if (fromFile && isNumber && quoted) return c.fail(where + "a number takes no quotes: " + key + " = 64");
  if (!isPrintable(value)) return c.fail(where + "control character in the value");
  if (key == "name") {
    if (!isValidDomainName(value)) {
      return c.fail(where + "bad name \"" + value + "\" (1-" + dec(DOMAIN_NAME_MAX) + " characters of A-Z a-z 0-9 _ . -)");
    }
    c.name = value;
  } else if (key == "kernel") {
    if (value.length == 0) return c.fail(where + "empty kernel (a boot module's file name)");
    c.kernel = value;
  } else if (key == "ramdisk") {
    if (value.length == 0) return c.fail(where + "empty ramdisk (a boot module's file name)");
    c.ramdisk = value;
  } else if (key == "cmdline") {
    c.cmdline = value;
    c.hasCmdline = true;
  } else if (key == "root") {
    c.root = value;
  } else if (key == "extra") {
    c.extra = value;
  } else if (key == "kind") {
    if (value != "auto" && value != "flat64" && value != "realmode") {
      return c.fail(where + "unknown kind \"" + value + "\" (auto, flat64 or realmode)");
    }
    c.kind = value;
  } else if (key == "rights") {
    if (rightsNamed(value) < 0) return c.fail(where + "unknown right in \"" + value + "\" (" + RIGHT_NAMES.join(", ") + ", all, none)");
    c.rights = value;
  } else if (key == "ioports") {
    const e = parsePortRanges(value, []);
    if (e.length != 0) return c.fail(where + e);
    c.ioports = value;
  } else if (isAction) {
    if (value != "destroy" && value != "restart" && value != "preserve") {
      return c.fail(where + "unknown action \"" + value + "\" (destroy, restart or preserve)");
    }
    if (key == "on_poweroff") c.onPoweroff = value;
    else if (key == "on_reboot") c.onReboot = value;
    else c.onCrash = value;
  } else if (key == "acpi") {
    c.acpi = number(c, where, value, 0, 1, "(0 hides the ACPI tables)");
  } else if (key == "memory") {
    c.memoryMiB = number(c, where, value, 1, MEMORY_MAX_MIB, "MiB");
  } else if (key == "vcpus") {
    c.vcpus = number(c, where, value, 1, DOMAIN_VCPUS_MAX, "vCPUs");
  } else if (key == "weight") {
    c.weight = number(c, where, value, 1, DOMAIN_WEIGHT_MAX, "weight");
  } else if (key == "cap") {
    c.cap = number(c, where, value, 0, DOMAIN_CAP_MAX, "cap %");
  }
  return c.error.length == 0;
}

@inline function isBlank(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0d;
}

@inline function isKeyChar(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f;
}

// One `key = value` line (comment and CR included); false on error.
function parseLine(c: XlConfig, s: string, lineNo: i32): bool {
  const where = "line " + dec(lineNo) + ": ";
  const n = s.length;
  let i = 0;
  while (i < n && isBlank(s.charCodeAt(i))) i++;
  if (i == n || s.charCodeAt(i) == 0x23) return true; // blank or comment
  const keyStart = i;
  while (i < n && isKeyChar(s.charCodeAt(i))) i++;
  const key = s.substring(keyStart, i);
  while (i < n && isBlank(s.charCodeAt(i))) i++;
  if (key.length == 0 || i == n || s.charCodeAt(i) != 0x3d) return c.fail(where + "expected key = value");
  i++;
  while (i < n && isBlank(s.charCodeAt(i))) i++;
  let value = "";
  let quoted = false;
  if (i < n && s.charCodeAt(i) == 0x22) {
    quoted = true;
    i++;
    let run = i;
    let closed = false;
    while (i < n) {
      const ch = s.charCodeAt(i);
      if (ch == 0x22) {
        value += s.substring(run, i);
        i++;
        closed = true;
        break;
      }
      if (ch == 0x5c && i + 1 < n && (s.charCodeAt(i + 1) == 0x22 || s.charCodeAt(i + 1) == 0x5c)) {
        value += s.substring(run, i);
        run = i + 1;
        i += 2;
      } else {
        i++;
      }
    }
    if (!closed) return c.fail(where + "unterminated string");
  } else {
    const start = i;
    while (i < n && !isBlank(s.charCodeAt(i)) && s.charCodeAt(i) != 0x23) i++;
    value = s.substring(start, i);
    if (value.length == 0) return c.fail(where + "missing value after " + key + " =");
  }
  while (i < n && isBlank(s.charCodeAt(i))) i++;
  if (i < n && s.charCodeAt(i) != 0x23) return c.fail(where + "unexpected text after the value: \"" + s.substring(i) + "\"");
  return xlAssign(c, key, value, where + key + ": ", true, quoted);
}

// Parses a config file's text into `c` (keys it sets override earlier ones).
export function xlParseFile(c: XlConfig, text: string): bool {
  let start = 0;
  let lineNo = 1;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    const s = text.substring(start, end);
    if (!isPrintable(s, true)) {
      return c.fail("line " + dec(lineNo) + ": not text (control characters)");
    }
    if (!parseLine(c, s, lineNo)) return false;
    start = end + 1;
    lineNo++;
  }
  return true;
}

// A `key=value` word from the shell line.
export function xlAssignWord(c: XlConfig, word: string): bool {
  const eq = word.indexOf("=");
  if (eq <= 0) return c.fail("\"" + word + "\": expected key=value");
  return xlAssign(c, word.substring(0, eq), word.substring(eq + 1), word + ": ", false, false);
}

// `over`'s keys replace `base`'s (inline words over a file).
export function xlMerge(base: XlConfig, over: XlConfig): void {
  if (over.name.length != 0) base.name = over.name;
  if (over.memoryMiB >= 0) base.memoryMiB = over.memoryMiB;
  if (over.vcpus >= 0) base.vcpus = over.vcpus;
  if (over.kernel.length != 0) base.kernel = over.kernel;
  if (over.ramdisk.length != 0) base.ramdisk = over.ramdisk;
  if (over.hasCmdline) {
    base.cmdline = over.cmdline;
    base.hasCmdline = true;
  }
  if (over.root.length != 0) base.root = over.root;
  if (over.extra.length != 0) base.extra = over.extra;
  if (over.weight >= 0) base.weight = over.weight;
  if (over.cap >= 0) base.cap = over.cap;
  if (over.kind.length != 0) base.kind = over.kind;
  if (over.acpi >= 0) base.acpi = over.acpi;
  if (over.onPoweroff.length != 0) base.onPoweroff = over.onPoweroff;
  if (over.onReboot.length != 0) base.onReboot = over.onReboot;
  if (over.onCrash.length != 0) base.onCrash = over.onCrash;
  if (over.rights.length != 0) base.rights = over.rights;
  if (over.ioports.length != 0) base.ioports = over.ioports;
}

// The hypervisor's words for the keys `c` sets (each ` key=value`), to
// append to a module command line: the hypervisor's parser lets the last
// occurrence win, so these override what the line had.
export function xlHvWords(c: XlConfig): string {
  let s = "";
  if (c.name.length != 0) s += " name=" + c.name;
  if (c.memoryMiB >= 0) s += " mem=" + dec(<u64>c.memoryMiB) + "M";
  if (c.vcpus >= 0) s += " vcpus=" + dec(<u64>c.vcpus);
  if (c.weight >= 0) s += " weight=" + dec(<u64>c.weight);
  if (c.cap >= 0) s += " cap=" + dec(<u64>c.cap);
  if (c.kind.length != 0) s += " kind=" + c.kind;
  if (c.acpi >= 0) s += " acpi=" + dec(<u64>c.acpi);
  if (c.onPoweroff.length != 0) s += " on_poweroff=" + c.onPoweroff;
  if (c.onReboot.length != 0) s += " on_reboot=" + c.onReboot;
  if (c.onCrash.length != 0) s += " on_crash=" + c.onCrash;
  if (c.rights.length != 0) s += " rights=" + c.rights;
  if (c.ioports.length != 0) s += " ioports=" + c.ioports;
  return s;
}

// The guest's command line, as xl makes it: cmdline if given, else
// "root=<root> <extra>" (xl.cfg(5): cmdline replaces root and extra).
export function xlGuestCmdline(c: XlConfig): string {
  if (c.hasCmdline) return c.cmdline;
  const root = c.root.length != 0 ? "root=" + c.root : "";
  if (root.length == 0) return c.extra;
  return c.extra.length != 0 ? root + " " + c.extra : root;
}

// The HC_DOMAIN_CREATE config for a complete xl config: the guest's command
// line first, then the hypervisor's keys (so a guest word like `mem=` cannot
// override them). "" with c.error set when memory is missing.
export function xlToDomainLine(c: XlConfig): string {
  if (c.memoryMiB < 0) {
    c.fail("memory not given (e.g. memory=16, in MiB)");
    return "";
  }
  let s = "domain";
  const guest = xlGuestCmdline(c);
  if (guest.length != 0) s += " " + guest;
  return s + xlHvWords(c);
}
