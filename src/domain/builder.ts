// The domain builder: a boot module tagged `domain name=... mem=...` becomes
// a domain with its own memory, EPT, devices and one vCPU, entered the way
// its image asks (src/domain/image.ts). Domain 0 will build domains through
// the same path. A bad config or a corrupt image is logged and skipped;
// nothing else is affected.
//
// Guest-physical layout the builder uses below GUEST_RESERVED_LOW:
//   0x1000  PML4, 0x2000 PDPT, 0x3000-0x6fff four PDs: identity map of the
//           first 4 GiB with 2 MiB pages (64-bit entry only)
//   0x7000  GDT: null, 64-bit code (0x08), data (0x10)
//   0x8000  the multiboot information structure
//   0x80000 initial stack top (64-bit entry)
import { Domain, Vcpu, domains } from "../sched/domain";
import { BootInfo, BootModule } from "../boot/bootinfo";
import { DomainConfig, isDomainModule, parseDomainConfig } from "./config";
import {
  GuestImage, parseImage, ENTRY_PROTECTED32_MULTIBOOT1, ENTRY_PROTECTED32_MULTIBOOT2, ENTRY_LONG64, ENTRY_REAL,
} from "./image";
import { writeMultiboot1Info, writeMultiboot2Info, bootInfoErrorText, BOOTINFO_MAX } from "./bootinfo-writer";
import { guestMemoryAlloc, guestMemoryFree, guestCopy } from "./memory";
import { domainStop } from "./lifecycle";
import { eptCreate, eptPointer, eptDestroy } from "../ept/ept";
import { StartState, vmcsInit, START_REAL, START_PROTECTED32, START_LONG64 } from "../vmx/vmcs-init";
import { xsaveAreaSize } from "../vmx/vmxon";
import { Console } from "../devices/console";
import { Uart16550 } from "../devices/uart16550";
import { PortBus, portBusRegister, DEV_UART, DEV_DEBUG_EXIT } from "../devices/portbus";
import { COM1 } from "../arch/uart16550";
import { ISA_DEBUG_EXIT_PORT, ISA_DEBUG_EXIT_SIZE } from "../arch/platform";
import { MULTIBOOT_BOOTLOADER_MAGIC, MULTIBOOT2_BOOTLOADER_MAGIC } from "../arch/multiboot";
import { rdtsc } from "../arch/hw";
import { print, println, printDec, printHex } from "../log/log";
import { dec } from "../lib/str";
import { optionValue } from "../boot/cmdline";
import { schedAdd } from "../sched/scheduler";
import { CREDIT_DEFAULT_WEIGHT } from "../sched/credit";
import { rightsFromCmdline } from "../hypercall/rights";
import { PTE_P, PTE_RW, PTE_PS } from "../arch/paging";

const GPA_PML4: u64 = 0x1000;
const GPA_GDT: u64 = 0x7000;
const GPA_BOOTINFO: u64 = 0x8000;
const GPA_STACK_TOP: u64 = 0x80000;
const MXCSR_RESET: u32 = 0x1f80;
const XSAVE_MXCSR_OFFSET: usize = 24;

// One page of scratch for what the builder writes into a guest.
const page = memory.data(4096, 8);

let nextId: u32 = 1;

export function buildBootDomains(bi: BootInfo, handoff: u32): void {
  for (let i = 0; i < bi.modules.length; i++) {
    const m = unchecked(bi.modules[i]);
    if (!isDomainModule(m.cmdline)) continue;
    const cfg = parseDomainConfig(m.cmdline, "dom" + dec(nextId));
    if (cfg.error.length != 0) {
      moduleError(i, cfg.error);
      continue;
    }
    const img = parseImage(m.start, m.end - m.start, cfg.kind, cfg.memBytes, cfg.load);
    if (img.error.length != 0) {
      moduleError(i, cfg.name + ": " + img.error);
      continue;
    }
    domainBuild(cfg, img, m, handoff);
  }
}

function moduleError(index: i32, message: string): void {
  print("hv: module ");
  printDec(index);
  print(" not started: ");
  println(message);
}

// Returns the domain, or null (and nothing allocated) if it could not be built.
export function domainBuild(cfg: DomainConfig, img: GuestImage, m: BootModule, handoff: u32): Domain | null {
  const weight = schedOption(cfg.cmdline, "weight", CREDIT_DEFAULT_WEIGHT, 1, 65535);
  const cap = schedOption(cfg.cmdline, "cap", 0, 0, 100);
  if (weight < 0 || cap < 0) {
    print("hv: domain ");
    print(cfg.name);
    println(" not created: weight must be 1-65535 and cap 0-100 (% of one CPU)");
    return null;
  }
  const dom = new Domain(nextId++, cfg.name);
  const exitPath = optionValue(cfg.cmdline, "exit");
  dom.floorExits = exitPath !== null && exitPath == "floor";
  dom.rights = rightsFromCmdline(cfg.cmdline); // `control=1`: RIGHT_CONTROL
  dom.eptPml4 = eptCreate();
  if (dom.eptPml4 == 0) return buildFailed(dom, "out of memory for its EPT");
  dom.eptPointer = eptPointer(dom.eptPml4, false);
  const memError = guestMemoryAlloc(dom, cfg.memBytes);
  if (memError.length != 0) return buildFailed(dom, memError);

  for (let i = 0; i < img.segments.length; i++) {
    const s = unchecked(img.segments[i]);
    if (!guestCopy(dom, s.gpa, <usize>(m.start + s.fileOffset), s.fileSize, true)) {
      return buildFailed(dom, "segment at " + dec(s.gpa) + " does not fit its memory");
    }
  }

  const start = new StartState();
  start.rip = img.entry;
  if (img.mode == ENTRY_PROTECTED32_MULTIBOOT1 || img.mode == ENTRY_PROTECTED32_MULTIBOOT2) {
    const mb2 = img.mode == ENTRY_PROTECTED32_MULTIBOOT2;
    const rc = mb2 ? writeMultiboot2Info(page, GPA_BOOTINFO, cfg.memBytes, cfg.cmdline)
                   : writeMultiboot1Info(page, GPA_BOOTINFO, cfg.memBytes, cfg.cmdline);
    if (rc < 0) return buildFailed(dom, "boot information: " + bootInfoErrorText(rc));
    guestCopy(dom, GPA_BOOTINFO, page, <u64>rc, true);
    start.mode = START_PROTECTED32;
    start.rax = mb2 ? MULTIBOOT2_BOOTLOADER_MAGIC : MULTIBOOT_BOOTLOADER_MAGIC;
    start.rbx = GPA_BOOTINFO;
  } else if (img.mode == ENTRY_LONG64) {
    const rc = writeMultiboot2Info(page, GPA_BOOTINFO, cfg.memBytes, cfg.cmdline);
    if (rc < 0) return buildFailed(dom, "boot information: " + bootInfoErrorText(rc));
    guestCopy(dom, GPA_BOOTINFO, page, <u64>rc, true);
    writeLongModeTables(dom);
    start.mode = START_LONG64;
    start.cr3 = GPA_PML4;
    start.gdtBase = GPA_GDT;
    start.gdtLimit = 23;
    start.rsp = GPA_STACK_TOP;
    start.rax = MULTIBOOT2_BOOTLOADER_MAGIC;
    start.rbx = GPA_BOOTINFO;
    start.rdi = GPA_BOOTINFO;
  } else if (img.mode == ENTRY_REAL) {
    start.mode = START_REAL;
    start.realCs = img.realCs;
    start.rip = img.realIp;
  } else {
    return buildFailed(dom, "unknown entry mode");
  }

  const con = Console.create(cfg.name);
  dom.console = con;
  dom.portBus = PortBus.create();
  portBusRegister(dom.portBus, COM1, 8, DEV_UART, changetype<usize>(Uart16550.create(con)));
  portBusRegister(dom.portBus, ISA_DEBUG_EXIT_PORT, ISA_DEBUG_EXIT_SIZE, DEV_DEBUG_EXIT, 0);
  // The guest's TSC starts near zero and only moves forward.
  dom.tscOffset = 0 - rdtsc();

  const vcpu = new Vcpu(dom, 0);
  vcpu.vpid = dom.id;
  vcpu.xsaveArea = (heap.alloc(<usize>xsaveAreaSize + 64) + 63) & ~<usize>63;
  memory.fill(vcpu.xsaveArea, 0, xsaveAreaSize);
  store<u32>(vcpu.xsaveArea + XSAVE_MXCSR_OFFSET, MXCSR_RESET);
  dom.vcpus.push(vcpu);
  vmcsInit(vcpu, handoff, start);
  if (!schedAdd(vcpu, <u32>weight, <u32>cap)) {
    domainStop(dom, "too many vCPUs for the scheduler");
    return null;
  }
  domains.push(dom);

  print("hv: domain ");
  printDec(dom.id);
  print(" (");
  print(dom.name);
  print(") memory ");
  printDec(cfg.memBytes >> 20);
  print(" MiB: ");
  printDec(dom.pages2M);
  print(" x 2M pages, ");
  printDec(dom.pages4K);
  print(" x 4K pages; entry ");
  printHex(img.entry, 8);
  print(img.mode == ENTRY_LONG64 ? " (64-bit)" : img.mode == ENTRY_REAL ? " (real mode)" : " (32-bit multiboot)");
  println("");
  return dom;
}

// `key=<decimal>` from the domain's command line: `dflt` when absent, -1
// when not a number in [min, max].
function schedOption(cmdline: string, key: string, dflt: i32, min: i32, max: i32): i32 {
  const s = optionValue(cmdline, key);
  if (s === null) return dflt;
  if (s.length == 0 || s.length > 5) return -1;
  let v: i32 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v < min || v > max ? -1 : v;
}

function buildFailed(dom: Domain, why: string): Domain | null {
  print("hv: domain ");
  print(dom.name);
  print(" not created: ");
  println(why);
  guestMemoryFree(dom);
  if (dom.eptPml4 != 0) eptDestroy(dom.eptPml4);
  dom.eptPml4 = 0;
  return null;
}

// Identity map of the first 4 GiB with 2 MiB pages, and a flat GDT, for a
// guest entered in 64-bit mode.
function writeLongModeTables(dom: Domain): void {
  memory.fill(page, 0, 4096);
  store<u64>(page, (GPA_PML4 + 0x1000) | PTE_P | PTE_RW);
  guestCopy(dom, GPA_PML4, page, 4096, true);
  memory.fill(page, 0, 4096);
  for (let i: u64 = 0; i < 4; i++) store<u64>(page + <usize>(i * 8), (GPA_PML4 + 0x2000 + i * 0x1000) | PTE_P | PTE_RW);
  guestCopy(dom, GPA_PML4 + 0x1000, page, 4096, true);
  for (let pd: u64 = 0; pd < 4; pd++) {
    for (let i: u64 = 0; i < 512; i++) {
      store<u64>(page + <usize>(i * 8), ((pd << 30) + (i << 21)) | PTE_P | PTE_RW | PTE_PS);
    }
    guestCopy(dom, GPA_PML4 + 0x2000 + pd * 0x1000, page, 4096, true);
  }
  memory.fill(page, 0, 24);
  store<u64>(page + 8, 0x00af9a000000ffff);  // 0x08: 64-bit code
  store<u64>(page + 16, 0x00cf92000000ffff); // 0x10: data
  guestCopy(dom, GPA_GDT, page, 24, true);
}
