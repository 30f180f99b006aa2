// Domains and their vCPUs: what the hypervisor keeps per guest, split by
// what each piece is for:
//   - what the guest can see and a snapshot must carry (VcpuState,
//     DomainGuest, the XSAVE area, the devices' blocks): plain data, with
//     guest-physical addresses and times on the guest's own TSC;
//   - what the host uses to run it (the Vcpu and Domain objects themselves:
//     where it runs, its VMCS, VPID, EPT, scheduler id, host pointers):
//     rebuilt, never saved;
//   - statistics (VcpuStats, DomainStats).
import {
  VCPU_RAX, VCPU_RCX, VCPU_RDX, VCPU_RBX, VCPU_RBP, VCPU_RSI, VCPU_RDI, VCPU_R8, VCPU_R15, VCPU_CR2,
  VCPU_HOST_RSP, VCPU_LAUNCHED, VCPU_SPEC_CTRL, VCPU_REGS_SIZE,
} from "../arch/layout";
import { Console } from "../devices/console";
import { Bus } from "../devices/bus";
import { UartDevice } from "../devices/uart16550";
import { Timer, TimerQueue, TimerClient } from "../devices/timer";
import { IrqController } from "../devices/irq";
import { Device, SPACE_PORT, SPACE_MMIO } from "../devices/device";
import { Region } from "../mm/region";
import { Lapic } from "../devices/lapic";
import { Pic8259Pair } from "../devices/pic";
import { IoApic } from "../devices/ioapic";

// A domain's state: one enumeration, the ABI's (Domain 0's `list` reads it).
export { DomainState, DOMSTATE_RUNNABLE, DOMSTATE_BLOCKED, DOMSTATE_STOPPED, DOMSTATE_CREATED } from "../arch/abi";
import { DomainState, DOMSTATE_CREATED, SCHED_WEIGHT_DEFAULT, DOMSTOP_NONE } from "../arch/abi";
import { BootModule } from "../boot/bootinfo";

// Basic exit reasons counted per domain (SDM Vol. 3D Appendix C); reasons at
// or above this are counted in the last slot.
export const EXIT_COUNT_SLOTS: u32 = 80;

// What the guest can see of a vCPU besides its VMCS guest state and XSAVE
// area. It begins with the register block boot/vmx.asm saves and loads
// (VCPU_* in src/arch/layout.ts; RSP is the VMCS's); of that block, hostRsp
// and launched are the entry stub's own (host state: cleared, never saved).
@unmanaged
export class VcpuState {
  rax: u64; rcx: u64; rdx: u64; rbx: u64; rspUnused: u64; rbp: u64; rsi: u64; rdi: u64;
  r8: u64; r9: u64; r10: u64; r11: u64; r12: u64; r13: u64; r14: u64; r15: u64;
  cr2: u64;
  hostRsp: u64;
  launched: u64;
  specCtrl: u64;         // IA32_SPEC_CTRL (src/vmx/exit/msr.ts), switched by boot/vmx.asm
  // XCR0 and the MSRs VMX does not switch, kept here and emulated
  // (src/vmx/exit/xsetbv.ts, msr.ts) and loaded on a switch (src/vmx/switch.ts).
  xcr0: u64;
  kernelGsBase: u64;
  star: u64;
  lstar: u64;
  cstar: u64;
  sfmask: u64;
  tscAux: u64;           // IA32_TSC_AUX, what RDTSCP and RDPID read
  tscAdjust: u64;        // IA32_TSC_ADJUST: what its writes to the TSC added
  // Its HC_TIMER_SET deadline on its own TSC, 0 if none (the armed copy is
  // Vcpu.timer's, src/domain/timer.ts).
  timerDeadline: u64;
  halted: bool;          // in HLT, waiting for an event
  haltIf: bool;          // RFLAGS.IF at its last HLT: only then may an event wake it
  intrPending: bool;     // the domain's event vector waits to be injected (src/vmx/event.ts)
  entrySet: bool;        // an entry state was given (builder, HC_VCPU_SET_ENTRY)
  started: bool;         // up (vCPU 0 at domain start, others by HC_VCPU_START)
  // In wait-for-SIPI (SDM Vol. 3A 9.4.2): a PC's vCPU other than the boot
  // one until its LAPIC takes a STARTUP, and any vCPU after an INIT.
  waitSipi: bool;
  cr8: u8;               // TPR as MOV CR8 sees it, for a vCPU without a LAPIC model

  static create(): VcpuState {
    const s = changetype<VcpuState>(heap.alloc(offsetof<VcpuState>()));
    memory.fill(changetype<usize>(s), 0, offsetof<VcpuState>());
    s.xcr0 = 1;          // x87 only, as at reset
    return s;
  }
}

// 0 if VcpuState's register block sits at the VCPU_* offsets, else a bit
// per mismatch.
export function vcpuStateLayoutCheck(): u32 {
  let bad: u32 = 0;
  if (offsetof<VcpuState>("rax") != VCPU_RAX) bad |= 1 << 0;
  if (offsetof<VcpuState>("rcx") != VCPU_RCX) bad |= 1 << 1;
  if (offsetof<VcpuState>("rdx") != VCPU_RDX) bad |= 1 << 2;
  if (offsetof<VcpuState>("rbx") != VCPU_RBX) bad |= 1 << 3;
  if (offsetof<VcpuState>("rbp") != VCPU_RBP) bad |= 1 << 4;
  if (offsetof<VcpuState>("rsi") != VCPU_RSI) bad |= 1 << 5;
  if (offsetof<VcpuState>("rdi") != VCPU_RDI) bad |= 1 << 6;
  if (offsetof<VcpuState>("r8") != VCPU_R8) bad |= 1 << 7;
  if (offsetof<VcpuState>("r15") != VCPU_R15) bad |= 1 << 8;
  if (offsetof<VcpuState>("cr2") != VCPU_CR2) bad |= 1 << 9;
  if (offsetof<VcpuState>("hostRsp") != VCPU_HOST_RSP) bad |= 1 << 10;
  if (offsetof<VcpuState>("launched") != VCPU_LAUNCHED) bad |= 1 << 11;
  if (offsetof<VcpuState>("specCtrl") != VCPU_SPEC_CTRL) bad |= 1 << 13;
  if (offsetof<VcpuState>("xcr0") != VCPU_REGS_SIZE) bad |= 1 << 12;
  return bad;
}

@final
export class VcpuStats {
  ranOn: u64 = 0;        // CPUs it has run on, a bit each
  raisedAt: u64 = 0;     // host TSC of the physical interrupt behind its pending event, 0 if none
}

export const EOI_EXIT_UNKNOWN: i64 = -1;
export const EOI_EXIT_ALL: i64 = -2;

// A vCPU: the host's part (where it runs, VMCS, VPID, scheduler id), with
// its guest-visible state and its statistics.
@final
export class Vcpu {
  state: VcpuState = VcpuState.create();
  // The register block for boot/vmx.asm: the head of `state`.
  regs: usize = changetype<usize>(this.state);
  xsaveArea: usize = 0;          // 64-byte aligned XSAVE area (guest FPU state)
  vmcs: u64 = 0;                 // VMCS region (physical)
  vpid: u32 = 0;
  schedId: i32 = -1;             // the scheduler policy's id for it
  pausedOut: bool = false;       // taken off the run queue while its domain is paused
  // SMP: where its VMCS is active (launched or current; -1: clear, may be
  // loaded anywhere), whose host state the VMCS holds (src/vmx/switch.ts).
  vmcsCpu: i32 = -1;
  hostCpu: i32 = -1;
  windowExiting: bool = false;   // interrupt-window exiting is on in its VMCS
  nmiWindowExiting: bool = false;  // NMI-window exiting is on
  affinity: u64 = <u64>-1;       // CPUs it may run on (HC_VCPU_PIN)
  // TSC_OFFSET in its VMCS: its TSC is the host's plus this (the domain's
  // at creation, moved by its own writes of IA32_TSC). A snapshot carries
  // the TSC it yields, not the offset.
  tscOffset: u64 = 0;
  timer: Timer;                  // its HC_TIMER_SET timer (src/domain/timer.ts)
  // Its local APIC (a DomU's; src/domain/pc.ts), and whether an interrupt
  // may wait to be injected (an event, the LAPIC's or the PIC's): looked at
  // before each VM entry (src/vmx/event.ts).
  lapic: Lapic | null = null;
  irqPending: bool = false;
  // With virtual-interrupt delivery, what its VMCS's EOI-exit bitmap holds
  // (src/vmx/apic.ts): all ones, TMR as of the LAPIC's tmrSeq, or unknown
  // (a fresh VMCS, whose RVI is not the LAPIC's either).
  eoiExit: i64 = EOI_EXIT_UNKNOWN;
  // Its own MMIO (the xAPIC page at IA32_APIC_BASE), looked at before the
  // domain's bus.
  mmio: Bus | null = null;
  stats: VcpuStats = new VcpuStats();

  constructor(public domain: Domain, public index: u32, timerClient: TimerClient) {
    this.timer = new Timer(domain.timers, index, timerClient);
  }
}

// What the guest can see of a domain besides its vCPUs and devices.
@unmanaged
export class DomainGuest {
  memBytes: u64;         // RAM at guest-physical [0, memBytes)
  eventPage: u64;        // guest-physical address of its event page (HC_EVENT_SETUP; 0 is a page too)
  eventVector: u32;      // the vector an event is injected with (32-255), 0: no event page

  static create(): DomainGuest {
    const g = changetype<DomainGuest>(heap.alloc(offsetof<DomainGuest>()));
    memory.fill(changetype<usize>(g), 0, offsetof<DomainGuest>());
    return g;
  }
}

@final
export class DomainStats {
  exitCounts: StaticArray<u64> = new StaticArray<u64>(EXIT_COUNT_SLOTS);
  // TSC ticks spent in the guest (domainCharge).
  runTicks: u64 = 0;
  // Physical interrupts delivered as events: count, and TSC ticks from the
  // interrupt to the injection of the event vector.
  irqEvents: u64 = 0;
  irqLatencySum: u64 = 0;
  irqLatencyMin: u64 = 0;
  irqLatencyMax: u64 = 0;
  pages2M: u32 = 0;
  pages4K: u32 = 0;
  // Accesses to MSRs it has no model of (#GP injected): the count, and the
  // first few distinct ones, each logged once; the rest are only counted,
  // so that a guest cannot grow the log or the heap by trying them all.
  unknownMsrs: u64 = 0;
  reportedMsrs: StaticArray<u32> = new StaticArray<u32>(UNKNOWN_MSRS_REPORTED);
  reportedMsrCount: i32 = 0;
}
export const UNKNOWN_MSRS_REPORTED: i32 = 32;

@final
export class Domain {
  state: DomainState = DOMSTATE_CREATED;
  stopReason: string = "";
  exitCode: i32 = -1;            // what it stopped with (isa-debug-exit, HC_SHUTDOWN), -1 if none
  stopCause: u32 = DOMSTOP_NONE; // DOMSTOP_*: why, for its policy and HC_DOMAIN_INFO
  // What its power-off, reboot and crash do (POLICY_* of src/domain/config.ts),
  // and what a restart builds it from: its config line and boot module (none:
  // it cannot be restarted). `preserved`: kept stopped until destroyed.
  onPoweroff: u8 = 0;
  onReboot: u8 = 0;
  onCrash: u8 = 0;
  preserved: bool = false;
  restarts: u32 = 0;
  restartBurst: u32 = 0;         // restarts in the burst that began at restartBurstAt (TSC)
  restartBurstAt: u64 = 0;
  configLine: string = "";
  image: BootModule | null = null;
  initrd: BootModule | null = null; // a Linux guest's initrd module (a restart loads it again)
  guest: DomainGuest = DomainGuest.create();
  stats: DomainStats = new DomainStats();
  // Its configuration (module line or HC_DOMAIN_CREATE): the control right
  // (RIGHT_* in src/arch/abi.ts), scheduler weight and cap (% of one CPU, 0
  // = none; HC_SCHED_SET), `exit=floor` (the benchmark's NASM exit path).
  rights: u32 = 0;
  weight: u32 = SCHED_WEIGHT_DEFAULT;
  cap: u32 = 0;
  floorExits: bool = false;
  // Paused by a management hypercall: the scheduler does not pick it.
  paused: bool = false;
  // The host's part.
  eptPml4: u64 = 0;              // EPT root (physical)
  eptPointer: u64 = 0;
  tscOffset: u64 = 0;            // the TSC offset its vCPUs start with (guest TSC near 0 at creation)
  // Where everything made for it lives (src/mm/region.ts): given back whole
  // when it is reaped.
  arena: Region = changetype<Region>(0);
  // When it stopped, in stops since boot (src/lifecycle/stop.ts reaps it).
  stopGen: u32 = 0;
  vcpus: Vcpu[] = [];
  // Host address of its event page (guest.eventPage, translated once).
  eventPageHost: usize = 0;
  // Its devices: the buses that route accesses, the controller their
  // interrupt lines go to, the queue their timers wait on.
  ports: Bus = new Bus(SPACE_PORT);
  mmio: Bus = new Bus(SPACE_MMIO);
  // Every device model it has, once each, in the order made (on a bus,
  // a vCPU's LAPIC or none): what its saved state walks.
  devices: Device[] = [];
  irqs: IrqController = changetype<IrqController>(0);  // set by the builder (src/domain/events.ts)
  timers: TimerQueue = new TimerQueue();
  console: Console = changetype<Console>(0);
  // EVENT_CONSOLE went out for its output and no control domain has read
  // its console since: more output raises none (src/domain/events.ts).
  // Host state, rebuilt (false) by a restore.
  consoleNotified: bool = false;
  uart: UartDevice | null = null;  // its emulated COM1; none for Domain 0 (the real one)
  // A DomU's interrupt controllers (src/domain/pc.ts); none for Domain 0.
  pic: Pic8259Pair | null = null;
  ioapic: IoApic | null = null;
  // Copy-on-write (src/domain/memory.ts): the snapshot its RAM derives from
  // (src/state/snapshot.ts; 0: none, every page its own), and which pages
  // are its own since then (a bit per 4 KiB page, in its arena; the others
  // are the snapshot's frames, mapped read-only). ownShared: how many of
  // its own pages map a frame dedup shares (src/mm/share.ts), read-only
  // too. eptStale: CPUs that must flush this EPT's translations before
  // they next enter it (a bit each).
  base: u32 = 0;
  ownPages: usize = 0;
  ownCount: u32 = 0;
  ownShared: u32 = 0;
  // The base's frame each of its own pages replaced, newest first (frames
  // of LOG_ENTRIES entries; src/domain/memory.ts), for a quick revert to
  // the base; not kept (cowLogOk false) once the base's frames moved.
  cowLog: u64 = 0;
  cowLogOk: bool = true;
  eptStale: u64 = 0;
  snapshotSeq: u32 = 0;          // snapshots it has taken (default names "snapN")
  forkSeq: u32 = 0;              // forks made of it (default names "<name>-fN")
  // Its APIC-access page (src/domain/memory.ts), 0 until APIC
  // virtualization wants one.
  apicAccessPage: u64 = 0;
  // Domain 0's own I/O bitmap A (ports 0-0x7fff), passing its devices
  // through; 0: the shared all-exit bitmap.
  ioBitmapA: u64 = 0;
  constructor(public id: u32, public name: string) {}

  // `d`, one of its devices from now on.
  device<T extends Device>(d: T): T {
    this.devices.push(d);
    return d;
  }
}

export const domains: Domain[] = [];

// Domain 0: the first domain built from a boot module with the control
// right (src/lifecycle/builder.ts); null before, or if there is none.
let dom0: Domain | null = null;
export function domain0(): Domain | null { return dom0; }
export function domain0Set(d: Domain): void { dom0 = d; }
export function domain0Clear(): void { dom0 = null; }

// The domain with this id (stopped ones included), or null.
export function domainById(id: u64): Domain | null {
  if (id > 0xffffffff) return null;
  for (let i = 0; i < domains.length; i++) {
    const d = unchecked(domains[i]);
    if (<u64>d.id == id) return d;
  }
  return null;
}
