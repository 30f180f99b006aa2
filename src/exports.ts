// What the test build (src/test.ts, build/hv-test.wasm) exports besides
// kmain and apMain: the entry points the unit tests drive (tests/unit/) on
// the sources that run on bare metal. Not in the production image.
export * from "./arch/layout";

// ── Boot information (src/boot/) ───────────────────────────────────────────
// bootInfoParse keeps its result for the accessors below and framesInitBoot.
import { BootInfo, bootInfoPrint } from "./boot/bootinfo";
import { parseBootInfo } from "./boot/parse";
import { framesInit } from "./mm/frames";
import { bootReservedRanges } from "./mm/reserved";
import { stringFromBytes } from "./lib/str";
let lastBootInfo: BootInfo | null = null;
export function bootInfoParse(magic: u32, info: u32): i32 {
  const bi = parseBootInfo(magic, info);
  lastBootInfo = bi;
  return bi.error.length == 0 ? 0 : -1;
}
export function bootInfoError(): string { return lastBootInfo !== null ? lastBootInfo!.error : "no boot info parsed"; }
export function bootInfoPrintLast(): void { if (lastBootInfo !== null) bootInfoPrint(lastBootInfo!); }
export function bootInfoJson(): string { return lastBootInfo !== null ? lastBootInfo!.toJson() : "null"; }
// The `len` bytes at `addr` as a string: how a test hands a string argument in.
export function bytesToString(addr: u32, len: u32): string { return stringFromBytes(addr, len); }
export { optionValue as cmdlineOptionValue, hasFlag as cmdlineHasFlag } from "./boot/cmdline";

// ── Physical frames (src/mm/) ──────────────────────────────────────────────
// The allocator over the last parsed boot info, with kmain's reservations.
export function framesInitBoot(): void {
  const bi = lastBootInfo !== null ? lastBootInfo! : new BootInfo();
  framesInit(bi.memory, bootReservedRanges(bi));
}
export {
  frameAlloc, frameAllocContiguous, frameFree, frameFreeChecked, framesFree, framesTotal,
  framesTop, frameIsUsable, frameIsAllocated,
} from "./mm/frames";

// ── VT-x capabilities (src/vmx/capabilities.ts) ────────────────────────────
export {
  vmxProbe, vmxStatus, vmxMissingReason, vmxPrintSummary, vmxPrintMissing,
  vmxFeatureControlBefore, vmxFeatureControl,
  vmxRevisionId, vmxRegionSize, vmxMemoryType, vmxHasTrueControls, vmxAllowed0, vmxAllowed1,
  vmxCanSet, vmxAdjustControls, vmxPreemptionTimerRate, vmxStoresLma, vmxHltActivity,
  vmxCr3TargetCount, vmxMaxMsrListSize, eptVpidHas, eptUsable, eptFeatureText, invvpidTypesText,
} from "./vmx/capabilities";

// ── ACPI (src/platform/acpi.ts): CPUs and interrupt controllers ─────────────
export {
  acpiInit, acpiFindRsdp, acpiCpuCount, acpiCpuApicId, acpiCpusDropped, acpiLapicBase,
  acpiIoapicCount, acpiIoapicBase, acpiIoapicGsiBase, acpiIsaIrqGsi, acpiIsaIrqFlags, ACPI_CPUS_MAX,
} from "./platform/acpi";

// ── I/O APICs (src/platform/ioapic.ts), over what acpiInit found ──────────
export { ioapicInit, ioapicUnits, ioapicRouteIsa, ioapicUnmask, ioapicMask, ioapicVector } from "./platform/ioapic";

// ── Per-domain devices (src/devices/): console ring, 16550 UART, port bus ──
// Instances are pointers (u32); the free functions take them first.
export {
  consoleCreate, consolePut, consoleRead, consoleHead, consoleFlush, consoleSetLog,
  CONSOLE_RING_SIZE, CONSOLE_NAME_MAX, CONSOLE_LINE_MAX, CONSOLE_BLOCK_SIZE, LOG_BURST, LOG_RATE,
} from "./devices/console";
export { tscHz } from "./cpu/tsc";
// The UART and the port bus through their old pointer-first forms: a UART
// is a UartDevice, a bus a port Bus (src/devices/).
import { UartDevice, UART_KIND, UART_RING_SIZE, UART_BLOCK_SIZE } from "./devices/uart16550";
import { Bus } from "./devices/bus";
import { Access, Device, DEV_OK, DEV_STOP, SPACE_PORT } from "./devices/device";
import { DebugExit, DEBUG_EXIT_KIND } from "./devices/debug-exit";
import { Console as DevConsole, CONSOLE_NAME } from "./devices/console";
import { Uart16550 as DevUart } from "./devices/uart16550";
export { UART_RING_SIZE, UART_BLOCK_SIZE };
export const DEV_UART: u32 = UART_KIND;
export const DEV_DEBUG_EXIT: u32 = DEBUG_EXIT_KIND;
export const PORT_ACTION_CONTINUE: u32 = DEV_OK;
export const PORT_ACTION_STOP: u32 = DEV_STOP;
const testAccess = new Access();
export function uartCreate(sink: DevConsole | null): UartDevice { return new UartDevice(sink, null); }
export function uartRead(u: UartDevice, offset: u32): u8 { return u.s.read(offset); }
export function uartWrite(u: UartDevice, offset: u32, value: u8): void {
  testAccess.offset = offset;
  u.write(testAccess, value);
}
export function uartReceive(u: UartDevice, b: u8): bool { return u.receive(b); }
export function uartIrqPending(u: UartDevice): bool { return u.s.irqPending(); }
export function uartRxPending(u: UartDevice): u32 { return u.s.rxPending(); }
export function portBusCreate(): Bus { return new Bus(SPACE_PORT); }
// `kind` DEV_DEBUG_EXIT makes its own device; DEV_UART takes the UartDevice
// at `instance` (0: a range never accessed, to fill the table).
export function portBusRegister(b: Bus, base: u32, len: u32, kind: u32, instance: usize): i32 {
  const dev: Device = kind == DEV_DEBUG_EXIT ? new DebugExit() : changetype<Device>(instance);
  return b.register(base, len, dev) ? 0 : -1;
}
export function portBusExitCode(b: Bus): u32 { return <u32>b.stopCode; }
export function portRead(b: Bus, port: u32, size: u32): u32 { return <u32>b.read(testAccess, port, size); }
export function portWrite(b: Bus, port: u32, size: u32, value: u32): u32 { return b.write(testAccess, port, size, value); }
// The state blocks' layouts as the comments in src/devices/ draw them.
export function devLayoutCheck(): u32 {
  let bad: u32 = 0;
  if (offsetof<DevUart>() != 32) bad |= 1;
  if (offsetof<DevUart>("ier") != 20 || offsetof<DevUart>("fifoCount") != 31) bad |= 2;
  if (offsetof<DevConsole>() != CONSOLE_NAME || offsetof<DevConsole>("logAt") != 40) bad |= 4;
  if (offsetof<DevConsole>("toLog") != 16 || offsetof<DevConsole>("unlogged") != 24) bad |= 8;
  return bad;
}

// ── Guest domains (src/domain/) ─────────── (appended by the domain-builder work)
// Thin wrappers for tests: each parse keeps its result for a JSON accessor.
import { DomainConfig, parseDomainConfig } from "./domain/config";
import { GuestImage, parseImage } from "./domain/image";
import { writeMultiboot1Info, writeMultiboot2Info } from "./domain/bootinfo-writer";
let lastDomainConfig: DomainConfig | null = null;
let lastGuestImage: GuestImage | null = null;
export function domainConfigParse(line: string, defaultName: string): i32 {
  return domainConfigParseMem(line, defaultName, 0);
}
// With dom0_mem='s override (0: none).
export function domainConfigParseMem(line: string, defaultName: string, memOverride: u64): i32 {
  const c = parseDomainConfig(line, defaultName, memOverride);
  lastDomainConfig = c;
  return c.error.length == 0 ? 0 : -1;
}
export function domainConfigJson(): string { return lastDomainConfig !== null ? lastDomainConfig!.toJson() : "null"; }
export function guestImageParse(start: u64, size: u64, kind: u32, memBytes: u64, load: u64): i32 {
  const img = parseImage(start, size, kind, memBytes, load);
  lastGuestImage = img;
  return img.error.length == 0 ? <i32>img.mode : -1;
}
export function guestImageJson(): string { return lastGuestImage !== null ? lastGuestImage!.toJson() : "null"; }
export function bootInfoWriteMb1(dst: u32, gpa: u64, memBytes: u64, cmdline: string): i32 {
  return writeMultiboot1Info(dst, gpa, memBytes, cmdline);
}
export function bootInfoWriteMb2(dst: u32, gpa: u64, memBytes: u64, cmdline: string): i32 {
  return writeMultiboot2Info(dst, gpa, memBytes, cmdline);
}
export {
  DOMAIN_KIND_AUTO, DOMAIN_KIND_FLAT64, DOMAIN_KIND_REALMODE, isDomainModule,
} from "./domain/config";
export {
  ENTRY_NONE, ENTRY_PROTECTED32_MULTIBOOT1, ENTRY_PROTECTED32_MULTIBOOT2, ENTRY_LONG64, ENTRY_REAL,
  GUEST_RESERVED_LOW,
} from "./domain/image";
export { bootInfoErrorText } from "./domain/bootinfo-writer";

// ── VMCS encodings, exit reasons, EPT (src/arch/vmcs.ts, vmx-exit.ts, src/ept/) ─
// Appended by the EPT/VMCS work; the unit tests walk these.
import { MemoryRange } from "./boot/bootinfo";
import { MULTIBOOT_MEMORY_AVAILABLE } from "./arch/multiboot";
import { EXIT_REASON_COUNT } from "./arch/vmx-exit";
// Test-only: the allocator over one available range [base, base + length)
// with nothing reserved, so tests can hand out frames inside the sim's memory.
export function framesInitRange(base: u64, length: u64): void {
  framesInit([new MemoryRange(base, length, MULTIBOOT_MEMORY_AVAILABLE)], []);
}
export function exitReasonCount(): u32 { return EXIT_REASON_COUNT; }
export {
  vmcsFieldCount, vmcsFieldEncoding, vmcsFieldWidth, vmcsFieldType, vmcsFieldName, vmInstructionErrorText,
} from "./arch/vmcs";
export { exitReasonName } from "./arch/vmx-exit";
// Accessor `n` of src/vmx/vmcs.ts (0-3: vmcsRead16/32/64/Nat, 4-7:
// vmcsWrite16/32/64/Nat) on any `field` of the current VMCS: what a read
// returns, 0 after a write. The one access whose field comes from the
// test, not from the code: the test build's width check catches a mismatch.
import {
  vmcsRead16, vmcsRead32, vmcsRead64, vmcsReadNat, vmcsWrite16, vmcsWrite32, vmcsWrite64, vmcsWriteNat,
} from "./vmx/vmcs";
export function testVmcsAccess(accessor: u32, field: u32, value: u64): u64 {
  switch (accessor) {
    case 0: return vmcsRead16(field);
    case 1: return vmcsRead32(field);
    case 2: return vmcsRead64(field);
    case 3: return vmcsReadNat(field);
    case 4: vmcsWrite16(field, <u16>value); break;
    case 5: vmcsWrite32(field, <u32>value); break;
    case 6: vmcsWrite64(field, value); break;
    case 7: vmcsWriteNat(field, value); break;
  }
  return 0;
}
export {
  eptCreate, eptPointer, eptMap, eptUnmap, eptProtect, eptTranslate, eptLeafSize, eptLeafEntry,
  eptDestroy,
} from "./ept/ept";

// ── Exit dispatch on the simulated CPU (tests/unit/exit-dispatch.test.ts) ──
// Appended by the exit-dispatch test work. A domain is built by the real
// builder (config line -> parseImage -> domainBuild) and entered once at a
// time through the run loop's own steps (switchTo, preemption timer,
// enterOnce); tests/sim/vmx.ts plays the CPU and the guest.
import { vmxEnable } from "./vmx/vmxon";
import { step } from "./run";
import { domainBuild, bootDomainConfig } from "./lifecycle/builder";
import { domainStop } from "./lifecycle/stop";
import { switchTo } from "./vmx/switch";
import { Domain, domains, DOMSTATE_STOPPED, EXIT_COUNT_SLOTS } from "./domain/domain";
import { BootModule } from "./boot/bootinfo";
import { VMX_PREEMPTION_TIMER_VALUE } from "./arch/vmcs";
export { vmxEnable };
export { exitDisposition, EXIT_HANDLED, EXIT_UNDEFINED, EXIT_UNHANDLED, DISPOSITION_COUNT } from "./vmx/exit";
export {
  ACTION_RESUME, ACTION_NEXT, ACTION_YIELD, ACTION_PREEMPT, ACTION_BLOCK, ACTION_STOP,
} from "./vmx/action";
export { logHead, logRead, logReadOwn } from "./log/log";

let lastDomainError: string = "";
function testDomain(id: u32): Domain | null {
  for (let i = 0; i < domains.length; i++) if (unchecked(domains[i]).id == id) return unchecked(domains[i]);
  return null;
}
// Builds a domain from the image at [start, start + size) and the module
// command line `line` (`domain name=... mem=... kind=...`) as
// buildBootDomains does; `handoff` is the boot stub's hand-off block.
// Returns the domain id, or 0 (testDomainError() says why).
export function testDomainCreate(start: u64, size: u64, line: string, handoff: u32): u32 {
  lastDomainError = "";
  const cfg = bootDomainConfig(line, "test");
  if (cfg.error.length != 0) { lastDomainError = cfg.error; return 0; }
  const img = parseImage(start, size, cfg.kind, cfg.memBytes, cfg.load);
  if (img.error.length != 0) { lastDomainError = img.error; return 0; }
  const dom = domainBuild(cfg, img, new BootModule(start, start + size, line), handoff);
  if (dom === null) { lastDomainError = "domainBuild failed"; return 0; }
  return dom.id;
}
export function testDomainError(): string { return lastDomainError; }
// One VM entry of the domain's vCPU 0 and the handling of its exit (switchTo,
// the preemption timer set to `timer` as run() arms a slice, enterOnce), as one
// iteration of run()'s inner loop; the action (ACTION_*), or 0xffffffff if
// there is no such domain or it is stopped.
export function testEnterOnce(id: u32, timer: u32): u32 {
  const dom = testDomain(id);
  if (dom === null || dom.state == DOMSTATE_STOPPED) return 0xffffffff;
  const vcpu = unchecked(dom.vcpus[0]);
  switchTo(vcpu);
  vmcsWrite32(VMX_PREEMPTION_TIMER_VALUE, timer);
  return step(vcpu);
}
export function testDomainState(id: u32): u32 { const d = testDomain(id); return d !== null ? d.state : 0xffffffff; }
export function testDomainStopReason(id: u32): string { const d = testDomain(id); return d !== null ? d.stopReason : ""; }
export function testDomainExitCount(id: u32, reason: u32): u64 {
  const d = testDomain(id);
  return d !== null && reason < EXIT_COUNT_SLOTS ? d.stats.exitCounts[reason] : 0;
}
// Pieces of guest memory it has mapped (2 MiB and 4 KiB pages); 0 once stopped.
export function testDomainChunks(id: u32): u32 {
  const d = testDomain(id);
  return d !== null && d.eptPml4 != 0 ? d.stats.pages2M + d.stats.pages4K : 0;
}
export function testVcpuRegs(id: u32): u32 { const d = testDomain(id); return d !== null ? <u32>unchecked(d.vcpus[0]).regs : 0; }
export function testVcpuVmcs(id: u32): u64 { const d = testDomain(id); return d !== null ? unchecked(d.vcpus[0]).vmcs : 0; }
export function testVcpuVpid(id: u32): u32 { const d = testDomain(id); return d !== null ? unchecked(d.vcpus[0]).vpid : 0; }
export function testVcpuHalted(id: u32): bool { const d = testDomain(id); return d !== null ? unchecked(d.vcpus[0]).state.halted : false; }
export function testDomainStop(id: u32, reason: string): void { const d = testDomain(id); if (d !== null) domainStop(d, reason); }

// ── Management hypercalls (tests/unit/hypercall.test.ts) ───────────────────
// Appended by the hypercall-ABI management work: rights, pause state, run
// time and guest memory of a test domain (by id).
import { domainCharge } from "./lifecycle/stop";
import { guestToHost as testGuestToHostOf } from "./domain/memory";
export function testDomainSetRights(id: u32, rights: u32): void { const d = testDomain(id); if (d !== null) d.rights = rights; }
export function testDomainRights(id: u32): u32 { const d = testDomain(id); return d !== null ? d.rights : 0; }
export function testDomainPaused(id: u32): bool { const d = testDomain(id); return d !== null ? d.paused : false; }
export function testDomainCharge(id: u32, ticks: u64): void { const d = testDomain(id); if (d !== null) domainCharge(d, ticks); }
export function testDomainCount(): u32 { return <u32>domains.length; }
// Host (wasm) address of the domain's guest-physical `gpa`, or 0.
export function testGuestToHost(id: u32, gpa: u64): u64 { const d = testDomain(id); return d !== null ? testGuestToHostOf(d, gpa) : 0; }
export { rightsFromCmdline } from "./domain/rights";

// ── Scheduler policy on a simulated clock (tests/unit/credit.test.ts) ──────
// Appended by the credit-scheduler work. One policy instance, driven through
// the SchedPolicy abstract class exactly as the run loop will call it.
import { SchedPolicy } from "./sched/policy";
import { policyCreate } from "./sched/scheduler";
let testPolicy: SchedPolicy | null = null;
// Returns false if the parameters are refused.
export function schedTestCreate(id: u32, cpus: u32, maxVcpus: u32, period: u64, slice: u64): bool {
  testPolicy = policyCreate(id, cpus, maxVcpus, period, slice);
  return testPolicy !== null;
}
export function schedAdd(vcpu: u32, domain: u32, mask: u64): bool { return testPolicy!.add(vcpu, domain, mask); }
export function schedRemove(vcpu: u32): void { testPolicy!.remove(vcpu); }
export function schedSetDomainParams(domain: u32, weight: u32, cap: u32): void { testPolicy!.setDomainParams(domain, weight, cap); }
export function schedSetAffinity(vcpu: u32, mask: u64): bool { return testPolicy!.setAffinity(vcpu, mask); }
export function schedBlock(vcpu: u32): void { testPolicy!.block(vcpu); }
export function schedWake(vcpu: u32, now: u64): i32 { return testPolicy!.wake(vcpu, now); }
export function schedPick(cpu: u32, now: u64): i32 { return testPolicy!.pick(cpu, now); }
export function schedSlice(cpu: u32): u64 { return testPolicy!.slice(cpu); }
export function schedCharge(vcpu: u32, ran: u64, now: u64): void { testPolicy!.charge(vcpu, ran, now); }
export function schedTick(now: u64): void { testPolicy!.tick(now); }
export function schedSetOnline(mask: u64): bool { return testPolicy!.setOnline(mask); }
export function schedIdleFor(cpu: u32): i32 { return testPolicy!.idleFor(cpu); }
export function schedQueueLength(cpu: u32): u32 { return testPolicy!.queueLength(cpu); }
export function schedRunning(cpu: u32): i32 { return testPolicy!.running(cpu); }
export function schedBusyTicks(cpu: u32): u64 { return testPolicy!.busyTicks(cpu); }
export function schedIdleTicks(cpu: u32): u64 { return testPolicy!.idleTicks(cpu); }
export function schedSteals(cpu: u32): u64 { return testPolicy!.steals(cpu); }
export function schedVcpuState(vcpu: u32): u32 { return testPolicy!.vcpuState(vcpu); }
export function schedVcpuCpu(vcpu: u32): i32 { return testPolicy!.vcpuCpu(vcpu); }
export function schedVcpuPriority(vcpu: u32): i32 { return testPolicy!.vcpuPriority(vcpu); }
export function schedVcpuRunTicks(vcpu: u32): u64 { return testPolicy!.vcpuRunTicks(vcpu); }
export function schedDomainCredit(domain: u32): i64 { return testPolicy!.domainCredit(domain); }
export function schedPolicyName(): string { return testPolicy!.name(); }

// ── Run-time domain building (tests/unit/hypercall-build.test.ts) ──────────
// Appended by the Domain 0 lifecycle work: boot modules as the hypervisor
// keeps them (src/domain/modules.ts) and the created vCPU's scheduler slot.
import { moduleRegister as testModuleRegisterOf } from "./domain/modules";
export function testModuleRegister(start: u64, end: u64, line: string, take: bool): void {
  testModuleRegisterOf(new BootModule(start, end, line), take);
}
export function testVcpuSchedId(id: u32): i32 { const d = testDomain(id); return d !== null ? unchecked(d.vcpus[0]).schedId : -2; }
export { isBootDomainModule } from "./domain/modules";
export { isForDom0 } from "./domain/config";

// ── Events, the serial console, host calls (tests/unit/events.test.ts) ────
// Appended by the events work: raising an event, the run loop's blocking of
// a halted vCPU, who holds COM1, Domain 0.
import { eventRaise } from "./domain/events";
import { schedCharge as runSchedCharge } from "./sched/scheduler";
import { serialConsoleHolder, serialConsoleForce } from "./domain/serial-console";
import { dom0MemOption, exitFloorOption } from "./lifecycle/builder";
import { domain0 } from "./domain/domain";
import { rdtsc as testRdtsc } from "./arch/hw";
import { println as logPrintln, panic as logPanic, logOnSerial } from "./log/log";
import { irqDispatch, irqCount, irqBind } from "./domain/host-irq";
export { logOnSerial, irqDispatch, irqCount };
export { memSizeError } from "./domain/config";
export function testEventRaise(id: u32, event: u32, fromIrq: bool): void { const d = testDomain(id); if (d !== null) eventRaise(d, event, fromIrq); }
export function testVcpuIntrPending(id: u32): bool { const d = testDomain(id); return d !== null ? unchecked(d.vcpus[0]).state.intrPending : false; }
export function testVcpuWindowExiting(id: u32): bool { const d = testDomain(id); return d !== null ? unchecked(d.vcpus[0]).windowExiting : false; }
// What run() does when enterOnce returns ACTION_BLOCK.
export function testVcpuBlock(id: u32): void {
  const d = testDomain(id);
  if (d === null) return;
  const v = unchecked(d.vcpus[0]);
  v.state.halted = true;
  runSchedCharge(v, 0, testRdtsc(), true);
}
export function testConsoleHolder(): u32 { const h = serialConsoleHolder(); return h !== null ? h.id : 0; }
export function testConsoleForce(id: u32): void { serialConsoleForce(testDomain(id)); }
export function testDomain0(): u32 { const d = domain0(); return d !== null ? d.id : 0; }
export function testDom0MemOption(cmdline: string): u64 { return dom0MemOption(cmdline); }
export function testExitFloorOption(cmdline: string): void { exitFloorOption(cmdline); }
export function testDomainIoBitmapA(id: u32): u64 { const d = testDomain(id); return d !== null ? d.ioBitmapA : 0; }
export function testDomainIrqEvents(id: u32): u64 { const d = testDomain(id); return d !== null ? d.stats.irqEvents : 0; }
export function testIrqBind(gsi: u32, id: u32, event: u32): void { const d = testDomain(id); if (d !== null) irqBind(gsi, d, event); }
export function testLog(line: string): void { logPrintln(line); }
export function testPanic(message: string): void { logPanic(message); }

// ── Per-CPU data (src/cpu/percpu.ts, tests/unit/layout.test.ts) ───────────
export { percpuLayoutCheck } from "./cpu/percpu";

// ── Guest timers (src/domain/timer.ts, tests/unit/events.test.ts) ─────────
import { hcTimerSet, timersFire } from "./domain/timer";
import { schedTimerNext, schedPick as runSchedPick } from "./sched/scheduler";
import { Vcpu as TimerVcpu } from "./domain/domain";
export function testTimerSet(id: u32, vcpu: u32, deadline: u64): i64 {
  const v = testVcpuOf(id, vcpu);
  return v !== null ? hcTimerSet(v, deadline) : -1;
}
export function testTimersFire(): void { timersFire(testRdtsc()); }
export function testTimerNext(cpu: u32): u64 { return schedTimerNext(cpu); }
// The domain's vCPU 0 becomes the one running on CPU 0 (the run loop's
// picks until it is chosen); false if it is not.
export function testVcpuRun(id: u32): bool {
  const d = testDomain(id);
  if (d === null) return false;
  const v = unchecked(d.vcpus[0]);
  for (let i = 0; i < 64; i++) if (runSchedPick(0, testRdtsc()) === v) return true;
  return false;
}
export function testGuestTsc(id: u32): u64 { const d = testDomain(id); return d !== null ? testRdtsc() + unchecked(d.vcpus[0]).tscOffset : 0; }
function testVcpuOf(id: u32, vcpu: u32): TimerVcpu | null {
  const d = testDomain(id);
  return d !== null && vcpu < <u32>d.vcpus.length ? unchecked(d.vcpus[vcpu]) : null;
}
// Its HC_TIMER_SET deadline as a host TSC, 0 if none.
export function testVcpuTimer(id: u32, vcpu: u32): u64 {
  const v = testVcpuOf(id, vcpu);
  return v !== null && v.timer.armed ? v.timer.deadline - v.tscOffset : 0;
}
export function testVcpuPendingOf(id: u32, vcpu: u32): bool { const v = testVcpuOf(id, vcpu); return v !== null && v.state.intrPending; }
export { heapRunning, scratchReset } from "./mm/heap";
export function testVcpuVmcsOf(id: u32, vcpu: u32): u64 { const v = testVcpuOf(id, vcpu); return v !== null ? v.vmcs : 0; }

// ── Devices (src/devices/, tests/unit/devices.test.ts) ──────────────────
// Any device by pointer: an access at `offset` of `width` bytes, reset, and
// its saved state (restore returns "" or the refusal).
import { TestDev } from "./devices/testdev";
import { DEVSTATE_HEADER } from "./devices/device";
export { DEVSTATE_HEADER };
export function testdevCreate(): TestDev { return new TestDev(); }
export function devRead(d: Device, offset: u32, width: u32): u64 {
  testAccess.offset = offset;
  testAccess.width = width;
  return d.read(testAccess);
}
export function devWrite(d: Device, offset: u32, width: u32, value: u64): u32 {
  testAccess.offset = offset;
  testAccess.width = width;
  return d.write(testAccess, value);
}
export function devReset(d: Device): void { d.reset(); }
export function devSaveSize(d: Device): u32 { return d.saveSize(); }
export function devSave(d: Device, dst: usize): void { d.save(dst); }
export function devRestore(d: Device, src: usize, len: u32): string { return d.restore(src, len); }
export function devKind(d: Device): u32 { return d.kind(); }

// ── MMIO decoding (src/vmx/decode.ts, tests/unit/mmio.test.ts) ─────────
import { decodeMmio, MmioInsn } from "./vmx/decode";
const testInsn = new MmioInsn();
// The `len` bytes at `code` decoded for code size `cs` (2, 4, 8), as JSON.
export function mmioDecodeJson(code: usize, len: u32, cs: u32): string {
  const ok = decodeMmio(code, len, cs, testInsn);
  const i = testInsn;
  return "{\"ok\":" + (ok ? "true" : "false") + ",\"op\":" + dec(i.op) + ",\"length\":" + dec(i.length) +
    ",\"width\":" + dec(i.width) + ",\"reg\":" + dec(i.reg) + ",\"high8\":" + (i.high8 ? "true" : "false") +
    ",\"regWidth\":" + dec(i.regWidth) + ",\"extend\":" + dec(i.extend) + ",\"imm\":\"" + hex(i.imm) +
    "\",\"alu\":" + dec(i.alu) + ",\"srcImm\":" + (i.srcImm ? "true" : "false") + ",\"swap\":" + (i.swap ? "true" : "false") +
    ",\"lock\":" + (i.lock ? "true" : "false") + ",\"rep\":" + (i.rep ? "true" : "false") +
    ",\"addrSize\":" + dec(i.addrSize) + ",\"seg\":" + dec(i.seg) + ",\"base\":" + dec(i.base) + ",\"index\":" + dec(i.index) +
    ",\"scale\":" + dec(i.scale) + ",\"disp\":\"" + hex(i.disp) +
    "\",\"error\":" + jsonString(i.error) + "}";
}
import { dec, hex, jsonString } from "./lib/str";
// A domain's device on its MMIO bus at `gpa`, or 0.
export function testDomainMmioDevice(id: u32, gpa: u64): usize {
  const d = testDomain(id);
  if (d === null) return 0;
  const dev = d.mmio.deviceAt(gpa);
  return dev !== null ? changetype<usize>(dev) : 0;
}

// A further scratch device (the test device's model) claiming [gpa, gpa +
// len) of a domain's MMIO bus, made in its arena: more MMIO than the test
// device's 64 bytes, for REP string batches. 1 if the bus took it.
export function testDomainMmioScratch(id: u32, gpa: u64, len: u64): u32 {
  const d = testDomain(id);
  if (d === null) return 0;
  const prev = regionUse(d.arena);
  const ok = d.mmio.register(gpa, len, new TestDev());
  regionUse(prev);
  return ok ? 1 : 0;
}

// ── The heap (src/mm/region.ts) ──────────────────────────────────────────
export { heapPermanentUsed, heapArenaBytes, heapArenas, heapFree } from "./mm/region";
import { regionCurrent, regionUse } from "./mm/region";
export function heapCurrentUsed(): usize { return regionCurrent().used; }
// A domain's devices (Domain.devices): how many, and the one at `i`.
export function testDomainDeviceCount(id: u32): i32 {
  const d = testDomain(id);
  return d !== null ? d.devices.length : 0;
}
export function testDomainDeviceAt(id: u32, i: i32): usize {
  const d = testDomain(id);
  return d !== null && i >= 0 && i < d.devices.length ? changetype<usize>(unchecked(d.devices[i])) : 0;
}
// A domain's console ring and its UART (null if it has none).
export function testDomainConsole(id: u32): usize { const d = testDomain(id); return d !== null ? changetype<usize>(d.console) : 0; }
export function testDomainUart(id: u32): usize { const d = testDomain(id); return d !== null && d.uart !== null ? changetype<usize>(d.uart) : 0; }
