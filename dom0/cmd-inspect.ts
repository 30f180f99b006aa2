// Shell commands that read and change a DomU from outside, as a debugger
// does: mem-read, mem-write (HC_DOMAIN_MEM_READ/_WRITE) and vcpu-get,
// vcpu-set (HC_VCPU_GET/_SET, the domain paused).
import { vmcall } from "./hw";
import { puts, putsln, putc, putHex, putHexDigits, newline, spaces } from "./uart";
import { fail, usageError } from "./cmdutil";
import { domainResolve, resolveError, domId, domLabel, domVcpus } from "./domains";
import { parseNumber, parsedNumber, hexDigit, parseDecimal, eqIndex } from "./words";
import { errnoText } from "./text";
import { dec, hex } from "../src/lib/str";
import {
  HC_DOMAIN_MEM_READ, HC_DOMAIN_MEM_WRITE, HC_VCPU_GET, HC_VCPU_SET, HC_DOMAIN_MEM_MAX, VCPUREG_COUNT,
  VCPUREG_SETTABLE, VCPUREGS_SIZE, VCPUREG_NAMES,
} from "../src/arch/abi";

export const MEM_READ_USAGE = "<domain> <gpa> <len>";
export const MEM_WRITE_USAGE = "<domain> <gpa> <hex bytes>";
export const VCPU_GET_USAGE = "<domain> <vcpu>";
export const VCPU_SET_USAGE = "<domain> <vcpu> <reg>=<value>";
// The most mem-read prints in one command.
export const MEM_READ_MAX: u64 = 65536;

const buf = memory.data(<i32>HC_DOMAIN_MEM_MAX, 8);
const regs = memory.data(<i32>VCPUREGS_SIZE, 8);
const BYTES_PER_LINE: u32 = 16;

// The domain's id, or -1 after the error.
function target(cmd: string, what: string): i64 {
  const slot = domainResolve(what, false);
  if (slot < 0) {
    fail(cmd, resolveError);
    return -1;
  }
  return domId(slot);
}

// A number argument, or false after the error.
function number(cmd: string, what: string, s: string): bool {
  if (parseNumber(s)) return true;
  fail(cmd, what + " " + s + ": not a number (decimal, or hex with 0x)");
  return false;
}

// One dump line: the address, the bytes in hex, and as text.
function dumpLine(gpa: u64, p: usize, n: u32): void {
  putHex(gpa, 8);
  puts(":");
  for (let i: u32 = 0; i < BYTES_PER_LINE; i++) {
    if (i < n) {
      putc(0x20);
      putHexDigits(load<u8>(p + i), 2);
    } else {
      spaces(3);
    }
  }
  puts("  ");
  for (let i: u32 = 0; i < n; i++) {
    const b = load<u8>(p + i);
    putc(b >= 0x20 && b < 0x7f ? b : 0x2e);
  }
  newline();
}

export function cmdMemRead(args: string[]): void {
  if (args.length != 3) {
    usageError("mem-read", MEM_READ_USAGE);
    return;
  }
  const id = target("mem-read", args[0]);
  if (id < 0 || !number("mem-read", "gpa", args[1])) return;
  const gpa = parsedNumber;
  if (!number("mem-read", "len", args[2])) return;
  const len = parsedNumber;
  if (len == 0 || len > MEM_READ_MAX) {
    fail("mem-read", "len " + args[2] + ": out of range (1 to " + dec(MEM_READ_MAX) + ")");
    return;
  }
  let done: u64 = 0;
  while (done < len) {
    const n = len - done < <u64>HC_DOMAIN_MEM_MAX ? len - done : <u64>HC_DOMAIN_MEM_MAX;
    const rc = vmcall(HC_DOMAIN_MEM_READ, <u64>id, gpa + done, buf, n);
    if (rc < 0) {
      fail("mem-read", "domain " + args[0] + ": HC_DOMAIN_MEM_READ at " + hex(gpa + done) + " failed (" + errnoText(rc) + ")");
      return;
    }
    for (let off: u64 = 0; off < n; off += BYTES_PER_LINE) {
      dumpLine(gpa + done + off, buf + <usize>off, <u32>(n - off < BYTES_PER_LINE ? n - off : BYTES_PER_LINE));
    }
    done += n;
  }
}

export function cmdMemWrite(args: string[]): void {
  if (args.length < 3) {
    usageError("mem-write", MEM_WRITE_USAGE);
    return;
  }
  const id = target("mem-write", args[0]);
  if (id < 0 || !number("mem-write", "gpa", args[1])) return;
  const gpa = parsedNumber;
  // The bytes: hex digit pairs, in one word or several.
  let n: u32 = 0;
  for (let w = 2; w < args.length; w++) {
    const s = args[w];
    if ((s.length & 1) != 0) {
      fail("mem-write", "\"" + s + "\": an odd number of hex digits");
      return;
    }
    for (let i = 0; i < s.length; i += 2) {
      const hi = hexDigit(s.charCodeAt(i)), lo = hexDigit(s.charCodeAt(i + 1));
      if (hi < 0 || lo < 0) {
        fail("mem-write", "\"" + s + "\": not hex digits");
        return;
      }
      if (n == HC_DOMAIN_MEM_MAX) {
        fail("mem-write", "more than " + dec(HC_DOMAIN_MEM_MAX) + " bytes");
        return;
      }
      store<u8>(buf + n, <u8>((hi << 4) | lo));
      n++;
    }
  }
  const rc = vmcall(HC_DOMAIN_MEM_WRITE, <u64>id, gpa, buf, n);
  if (rc < 0) {
    fail("mem-write", "domain " + args[0] + ": HC_DOMAIN_MEM_WRITE at " + hex(gpa) + " failed (" + errnoText(rc) + ")");
    return;
  }
  putsln(dec(<u64>n) + " bytes written at " + hex(gpa));
}

// VCPUREG_* of a register's name, or -1.
function regIndex(name: string): i32 {
  const names = VCPUREG_NAMES.split(" ");
  for (let i = 0; i < names.length; i++) if (names[i] == name) return i;
  return -1;
}

// The vCPU argument (a decimal index below the domain's count) of domain
// `what`, or -1 after the error; the domain's id in `vcpuDomain`.
let vcpuDomain: u64 = 0;
function vcpuArg(cmd: string, what: string, index: string): i64 {
  const slot = domainResolve(what, false);
  if (slot < 0) {
    fail(cmd, resolveError);
    return -1;
  }
  const n = parseDecimal(index);
  if (n < 0 || n >= <i64>domVcpus(slot)) {
    fail(cmd, "domain " + domLabel(slot) + " has no vCPU " + index + " (it has " + dec(domVcpus(slot)) + ")");
    return -1;
  }
  vcpuDomain = domId(slot);
  return n;
}

function vcpuError(cmd: string, call: string, rc: i64): void {
  fail(cmd, call + " failed (" + errnoText(rc) + (rc == -16 ? ": pause the domain first" : "") + ")");
}

export function cmdVcpuGet(args: string[]): void {
  if (args.length != 2) {
    usageError("vcpu-get", VCPU_GET_USAGE);
    return;
  }
  const n = vcpuArg("vcpu-get", args[0], args[1]);
  if (n < 0) return;
  const rc = vmcall(HC_VCPU_GET, vcpuDomain, <u64>n, regs, 0);
  if (rc != 0) {
    vcpuError("vcpu-get", "HC_VCPU_GET", rc);
    return;
  }
  const names = VCPUREG_NAMES.split(" ");
  for (let i: u32 = 0; i < VCPUREG_COUNT; i++) {
    const name = names[<i32>i];
    puts(name);
    spaces(7 - name.length);
    putHex(load<u64>(regs + (<usize>i << 3)), 16);
    if ((i & 3) == 3 || i == VCPUREG_COUNT - 1) newline();
    else spaces(3);
  }
}

export function cmdVcpuSet(args: string[]): void {
  if (args.length != 3 || eqIndex(args[2]) <= 0) {
    usageError("vcpu-set", VCPU_SET_USAGE);
    return;
  }
  const n = vcpuArg("vcpu-set", args[0], args[1]);
  if (n < 0) return;
  const eq = eqIndex(args[2]);
  const name = args[2].substring(0, eq);
  const reg = regIndex(name);
  if (reg < 0 || <u32>reg >= VCPUREG_SETTABLE) {
    fail("vcpu-set", "\"" + name + "\": not a register it sets (rax-r15, rip, rflags)");
    return;
  }
  if (!number("vcpu-set", name, args[2].substring(eq + 1))) return;
  const rc = vmcall(HC_VCPU_SET, vcpuDomain, <u64>n, <u64>reg, parsedNumber);
  if (rc != 0) {
    if (rc == -22) fail("vcpu-set", name + " " + hex(parsedNumber) + ": not a value the vCPU can hold");
    else vcpuError("vcpu-set", "HC_VCPU_SET", rc);
    return;
  }
  putsln(name + " = " + hex(parsedNumber));
}
