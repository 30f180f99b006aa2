// The domain builder: a boot module tagged `domain name=... mem=...` becomes
// a domain with its own memory, EPT, devices and one vCPU, entered the way
// its image asks (src/domain/image.ts). Domain 0 builds domains at run time
// through the same steps, one hypercall each (src/hypercall/build.ts):
//
//   domainCreate    memory (zeroed), EPT, devices, one vCPU with its VMCS;
//                   state DOMSTATE_CREATED: not scheduled
//   (load)          the image's segments and the boot information
//                   (imageBootInfo, src/domain/entry.ts) into guest memory
//   domainSetEntry  a VCPUENTRY record (imageEntry makes the one an image
//                   needs): validated, the identity map and GDT written for a
//                   64-bit entry, the vCPU's guest state set
//   domainStart     onto the scheduler
//
// The boot path (domainBuild) runs exactly these functions. A bad config or
// a corrupt image is logged and skipped; nothing else is affected.
//
// Domain 0 is the first domain the boot path builds from a module with
// `control=1` (later ones are ordinary control domains). It drives the
// physical COM1 and PCI configuration space itself: its I/O bitmap passes
// those ports through and it has no emulated UART. `dom0_mem=<size>` on the
// hypervisor's command line overrides its module's mem=.
//
// Guest-physical layout the builder uses below GUEST_RESERVED_LOW (the
// GUEST_*_GPA constants of src/arch/abi.ts):
//   0x1000  PML4, 0x2000 PDPT, 0x3000-0x6fff four PDs: identity map of the
//           first 4 GiB with 2 MiB pages (64-bit entry only)
//   0x7000  GDT: null, 64-bit code (0x08), data (0x10)
//   0x8000  the multiboot information structure
//   0x80000 initial stack top (64-bit entry)
import { Domain, Vcpu, domains, domain0, domain0Set, DOMSTATE_RUNNABLE, DOMSTATE_STOPPED, DOMSTATE_CREATED } from "../domain/domain";
import { BootInfo, BootModule } from "../boot/bootinfo";
import { DomainConfig, parseDomainConfig, parseSize, memSizeError, configAcpi } from "../domain/config";
import { GuestImage, parseImage, ENTRY_LONG64, ENTRY_REAL, ENTRY_LINUX64 } from "../domain/image";
import { bootInfoErrorText, BOOTINFO_MAX } from "../domain/bootinfo-writer";
import { bzImageInitrdAt, bzImageInitrdMiss } from "../domain/bzimage";
import { imageBootInfo, imageEntry } from "../domain/entry";
import { moduleRegister, isBootDomainModule } from "../domain/modules";
import { guestMemoryAlloc, guestMemoryInit, guestMemoryFree, guestCopy } from "../domain/memory";
import { domainStop } from "./stop";
import { eptCreate, eptPointer, eptDestroy } from "../ept/ept";
import {
  StartState, vmcsInit, ioBitmapAlloc, ioBitmapPass, START_REAL, START_PROTECTED32, START_LONG64,
} from "../vmx/vmcs-init";
import { xsaveAreaSize } from "../vmx/vmxon";
import { forgetVcpu, vmcsEvict } from "../vmx/switch";
import { vpidAlloc, vpidFree } from "../vmx/vpid";
import { Console } from "../devices/console";
import { UartDevice } from "../devices/uart16550";
import { DebugExit } from "../devices/debug-exit";
import { TestDev } from "../devices/testdev";
import { IrqLine } from "../devices/irq";
import { eventIrqs } from "../domain/events";
import { pcCreate, pcWriteAcpiTables, pcWallClockNow } from "../domain/pc";
import { vcpuTimerClient } from "../domain/timer";
import { COM1, UART_PORTS, COM1_ISA_IRQ } from "../arch/uart16550";
import {
  ISA_DEBUG_EXIT_PORT, ISA_DEBUG_EXIT_SIZE, PCI_CONFIG_PORT, PCI_CONFIG_PORTS, TESTDEV_MMIO_BASE, TESTDEV_MMIO_SIZE,
} from "../arch/platform";
import { rdtsc } from "../arch/hw";
import { frameFree, framesFree } from "../mm/frames";
import { print, println, printDec, printHex, logSerialShared } from "../log/log";
import { dec, strCopy } from "../lib/str";
import { permanentBegin } from "../mm/heap";
import { Region, arenaCreate, arenaFree, regionUse, heapFree } from "../mm/region";
import { optionValue, hasFlag } from "../boot/cmdline";
import { schedAdd, schedOnlineMask } from "../sched/scheduler";
import { rightsFromCmdline } from "../domain/rights";
import { PTE_P, PTE_RW, PTE_PS, isCanonical } from "../arch/paging";
import {
  ENOMEM, EINVAL, ESRCH, RIGHT_DOMAINS,
  VCPUENTRY_MODE, VCPUENTRY_FLAGS, VCPUENTRY_RIP, VCPUENTRY_RSP, VCPUENTRY_RAX, VCPUENTRY_RBX, VCPUENTRY_RDI,
  VCPUENTRY_RSI, VCPUENTRY_CR3, VCPUENTRY_GDT_BASE, VCPUENTRY_GDT_LIMIT, VCPUENTRY_REAL_CS, VCPUENTRY_SIZE,
  VCPU_MODE_REAL, VCPU_MODE_PROTECTED32, VCPU_MODE_LONG64, VCPUENTRY_FLAG_BUILDER_TABLES,
  GUEST_PML4_GPA, GUEST_GDT_GPA, GUEST_BOOTINFO_GPA,
} from "../arch/abi";

const GDT_LIMIT: u32 = 23;
const MXCSR_RESET: u32 = 0x1f80;
const XSAVE_MXCSR_OFFSET: usize = 24;
// Frames a VMCS may need besides the domain's memory: the VMCS itself and,
// the first time, the three shared VMX bitmaps (vmcsInit panics without).
const VMCS_FRAMES: u64 = 4;

// The boot information on its way into a guest, and a page of scratch for
// the page tables and GDT.
const bootInfo = memory.data(<i32>BOOTINFO_MAX, 8);
const page = memory.data(4096, 8);
// The boot path's entry record.
const entryRecord = memory.data(<i32>VCPUENTRY_SIZE, 8);
// The entry state being built (one at a time: the big lock), so that a
// guest's HC_VCPU_START allocates nothing.
const start = new StartState();

let nextId: u32 = 1;
let bootHandoff: u32 = 0;
// dom0_mem= from the hypervisor's command line, checked; 0 if absent or bad.
let dom0Mem: u64 = 0;

// What a domain's arena starts with: its objects, console ring (16 KiB),
// device blocks, and per vCPU its state, XSAVE area and timer. An arena
// grows if more is needed.
const ARENA_BYTES: usize = 48 << 10;
const ARENA_VCPU_BYTES: usize = 4 << 10;

// A domain made by domainCreate and not yet started (or undone).
@inline function isCreated(dom: Domain): bool {
  return dom.state == DOMSTATE_CREATED && domains.includes(dom);
}

export function buildBootDomains(bi: BootInfo, handoff: u32): void {
  bootHandoff = handoff;
  dom0MemOption(bi.cmdline);
  exitFloorOption(bi.cmdline);
  for (let i = 0; i < bi.modules.length; i++) {
    const m = unchecked(bi.modules[i]);
    const take = isBootDomainModule(m.cmdline);
    moduleRegister(m, take);
    if (!take) continue;
    const cfg = bootDomainConfig(m.cmdline, "dom" + dec(nextId));
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

// `bench_exit_floor` (the hypervisor's command line): domains may ask for
// `exit=floor`, the benchmark's NASM exit path, which hands the guest the
// host's CPUID unfiltered. Only the host's own command line allows it, never
// a domain's config alone.
let exitFloorAllowed = false;
export function exitFloorOption(cmdline: string): void {
  exitFloorAllowed = hasFlag(cmdline, "bench_exit_floor");
}

// `dom0_mem=<size>` (the hypervisor's command line): Domain 0's memory,
// whatever its module's mem= says. A bad value is reported and ignored.
// Returns the size taken, or 0.
export function dom0MemOption(cmdline: string): u64 {
  dom0Mem = 0;
  const value = optionValue(cmdline, "dom0_mem");
  if (value === null) return 0;
  const e = memSizeError(parseSize(value));
  if (e.length != 0) {
    println("hv: dom0_mem=" + value + ": " + e + "; Domain 0 gets the mem= of its module");
    return 0;
  }
  dom0Mem = parseSize(value);
  return dom0Mem;
}

// A boot module's configuration; the one that will be Domain 0 (no Domain 0
// yet, `control=1`) gets dom0_mem= if it was given.
export function bootDomainConfig(cmdline: string, defaultName: string): DomainConfig {
  const mem = domain0() === null && isControlModule(cmdline) ? dom0Mem : 0;
  return parseDomainConfig(cmdline, defaultName, mem);
}

function isControlModule(cmdline: string): bool {
  return (rightsFromCmdline(cmdline) & RIGHT_DOMAINS) != 0;
}

// The boot stub's hand-off block (host state of every VMCS).
export function builderHandoff(): u32 { return bootHandoff; }

// The default name of the next domain (no name= in its config).
export function nextDomainName(): string {
  return "dom" + dec(nextId);
}

// Boot path: create, load from the module (and a Linux kernel's initrd
// from `rd`), set the entry, start. Returns the domain, or null (and
// nothing allocated) if it could not be built.
export function domainBuild(cfg: DomainConfig, img: GuestImage, m: BootModule, handoff: u32,
                            rd: BootModule | null = null): Domain | null {
  // The boot information first: its errors need no domain.
  let rdAt: u64 = 0;
  let rdSize: u64 = 0;
  if (rd !== null) {
    const b = img.bz;
    if (b === null) {
      notCreated(cfg.name, "an initrd is for a Linux kernel only");
      return null;
    }
    rdSize = rd.end - rd.start;
    rdAt = bzImageInitrdAt(b, cfg.memBytes, rdSize);
    if (rdAt == 0) {
      notCreated(cfg.name, bzImageInitrdMiss(b, cfg.memBytes, rdSize));
      return null;
    }
  }
  const biSize = imageBootInfo(img, bootInfo, cfg.memBytes, cfg.cmdline, rdAt, rdSize);
  if (biSize < 0 || !imageEntry(img, entryRecord)) {
    notCreated(cfg.name, biSize < 0 ? "boot information: " + bootInfoErrorText(biSize) : "unknown entry mode");
    return null;
  }
  const asDom0 = domain0() === null && isControlModule(cfg.cmdline);
  const dom = domainCreate(cfg, handoff, asDom0);
  if (dom === null) return null;
  for (let i = 0; i < img.segments.length; i++) {
    const s = unchecked(img.segments[i]);
    if (!guestCopy(dom, s.gpa, <usize>(m.start + s.fileOffset), s.fileSize, true)) {
      return undoCreate(dom, "segment at " + dec(s.gpa) + " does not fit its memory");
    }
  }
  if (rd !== null && !guestCopy(dom, rdAt, <usize>rd.start, rdSize, true)) return undoCreate(dom, "the initrd does not fit its memory");
  guestCopy(dom, GUEST_BOOTINFO_GPA, bootInfo, <u64>biSize, true);
  const e = domainSetEntry(dom, 0, entryRecord);
  if (e != 0) return undoCreate(dom, "entry state refused (errno " + dec(e) + ")");
  if (domainStart(dom) != 0) return null;
  if (asDom0) domain0Set(dom);
  dom.image = m;
  dom.initrd = rd;

  print("hv: domain ");
  printDec(dom.id);
  print(" (");
  print(dom.name);
  print(") memory ");
  printDec(cfg.memBytes >> 20);
  print(" MiB: ");
  printDec(dom.stats.pages2M);
  print(" x 2M pages, ");
  printDec(dom.stats.pages4K);
  print(" x 4K pages; entry ");
  printHex(img.entry, 8);
  print(img.mode == ENTRY_LONG64 ? " (64-bit)" : img.mode == ENTRY_REAL ? " (real mode)" :
    img.mode == ENTRY_LINUX64 ? " (Linux, 64-bit)" : " (32-bit multiboot)");
  println("");
  if (asDom0) {
    print("hv: domain ");
    printDec(dom.id);
    print(" (");
    print(dom.name);
    println(") is Domain 0: COM1 (0x3f8-0x3ff) and PCI configuration (0xcf8-0xcff) passed through");
    logSerialShared(true);
  }
  return dom;
}

// A new domain for `cfg`: zeroed memory mapped by its EPT, console, UART and
// debug-exit port, `vcpus=` vCPUs, each with its VPID and VMCS (a
// placeholder entry until domainSetEntry). `asDom0`: the real COM1 and PCI
// configuration ports instead of the emulated UART. State DOMSTATE_CREATED,
// in `domains`, not scheduled. On failure (out of memory) null, and no frame
// stays allocated.
// Everything made for the domain goes to its arena (src/mm/region.ts), so
// that all of it goes back when it is reaped; what the caller passes in
// (the config's strings) is copied.
// `withMemory` false: its RAM is left unmapped (a fork maps a snapshot's,
// src/state/fork.ts), and so are the tables written into it.
export function domainCreate(cfg: DomainConfig, handoff: u32, asDom0: bool = false, withMemory: bool = true): Domain | null {
  bootHandoff = handoff;
  const arena = arenaCreate(ARENA_BYTES + ARENA_VCPU_BYTES * <usize>cfg.vcpus);
  if (arena === null) {
    notCreated(cfg.name, "the hypervisor's memory for domain state is used up (" + dec(heapFree() >> 10) + " KiB left)");
    return null;
  }
  const prev = regionUse(arena);
  const dom = createIn(arena, cfg, handoff, asDom0, withMemory);
  regionUse(prev);
  if (dom === null) {
    arenaFree(arena);
    return null;
  }
  // The table of domains is the host's, not the domain's.
  const p = permanentBegin();
  domains.push(dom);
  regionUse(p);
  return dom;
}

function createIn(arena: Region, cfg: DomainConfig, handoff: u32, asDom0: bool, withMemory: bool): Domain | null {
  const dom = new Domain(nextId++, strCopy(cfg.name));
  dom.arena = arena;
  const exitPath = optionValue(cfg.cmdline, "exit");
  dom.floorExits = exitPath !== null && exitPath == "floor";
  dom.rights = rightsFromCmdline(cfg.cmdline); // `control=1` (all), `rights=`
  if (dom.floorExits && !exitFloorAllowed) return createFailed(dom, "exit=floor needs bench_exit_floor on the hypervisor's command line");
  dom.eptPml4 = eptCreate();
  if (dom.eptPml4 == 0) return createFailed(dom, "out of memory for its EPT");
  dom.eptPointer = eptPointer(dom.eptPml4, false);
  if (withMemory) {
    const memError = guestMemoryAlloc(dom, cfg.memBytes);
    if (memError.length != 0) return createFailed(dom, memError);
  } else {
    guestMemoryInit(dom, cfg.memBytes);
  }
  if (asDom0) {
    dom.ioBitmapA = ioBitmapAlloc();
    if (dom.ioBitmapA == 0) return createFailed(dom, "out of memory for its I/O bitmap");
    ioBitmapPass(dom.ioBitmapA, COM1, UART_PORTS);
    ioBitmapPass(dom.ioBitmapA, PCI_CONFIG_PORT, PCI_CONFIG_PORTS);
  }
  // ioports=: the ports it drives itself (a driver domain's device).
  if (cfg.ioports.length != 0) {
    if (dom.ioBitmapA == 0) dom.ioBitmapA = ioBitmapAlloc();
    if (dom.ioBitmapA == 0) return createFailed(dom, "out of memory for its I/O bitmap");
    for (let i = 0; i + 1 < cfg.ioports.length; i += 2) ioBitmapPass(dom.ioBitmapA, unchecked(cfg.ioports[i]), unchecked(cfg.ioports[i + 1]));
  }
  if (<u64>framesFree() < VMCS_FRAMES + <u64>cfg.vcpus - 1) return createFailed(dom, "out of memory for its VMCSs");
  dom.weight = cfg.weight;
  dom.cap = cfg.cap;
  dom.onPoweroff = cfg.onPoweroff;
  dom.onReboot = cfg.onReboot;
  dom.onCrash = cfg.onCrash;
  dom.configLine = strCopy(cfg.line);
  if ((cfg.cpus & schedOnlineMask()) == 0) return createFailed(dom, "cpus= names no online CPU");

  const con = Console.create(cfg.name);
  dom.console = con;
  dom.irqs = eventIrqs(dom);
  dom.ports.register(ISA_DEBUG_EXIT_PORT, ISA_DEBUG_EXIT_SIZE, dom.device(new DebugExit()));
  if (hasTestdev(cfg.cmdline)) dom.mmio.register(TESTDEV_MMIO_BASE, TESTDEV_MMIO_SIZE, dom.device(new TestDev()));
  // The guest's TSC starts near zero and only moves forward.
  dom.tscOffset = 0 - rdtsc();

  const timers = vcpuTimerClient(dom);
  for (let i: u32 = 0; i < cfg.vcpus; i++) {
    const vcpu = new Vcpu(dom, i, timers);
    vcpu.affinity = cfg.cpus;
    vcpu.vpid = vpidAlloc();
    if (vcpu.vpid == 0) return undoCreate(dom, "no VPID left");
    vcpu.xsaveArea = (heap.alloc(<usize>xsaveAreaSize + 64) + 63) & ~<usize>63;
    memory.fill(vcpu.xsaveArea, 0, xsaveAreaSize);
    store<u32>(vcpu.xsaveArea + XSAVE_MXCSR_OFFSET, MXCSR_RESET);
    dom.vcpus.push(vcpu);
    vmcsInit(vcpu, handoff, start.clear());
  }
  // A DomU is a PC (src/domain/pc.ts); its COM1 interrupts on ISA IRQ 4.
  // Domain 0 drives the real devices and gets events.
  if (!asDom0) {
    const isa = pcCreate(dom, pcWallClockNow());
    const uart = dom.device(new UartDevice(con, new IrqLine(isa, COM1_ISA_IRQ)));
    dom.uart = uart;
    dom.ports.register(COM1, UART_PORTS, uart);
    if (withMemory && configAcpi(cfg.cmdline)) {
      const e = pcWriteAcpiTables(dom);
      if (e.length != 0) return undoCreate(dom, e);
    }
  }
  dom.state = DOMSTATE_CREATED;
  return dom;
}

// Sets vCPU `index` of a created domain to enter as the VCPUENTRY record at
// host address `rec` says (layout and rules: src/arch/abi.ts). Returns
// 0, or an errno with nothing changed: ESRCH (no such vCPU), EINVAL (not a
// created domain, or a malformed record). Leaves the vCPU's VMCS current:
// a caller that runs a vCPU next must make that one's current again.
export function domainSetEntry(dom: Domain, index: u64, rec: usize): u32 {
  if (!isCreated(dom)) return EINVAL;
  if (index >= <u64>dom.vcpus.length) return ESRCH;
  return vcpuSetEntry(dom, unchecked(dom.vcpus[<i32>index]), rec);
}

// HC_VCPU_START: a running domain starts one of its further vCPUs (not vCPU
// 0, not one already started) at the VCPUENTRY record at host address `rec`
// (the caller's copy). 0, ESRCH (no such vCPU) or EINVAL; like
// domainSetEntry, leaves the new vCPU's VMCS current.
export function vcpuStart(dom: Domain, index: u64, rec: usize): u32 {
  if (dom.state == DOMSTATE_STOPPED || dom.state == DOMSTATE_CREATED) return EINVAL;
  if (index >= <u64>dom.vcpus.length) return ESRCH;
  const v = unchecked(dom.vcpus[<i32>index]);
  if (index == 0 || v.state.started) return EINVAL;
  const e = vcpuSetEntry(dom, v, rec);
  if (e != 0) return e;
  return schedAdd(v) ? 0 : ENOMEM;
}

function vcpuSetEntry(dom: Domain, v: Vcpu, rec: usize): u32 {
  const mode = load<u32>(rec + VCPUENTRY_MODE);
  const flags = load<u32>(rec + VCPUENTRY_FLAGS);
  const s = start.clear();
  s.rip = load<u64>(rec + VCPUENTRY_RIP);
  s.rsp = load<u64>(rec + VCPUENTRY_RSP);
  s.rax = load<u64>(rec + VCPUENTRY_RAX);
  s.rbx = load<u64>(rec + VCPUENTRY_RBX);
  s.rdi = load<u64>(rec + VCPUENTRY_RDI);
  s.rsi = load<u64>(rec + VCPUENTRY_RSI);
  s.cr3 = load<u64>(rec + VCPUENTRY_CR3);
  s.gdtBase = load<u64>(rec + VCPUENTRY_GDT_BASE);
  s.gdtLimit = load<u32>(rec + VCPUENTRY_GDT_LIMIT);
  s.realCs = load<u32>(rec + VCPUENTRY_REAL_CS);
  const mem = dom.guest.memBytes;
  const low32 = (s.rip | s.rsp | s.rax | s.rbx | s.rdi | s.rsi) <= 0xffffffff;
  const tables = (flags & VCPUENTRY_FLAG_BUILDER_TABLES) != 0;
  if ((flags & ~VCPUENTRY_FLAG_BUILDER_TABLES) != 0) return EINVAL;
  if (mode == VCPU_MODE_REAL) {
    if (tables || !low32 || s.realCs > 0xffff || s.rip > 0xffff || s.rsp > 0xffff) return EINVAL;
    if ((<u64>s.realCs << 4) + s.rip >= mem) return EINVAL;
    s.mode = START_REAL;
  } else if (mode == VCPU_MODE_PROTECTED32) {
    if (tables || !low32 || s.rip >= mem) return EINVAL;
    s.mode = START_PROTECTED32;
  } else if (mode == VCPU_MODE_LONG64) {
    if (!isCanonical(s.rip) || !isCanonical(s.rsp)) return EINVAL;
    if (tables) {
      s.cr3 = GUEST_PML4_GPA;
      s.gdtBase = GUEST_GDT_GPA;
      s.gdtLimit = GDT_LIMIT;
    } else {
      if ((s.cr3 & 0xfff) != 0 || s.cr3 >= mem || mem - s.cr3 < 0x1000) return EINVAL;
      if (s.gdtLimit < GDT_LIMIT || s.gdtLimit > 0xffff || s.gdtBase >= mem ||
        mem - s.gdtBase < <u64>s.gdtLimit + 1) return EINVAL;
    }
    s.mode = START_LONG64;
  } else {
    return EINVAL;
  }
  if (tables) writeLongModeTables(dom);
  vcpuEntryState(v, s);
  return 0;
}

// `v` enters as `s` says: a fresh VMCS, current on this CPU (the old one
// goes back first, so vmcsInit's frame is always there).
export function vcpuEntryState(v: Vcpu, s: StartState): void {
  if (v.vmcs != 0) {
    vmcsEvict(v);
    forgetVcpu(v);
    frameFree(v.vmcs);
    v.vmcs = 0;
  }
  vmcsInit(v, bootHandoff, s);
  v.state.entrySet = true;
  v.state.waitSipi = false;
}

// Puts a created domain whose entry is set on the scheduler. 0, or EINVAL
// (not a created domain, or no entry set yet); ENOMEM if the scheduler is
// full (the domain is then stopped).
// vCPU 0 starts, and any other vCPU whose entry was set while the domain
// was created; the rest wait for the guest's HC_VCPU_START.
export function domainStart(dom: Domain): u32 {
  if (!isCreated(dom) || !unchecked(dom.vcpus[0]).state.entrySet) return EINVAL;
  dom.state = DOMSTATE_RUNNABLE;
  for (let i = 0; i < dom.vcpus.length; i++) {
    const v = unchecked(dom.vcpus[i]);
    if (v.state.entrySet && !schedAdd(v)) {
      domainStop(dom, "too many vCPUs for the scheduler");
      return ENOMEM;
    }
  }
  return 0;
}

// `testdev=1`: the test kernels' MMIO scratch device (test only).
function hasTestdev(cmdline: string): bool {
  const v = optionValue(cmdline, "testdev");
  return v !== null && v == "1";
}

function notCreated(name: string, why: string): void {
  print("hv: domain ");
  print(name);
  print(" not created: ");
  println(why);
}

function buildFailed(dom: Domain, why: string): Domain | null {
  notCreated(dom.name, why);
  if (dom.ioBitmapA != 0) {
    frameFree(dom.ioBitmapA);
    dom.ioBitmapA = 0;
  }
  guestMemoryFree(dom);
  if (dom.eptPml4 != 0) eptDestroy(dom.eptPml4);
  dom.eptPml4 = 0;
  return null;
}

// domainCreate's failure: nothing kept, its id not used up.
function createFailed(dom: Domain, why: string): Domain | null {
  if (dom.id == nextId - 1) nextId--;
  return buildFailed(dom, why);
}

// Takes back a domain domainCreate made (or was making): as if it had never
// been created. One already in `domains` (a boot-path failure after it) also
// gives its arena back here; for one not yet there, domainCreate does.
function undoCreate(dom: Domain, why: string): Domain | null {
  const i = domains.indexOf(dom);
  if (i >= 0) domains.splice(i, 1);
  for (let k = 0; k < dom.vcpus.length; k++) {
    const v = unchecked(dom.vcpus[k]);
    vmcsEvict(v);
    forgetVcpu(v);
    if (v.vmcs != 0) {
      frameFree(v.vmcs);
      v.vmcs = 0;
    }
    vpidFree(v.vpid);
  }
  dom.state = DOMSTATE_STOPPED;
  buildFailed(dom, why);
  if (i >= 0) arenaFree(dom.arena);
  return null;
}

// Identity map of the first 4 GiB with 2 MiB pages, and a flat GDT, for a
// guest entered in 64-bit mode.
function writeLongModeTables(dom: Domain): void {
  memory.fill(page, 0, 4096);
  store<u64>(page, (GUEST_PML4_GPA + 0x1000) | PTE_P | PTE_RW);
  guestCopy(dom, GUEST_PML4_GPA, page, 4096, true);
  memory.fill(page, 0, 4096);
  for (let i: u64 = 0; i < 4; i++) store<u64>(page + <usize>(i * 8), (GUEST_PML4_GPA + 0x2000 + i * 0x1000) | PTE_P | PTE_RW);
  guestCopy(dom, GUEST_PML4_GPA + 0x1000, page, 4096, true);
  for (let pd: u64 = 0; pd < 4; pd++) {
    for (let i: u64 = 0; i < 512; i++) {
      store<u64>(page + <usize>(i * 8), ((pd << 30) + (i << 21)) | PTE_P | PTE_RW | PTE_PS);
    }
    guestCopy(dom, GUEST_PML4_GPA + 0x2000 + pd * 0x1000, page, 4096, true);
  }
  memory.fill(page, 0, 24);
  store<u64>(page + 8, 0x00af9a000000ffff);  // 0x08: 64-bit code
  store<u64>(page + 16, 0x00cf92000000ffff); // 0x10: data
  guestCopy(dom, GUEST_GDT_GPA, page, 24, true);
}
