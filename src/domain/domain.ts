// Domains and their vCPUs: what the hypervisor keeps per guest.
import { VCPU_REGS_SIZE } from "../arch/layout";
import { Console } from "../devices/console";
import { PortBus } from "../devices/portbus";
import { Uart16550 } from "../devices/uart16550";

// A domain's state: one enumeration, the ABI's (Domain 0's `list` reads it).
export { DomainState, DOMSTATE_RUNNABLE, DOMSTATE_BLOCKED, DOMSTATE_STOPPED, DOMSTATE_CREATED } from "../arch/abi";
import { DomainState, DOMSTATE_CREATED } from "../arch/abi";

// Basic exit reasons counted per domain (SDM Vol. 3D Appendix C); reasons at
// or above this are counted in the last slot.
export const EXIT_COUNT_SLOTS: u32 = 80;

export class Vcpu {
  // The register block shared with boot/vmx.asm (VCPU_* offsets).
  regs: usize = heap.alloc(VCPU_REGS_SIZE);
  vmcs: u64 = 0;                 // VMCS region (physical)
  xsaveArea: usize = 0;          // 64-byte aligned XSAVE area
  xcr0: u64 = 1;                 // the guest's XCR0 (x87 only at reset)
  vpid: u32 = 0;
  // MSRs that VMX does not switch, kept here and emulated (src/vmx/exit/msr.ts).
  kernelGsBase: u64 = 0;
  star: u64 = 0;
  lstar: u64 = 0;
  cstar: u64 = 0;
  sfmask: u64 = 0;
  halted: bool = false;
  haltIf: bool = false;          // RFLAGS.IF at its last HLT: only then may an event wake it
  pausedOut: bool = false;       // taken off the run queue while its domain is paused
  schedId: i32 = -1;             // the scheduler policy's id for it
  // SMP: where its VMCS is active (launched or current; -1: clear, may be
  // loaded anywhere), whose host state the VMCS holds (src/sched/switch.ts).
  vmcsCpu: i32 = -1;
  hostCpu: i32 = -1;
  entrySet: bool = false;        // an entry state was given (builder, HC_VCPU_SET_ENTRY)
  started: bool = false;         // on the scheduler (vCPU 0 at domain start, others by HC_VCPU_START)
  affinity: u64 = <u64>-1;       // CPUs it may run on (HC_VCPU_PIN)
  ranOn: u64 = 0;                // CPUs it has run on, a bit each
  // Events (src/domain/events.ts, src/vmx/event.ts): the domain's event
  // vector waits to be injected; interrupt-window exiting is on in its VMCS.
  intrPending: bool = false;
  windowExiting: bool = false;
  raisedAt: u64 = 0;             // TSC of the physical interrupt behind intrPending, 0 if none
  timerDeadline: u64 = 0;        // host TSC of its HC_TIMER_SET deadline, 0 if none (src/domain/timer.ts)
  // TSC_OFFSET in its VMCS: the domain's at creation, moved by its own
  // writes of IA32_TSC (each CPU has a TSC of its own).
  tscOffset: u64 = 0;
  constructor(public domain: Domain, public index: u32) {
    memory.fill(this.regs, 0, VCPU_REGS_SIZE);
  }
}

export class Domain {
  state: DomainState = DOMSTATE_CREATED;
  stopReason: string = "";
  exitCode: i32 = -1;
  floorExits: bool = false;      // `exit=floor`: the benchmark's NASM exit path
  memBytes: u64 = 0;
  eptPml4: u64 = 0;              // EPT root (physical)
  eptPointer: u64 = 0;
  tscOffset: u64 = 0;            // the TSC offset its vCPUs start with (guest TSC near 0 at creation)
  pages2M: u32 = 0;
  pages4K: u32 = 0;
  // Host-physical chunks of guest memory, to scrub and free: address | size
  // class in the low bit (1 = 2 MiB, 0 = 4 KiB).
  chunks: u64[] = [];
  vcpus: Vcpu[] = [];
  portBus: PortBus = changetype<PortBus>(0); // set by the builder
  console: Console = changetype<Console>(0);
  uart: Uart16550 = changetype<Uart16550>(0); // its emulated COM1; none for Domain 0 (the real one)
  // Domain 0's own I/O bitmap A (ports 0-0x7fff), passing its devices
  // through; 0: the shared all-exit bitmap.
  ioBitmapA: u64 = 0;
  // Events (HC_EVENT_SETUP): the host address of its event page (0: none)
  // and the vector injected when an event is raised.
  eventPage: usize = 0;
  eventVector: u32 = 0;
  // Physical interrupts delivered as events: count, and TSC ticks from the
  // interrupt to the injection of the event vector.
  irqEvents: u64 = 0;
  irqLatencySum: u64 = 0;
  irqLatencyMin: u64 = 0;
  irqLatencyMax: u64 = 0;
  exitCounts: StaticArray<u64> = new StaticArray<u64>(EXIT_COUNT_SLOTS);
  // MSRs already reported as unknown, so each is logged once.
  reportedMsrs: u32[] = [];
  // Rights (RIGHT_* in src/arch/abi.ts): RIGHT_CONTROL from the module's `control=1`.
  rights: u32 = 0;
  // Paused by a management hypercall: the scheduler does not pick it.
  paused: bool = false;
  // TSC ticks spent in the guest (domainCharge, src/domain/lifecycle.ts).
  runTicks: u64 = 0;
  // Scheduler parameters (config weight= and cap=, HC_SCHED_SET): CPU
  // shares in proportion to weight; cap in % of one CPU, 0 = none.
  weight: u32 = 256;
  cap: u32 = 0;
  constructor(public id: u32, public name: string) {}
}

export const domains: Domain[] = [];

// Domain 0: the first domain built from a boot module with the control
// right (src/lifecycle/builder.ts); null before, or if there is none.
let dom0: Domain | null = null;
export function domain0(): Domain | null { return dom0; }
export function domain0Set(d: Domain): void { dom0 = d; }

// The domain with this id (stopped ones included), or null.
export function domainById(id: u64): Domain | null {
  if (id > 0xffffffff) return null;
  for (let i = 0; i < domains.length; i++) {
    const d = unchecked(domains[i]);
    if (<u64>d.id == id) return d;
  }
  return null;
}
