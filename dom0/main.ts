// Domain 0: entry point of its kernel. dom0/boot.asm sets up a stack and the
// alias mapping of guest-physical memory (the wasm linear memory), then the
// runtime shim (boot/wasm-rt.c, built with dom0/rt/) calls kmain with the
// guest-physical address of the multiboot2 information.
//
// kmain takes the physical console (COM1, the IDT, HC_EVENT_SETUP) before it
// prints anything, so from then on the hypervisor's log reaches the terminal
// only through Domain 0 and the two never interleave. It builds the boot
// modules left to it (`start=dom0`), then runs the shell: sleep until an
// event, handle it, collect garbage, again.
import { vmcall, rdtsc, halt_forever, idt_init } from "./hw";
import { puts, putsln, putc, putDec, putSigned, putHex, newline, comInit } from "./uart";
import { eventsSetup, eventsWait, EVENT_VECTOR } from "./events";
import { shellStart, shellEvents } from "./shell";
import { buildDomain } from "./build";
import { crcInit } from "./crc";
import { firstOutputTrack } from "./firstout";
import { modulesLoad, moduleCount, moduleLine, moduleKindOf, moduleIndex, moduleTruncated, MOD_DOMAIN } from "./modules";
import { domainsLoad, domainsFindSelf } from "./domains";
import { hostRead, hostUptime } from "./host";
import { errnoText } from "./text";
import { HC_VERSION, EPERM, EBUSY } from "../src/arch/abi";
import { BootInfo } from "../src/boot/bootinfo";
import { parseMultiboot2 } from "../src/boot/multiboot2";
import { optionValue } from "../src/boot/cmdline";

export * from "./exports";

// The multiboot2 command line (the words after `domain` on Domain 0's boot
// module), by the hypervisor's own parser; "" without one.
function bootCmdline(mbi: u32): string {
  if (mbi == 0) return "";
  const bi = new BootInfo();
  parseMultiboot2(bi, mbi);
  return bi.cmdline;
}

// Builds the domain modules the hypervisor left to Domain 0 (`start=dom0`).
function autostart(): void {
  const n = modulesLoad();
  if (n < 0) {
    putsln("dom0: HC_MODULE_LIST failed (" + errnoText(n) + ")");
    return;
  }
  for (let s = 0; s < moduleCount(); s++) {
    if (moduleKindOf(moduleLine(s)) != MOD_DOMAIN) continue;
    puts("dom0: module ");
    putDec(moduleIndex(s));
    if (moduleTruncated(s)) {
      putsln(": command line too long to use");
      continue;
    }
    const r = buildDomain(moduleLine(s), s);
    if (r.error.length != 0) {
      putsln(": " + r.error);
      continue;
    }
    firstOutputTrack(<u64>r.id, r.createTsc);
    puts(": created domain ");
    putDec(<u64>r.id);
    puts(" (" + r.name + "), create to start ");
    putDec(r.startTicks);
    putsln(" TSC ticks");
  }
}

export function kmain(mbi: u32): void {
  idt_init(EVENT_VECTOR);
  comInit();
  const logFrom = eventsSetup();

  const version = vmcall(HC_VERSION, 0, 0, 0, 0);
  puts("dom0: Domain 0 up, ABI ");
  putHex(<u64>version, 8);
  puts(" (");
  putDec(<u64>version >> 16);
  putc(46);
  putDec(<u64>version & 0xffff);
  putsln(")");

  const n = domainsLoad();
  if (n == -<i64>EPERM) {
    putsln("dom0: no control right (-EPERM)");
    halt_forever();
    return;
  }
  if (n < 0) {
    putsln("dom0: HC_DOMAIN_LIST failed (" + errnoText(n) + ")");
    halt_forever();
    return;
  }
  const name = optionValue(bootCmdline(mbi), "name");
  domainsFindSelf(name !== null ? name : "dom0");

  if (logFrom == -<i64>EBUSY) {
    putsln("dom0: the physical console is held by another domain (" + errnoText(logFrom) + "): no console input");
  } else if (logFrom < 0) {
    puts("dom0: no event support (");
    putSigned(logFrom);
    putsln("): no console input");
  }

  crcInit();
  autostart();

  // Emulated instructions from GRUB's hand-off (the hypervisor's uptime) or,
  // without HC_HOST_INFO, since Domain 0 was built (its own TSC).
  if (hostRead() == 0) {
    puts("dom0: shell ready after ");
    putDec(hostUptime());
    putsln(" TSC ticks of hypervisor uptime");
  } else {
    puts("dom0: shell ready after ");
    putDec(rdtsc());
    putsln(" Domain 0 TSC ticks");
  }
  shellStart(logFrom);
  if (logFrom < 0) {
    // No input can arrive: the newline shows the prompt in the log.
    newline();
    halt_forever();
    return;
  }
  mainLoop();
}

// Only integer locals here: __collect() (the minimal runtime's mark and
// sweep) sees the globals as roots, never the stack.
function mainLoop(): void {
  for (;;) {
    shellEvents(eventsWait());
    __collect();
  }
}
