// Domain 0: entry point of its kernel. dom0/boot.asm sets up a stack and the
// alias mapping of guest-physical memory (the wasm linear memory), then the
// runtime shim (boot/wasm-rt.c, built with dom0/rt/) calls kmain with the
// guest-physical address of the multiboot2 information.
//
// This first brick proves the pipeline and the ABI end to end: it reports the
// ABI version, lists the domains (a management call: needs the control
// right), reads the hypervisor log, builds and starts the domains of the
// boot modules left to it (dom0/build.ts), prints the shell prompt and halts.
import { vmcall, rdtsc, halt_forever } from "./hw";
import { buildModuleDomains } from "./build";
import { puts, putsln, putc, putDec, putSigned, putHex, putcstr } from "./uart";
import {
  HC_VERSION, HC_DOMAIN_LIST, HC_LOG_READ, HC_LOG_READ_MAX, EPERM,
  DOMREC_ID, DOMREC_STATE, DOMREC_MEM_KIB, DOMREC_NAME, DOMREC_NAME_MAX, DOMREC_SIZE,
  DOMSTATE_RUNNABLE, DOMSTATE_BLOCKED, DOMSTATE_STOPPED,
} from "../src/hypercall/abi";

const LIST_MAX: u32 = 64;
const listBuf = memory.data(<i32>(LIST_MAX * DOMREC_SIZE), 8);
const logBuf = memory.data(<i32>HC_LOG_READ_MAX, 8);
const BANNER = "hv: tshv";

function stateName(s: u32): string {
  if (s == DOMSTATE_RUNNABLE) return "runnable";
  if (s == DOMSTATE_BLOCKED) return "blocked";
  if (s == DOMSTATE_STOPPED) return "stopped";
  return "unknown";
}

// Does [p, p + n) contain the ASCII string s?
function contains(p: usize, n: u32, s: string): bool {
  const m = <u32>s.length;
  if (m > n) return false;
  for (let i: u32 = 0; i + m <= n; i++) {
    let j: u32 = 0;
    while (j < m && load<u8>(p + i + j) == <u8>s.charCodeAt(<i32>j)) j++;
    if (j == m) return true;
  }
  return false;
}

export function kmain(mbi: u32): void {
  const version = vmcall(HC_VERSION, 0, 0, 0, 0);
  puts("dom0: Domain 0 up, ABI ");
  putHex(<u64>version, 8);
  puts(" (");
  putDec(<u64>version >> 16);
  putc(46);
  putDec(<u64>version & 0xffff);
  putsln(")");

  const n = vmcall(HC_DOMAIN_LIST, listBuf, LIST_MAX, 0, 0);
  if (n == -<i64>EPERM) {
    putsln("dom0: no control right (-EPERM)");
    halt_forever();
    return;
  }
  if (n < 0) {
    puts("dom0: HC_DOMAIN_LIST failed: ");
    putSigned(n);
    putsln("");
    halt_forever();
    return;
  }
  for (let i: u32 = 0; i < <u32>n; i++) {
    const r = listBuf + <usize>(i * DOMREC_SIZE);
    puts("dom0: domain ");
    putDec(load<u32>(r + DOMREC_ID));
    putc(32);
    putcstr(r + DOMREC_NAME, DOMREC_NAME_MAX);
    putc(32);
    puts(stateName(load<u32>(r + DOMREC_STATE)));
    putc(32);
    putDec(load<u64>(r + DOMREC_MEM_KIB));
    putsln("");
  }

  const got = vmcall(HC_LOG_READ, 0, logBuf, HC_LOG_READ_MAX, 0);
  if (got >= 0 && contains(logBuf, <u32>got, BANNER)) {
    putsln("dom0: hypervisor log readable");
  } else {
    puts("dom0: hypervisor log: no \"" + BANNER + "\" in HC_LOG_READ (");
    putSigned(got);
    putsln(")");
  }

  // Modules left for Domain 0 (`start=dom0`) become domains now.
  buildModuleDomains();

  puts("dom0: at the prompt after ");
  putDec(rdtsc());
  putsln(" TSC ticks");
  // The hypervisor logs a domain's console by whole lines; the newline makes
  // the prompt visible there until the shell reads the physical UART.
  puts("dom0# ");
  putsln("");
  halt_forever();
}
