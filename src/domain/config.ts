// A guest domain's configuration, from its boot module's command line:
//
//   [path] domain name=<name> mem=<size> [vcpus=N] [kind=auto|flat64|realmode]
//                 [load=<addr>] [weight=N] [cap=N] [cpus=<list>]
//                 [on_poweroff=|on_reboot=|on_crash=destroy|restart|preserve]
//                 [anything else: the guest's own words]
//
// Everything after the `domain` word, verbatim, is a multiboot guest's
// command line; a Linux guest's is the same without the words whose keys
// are the hypervisor's (HV_KEYS), as Linux would take `mem=` or pass
// `name=` on to init. name, mem, vcpus, kind, load, weight, cap, cpus and the on_* actions are validated; other
// key=value words and plain words belong to the guest and are not errors.
// Sizes: decimal or 0x hex, optional K/M/G suffix (case-insensitive).
import { hex, dec, jsonString } from "../lib/str";
import { optionValue, parseSize, BAD_SIZE } from "../boot/cmdline";
import {
  SCHED_WEIGHT_DEFAULT, RIGHT_DOMAINS, RIGHT_MEMORY, RIGHT_SCHED, RIGHT_HOST, RIGHT_POWER, RIGHT_CONSOLE, RIGHT_CONTROL,
} from "../arch/abi";

export const DOMAIN_KIND_AUTO: u32 = 0;      // detect ELF / multiboot header
export const DOMAIN_KIND_FLAT64: u32 = 1;    // raw image, 64-bit entry at load
export const DOMAIN_KIND_REALMODE: u32 = 2;  // raw image, real mode at 0:0x7c00

export const DOMAIN_NAME_MAX: i32 = 31;
export const DOMAIN_MEM_MIN: u64 = 0x100000;        // 1 MiB
export const DOMAIN_MEM_MAX: u64 = 0x80000000;      // 2 GiB
export const DOMAIN_MEM_ALIGN: u64 = 0x1000;
export const DOMAIN_VCPUS_MAX: u32 = 64;
export const DOMAIN_WEIGHT_MAX: u32 = 65535;
export const DOMAIN_CAP_MAX: u32 = 100;    // % of one CPU; 0 = no cap

export { parseSize, BAD_SIZE };

// What happens when the domain powers off, reboots or crashes (xl.cfg's
// on_poweroff, on_reboot, on_crash; the defaults are xl's).
export const POLICY_DESTROY: u8 = 0;   // it stops; its record goes with the others stopped
export const POLICY_RESTART: u8 = 1;   // it is built again from its config and module, a new id
export const POLICY_PRESERVE: u8 = 2;  // it stops and its record stays for info/log until destroyed

export function policyName(p: u8): string {
  return p == POLICY_RESTART ? "restart" : p == POLICY_PRESERVE ? "preserve" : "destroy";
}

export class DomainConfig {
  name: string = "";
  memBytes: u64 = 0;
  vcpus: u32 = 1;
  kind: u32 = DOMAIN_KIND_AUTO;
  load: u64 = 0;             // 0: the kind's default
  weight: u32 = SCHED_WEIGHT_DEFAULT; // scheduler weight
  cap: u32 = 0;              // % of one CPU, 0 = no cap
  cpus: u64 = <u64>-1;       // CPUs its vCPUs may run on, bit n = CPU n (cpus=)
  cmdline: string = "";      // the guest's command line
  onPoweroff: u8 = POLICY_DESTROY;
  onReboot: u8 = POLICY_RESTART;
  onCrash: u8 = POLICY_DESTROY;
  ioports: u32[] = [];       // I/O ports it reaches directly (ioports=): base, count pairs
  line: string = "";         // the whole line it was parsed from (a restart parses it again)
  error: string = "";        // "" when valid

  fail(message: string): DomainConfig {
    if (this.error.length == 0) this.error = message;
    return this;
  }

  toJson(): string {
    return "{\"name\":" + jsonString(this.name) + ",\"memBytes\":\"" + hex(this.memBytes) +
      "\",\"vcpus\":" + dec(this.vcpus) + ",\"cpus\":\"" + hex(this.cpus) + "\",\"kind\":" + dec(this.kind) + ",\"load\":\"" + hex(this.load) +
      "\",\"on_poweroff\":\"" + policyName(this.onPoweroff) + "\",\"on_reboot\":\"" + policyName(this.onReboot) +
      "\",\"on_crash\":\"" + policyName(this.onCrash) + "\",\"cmdline\":" + jsonString(this.cmdline) + ",\"error\":" + jsonString(this.error) + "}";
  }
}

@inline function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

// Every key of a domain module's line the hypervisor reads (here, in the
// builder, src/domain/rights.ts), each between spaces.
const HV_KEYS = " name mem vcpus weight cap cpus kind load on_poweroff on_reboot on_crash start control rights ioports exit testdev acpi ";

// Ports a domain may be given (I/O bitmap A: 0-0x7fff), and ranges at most.
export const IOPORTS_LIMIT: u32 = 0x8000;
const IOPORT_RANGES_MAX: i32 = 16;

// `ioports=0x1f0-0x1f7,0x3f6`: base, count pairs into `out`; "" or why not.
// A number is decimal or 0x hex; a range is inclusive.
export function parsePortRanges(value: string, out: u32[]): string {
  const parts = value.split(",");
  if (parts.length > IOPORT_RANGES_MAX) return "more than " + dec(IOPORT_RANGES_MAX) + " ranges";
  for (let i = 0; i < parts.length; i++) {
    const r = parts[i];
    const dash = r.indexOf("-");
    const lo = parseSize(dash < 0 ? r : r.substring(0, dash));
    const hi = dash < 0 ? lo : parseSize(r.substring(dash + 1));
    if (lo == BAD_SIZE || hi == BAD_SIZE || hi < lo || hi >= <u64>IOPORTS_LIMIT) {
      return "bad port range " + r + " (ports 0 to 0x7fff, e.g. 0x1f0-0x1f7)";
    }
    out.push(<u32>lo);
    out.push(<u32>(hi - lo + 1));
  }
  return "";
}

// The rights by name, in RIGHT_* bit order (`rights=domains,sched`).
export const RIGHT_NAMES: string[] = ["domains", "memory", "sched", "host", "power", "console"];
const RIGHT_BITS: u32[] = [RIGHT_DOMAINS, RIGHT_MEMORY, RIGHT_SCHED, RIGHT_HOST, RIGHT_POWER, RIGHT_CONSOLE];

// The rights a `rights=` value names (comma-separated; "all" or "none"
// too), or -1 if one is unknown.
export function rightsNamed(value: string): i64 {
  if (value == "all") return RIGHT_CONTROL;
  if (value == "none") return 0;
  let r: u32 = 0;
  const names = value.split(",");
  for (let i = 0; i < names.length; i++) {
    const k = RIGHT_NAMES.indexOf(names[i]);
    if (k < 0) return -1;
    r |= RIGHT_BITS[k];
  }
  return r;
}

// "domains,memory": the rights in `r`, by name ("none" for none).
export function rightsText(r: u32): string {
  let s = "";
  for (let i = 0; i < RIGHT_NAMES.length; i++) if ((r & RIGHT_BITS[i]) != 0) s += (s.length != 0 ? "," : "") + RIGHT_NAMES[i];
  return s.length != 0 ? s : "none";
}

// The guest's words of `cmdline` (DomainConfig.cmdline): those whose key
// (before `=`) is not one of HV_KEYS, in their order, single-spaced.
export function guestWords(cmdline: string): string {
  let out = "";
  const n = cmdline.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(cmdline.charCodeAt(i))) i++;
    if (i == n) break;
    const start = i;
    let eq = -1;
    while (i < n && !isSpace(cmdline.charCodeAt(i))) {
      if (eq < 0 && cmdline.charCodeAt(i) == 0x3d) eq = i;
      i++;
    }
    if (eq > start && HV_KEYS.includes(" " + cmdline.substring(start, eq) + " ")) continue;
    if (out.length != 0) out += " ";
    out += cmdline.substring(start, i);
  }
  return out;
}

// Does the domain get ACPI tables (no `acpi=0`)?
export function configAcpi(cmdline: string): bool {
  const v = optionValue(cmdline, "acpi");
  return v === null || v != "0";
}

function isNameChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x5f || c == 0x2e || c == 0x2d;
}

export function isValidDomainName(s: string): bool {
  if (s.length < 1 || s.length > DOMAIN_NAME_MAX) return false;
  for (let i = 0; i < s.length; i++) if (!isNameChar(s.charCodeAt(i))) return false;
  return true;
}

function sizeText(v: u64): string {
  if (v != 0 && (v & 0x3fffffff) == 0) return dec(v >> 30) + "G";
  if (v != 0 && (v & 0xfffff) == 0) return dec(v >> 20) + "M";
  if (v != 0 && (v & 0x3ff) == 0) return dec(v >> 10) + "K";
  return hex(v);
}

// Index of the first character after the whole word `domain`, or -1.
export function domainWordEnd(line: string): i32 {
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    const start = i;
    while (i < n && !isSpace(line.charCodeAt(i))) i++;
    if (i - start == 6 && line.substring(start, i) == "domain") return i;
  }
  return -1;
}

// Is this module a guest domain (a `domain` word on its command line)?
export function isDomainModule(line: string): bool {
  return domainWordEnd(line) >= 0;
}

// `start=dom0` on a domain module: Domain 0 builds it at run time (through
// the hypercalls); the hypervisor does not build it at boot.
export function isForDom0(line: string): bool {
  const v = optionValue(line, "start");
  return v !== null && v == "dom0";
}

// A count written in plain decimal digits, or BAD_SIZE.
function plainDecimal(value: string): u64 {
  if (value.length == 0) return BAD_SIZE;
  for (let k = 0; k < value.length; k++) {
    const ch = value.charCodeAt(k);
    if (ch < 0x30 || ch > 0x39) return BAD_SIZE;
  }
  return parseSize(value);
}

// "2", "0-3", "0,2-3": a mask with bit n for CPU n; 0 if malformed.
export function parseCpuList(value: string): u64 {
  let mask: u64 = 0;
  let i = 0;
  const n = value.length;
  while (i < n) {
    let lo: i32 = -1, hi: i32 = -1;
    const a = i;
    while (i < n && value.charCodeAt(i) != 0x2c && value.charCodeAt(i) != 0x2d) i++;
    const first = plainDecimal(value.substring(a, i));
    if (first > 63) return 0;
    lo = hi = <i32>first;
    if (i < n && value.charCodeAt(i) == 0x2d) {
      const b = ++i;
      while (i < n && value.charCodeAt(i) != 0x2c) i++;
      const last = plainDecimal(value.substring(b, i));
      if (last > 63 || <i32>last < lo) return 0;
      hi = <i32>last;
    }
    for (let c = lo; c <= hi; c++) mask |= <u64>1 << <u64>c;
    if (i < n) {
      i++;                         // the comma
      if (i == n) return 0;        // a trailing one
    }
  }
  return mask;
}

// Why `v` (parseSize's answer) is not a domain memory size, or "".
export function memSizeError(v: u64): string {
  if (v == BAD_SIZE) return "bad size (use e.g. 16M)";
  if (v < DOMAIN_MEM_MIN) return "too small (minimum 1M)";
  if (v > DOMAIN_MEM_MAX) return "too large (maximum 2G)";
  if ((v & (DOMAIN_MEM_ALIGN - 1)) != 0) return "not a multiple of 4K";
  return "";
}

// Parses a module command line; `defaultName` (e.g. "dom3") is used when
// there is no name=. `memOverride` (a size memSizeError accepts), if not
// 0, is the memory size whatever mem= says (Domain 0 with dom0_mem=).
export function parseDomainConfig(line: string, defaultName: string, memOverride: u64 = 0): DomainConfig {
  const c = new DomainConfig();
  c.name = defaultName;
  if (memOverride != 0) c.memBytes = memOverride;
  const after = domainWordEnd(line);
  if (after < 0) return c.fail("not a domain module (no `domain` word in \"" + line + "\")");
  const n = line.length;
  let i = after;
  while (i < n && isSpace(line.charCodeAt(i))) i++;
  c.cmdline = line.substring(i);
  c.line = line;

  let haveMem = false;
  let loadWord = "";
  while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    const start = i;
    let eq = -1;
    while (i < n && !isSpace(line.charCodeAt(i))) {
      if (eq < 0 && line.charCodeAt(i) == 0x3d) eq = i;
      i++;
    }
    if (eq < 0) continue;
    const word = line.substring(start, i);
    const key = line.substring(start, eq);
    const value = line.substring(eq + 1, i);
    if (key == "name") {
      if (!isValidDomainName(value)) {
        return c.fail(word + ": bad name (1-" + dec(DOMAIN_NAME_MAX) + " characters of A-Z a-z 0-9 _ . -)");
      }
      c.name = value;
    } else if (key == "mem") {
      if (memOverride != 0) continue;
      const v = parseSize(value);
      const e = memSizeError(v);
      if (e.length != 0) return c.fail(word + ": " + e);
      c.memBytes = v;
      haveMem = true;
    } else if (key == "vcpus") {
      const v = plainDecimal(value);
      if (v == BAD_SIZE || v < 1 || v > <u64>DOMAIN_VCPUS_MAX) {
        return c.fail(word + ": bad vcpu count (1 to " + dec(DOMAIN_VCPUS_MAX) + ")");
      }
      c.vcpus = <u32>v;
    } else if (key == "weight") {
      const v = plainDecimal(value);
      if (v == BAD_SIZE || v < 1 || v > <u64>DOMAIN_WEIGHT_MAX) {
        return c.fail(word + ": bad weight (1 to " + dec(DOMAIN_WEIGHT_MAX) + ")");
      }
      c.weight = <u32>v;
    } else if (key == "cap") {
      const v = plainDecimal(value);
      if (v == BAD_SIZE || v > <u64>DOMAIN_CAP_MAX) {
        return c.fail(word + ": bad cap (0 to " + dec(DOMAIN_CAP_MAX) + ", % of one CPU; 0 = none)");
      }
      c.cap = <u32>v;
    } else if (key == "cpus") {
      const m = parseCpuList(value);
      if (m == 0) return c.fail(word + ": bad CPU list (e.g. 1, 0-3 or 0,2; CPUs 0 to 63)");
      c.cpus = m;
    } else if (key == "rights") {
      if (rightsNamed(value) < 0) return c.fail(word + ": unknown right (" + RIGHT_NAMES.join(", ") + ", all, none)");
    } else if (key == "kind") {
      if (value == "auto") c.kind = DOMAIN_KIND_AUTO;
      else if (value == "flat64") c.kind = DOMAIN_KIND_FLAT64;
      else if (value == "realmode") c.kind = DOMAIN_KIND_REALMODE;
      else return c.fail(word + ": unknown kind (use auto, flat64 or realmode)");
    } else if (key == "on_poweroff" || key == "on_reboot" || key == "on_crash") {
      let p: u8 = 0;
      if (value == "destroy") p = POLICY_DESTROY;
      else if (value == "restart") p = POLICY_RESTART;
      else if (value == "preserve") p = POLICY_PRESERVE;
      else return c.fail(word + ": unknown action (use destroy, restart or preserve)");
      if (key == "on_poweroff") c.onPoweroff = p;
      else if (key == "on_reboot") c.onReboot = p;
      else c.onCrash = p;
    } else if (key == "ioports") {
      c.ioports = [];
      const e = parsePortRanges(value, c.ioports);
      if (e.length != 0) return c.fail(word + ": " + e);
    } else if (key == "load") {
      const v = parseSize(value);
      if (v == BAD_SIZE) return c.fail(word + ": bad address (use e.g. 0x100000)");
      c.load = v;
      loadWord = word;
    }
  }
  if (!haveMem && memOverride == 0) return c.fail("missing mem= (guest memory size, e.g. mem=64M)");
  if (loadWord.length > 0 && c.load >= c.memBytes) {
    return c.fail(loadWord + ": outside the guest's " + sizeText(c.memBytes) + " of memory");
  }
  return c;
}
