// Test-only entry points for the domain's ACPI tables and PM registers
// (tests/unit/acpi-tables.test.ts, tests/unit/acpi-pm.test.ts). The
// registers are driven through devRead/devWrite and the device state
// exports of src/exports.ts; here a PM device on a ManualClock, an SCI line
// whose level the test reads, and its timer queue fired by hand.
export {
  acpiTablesWrite, acpiTablesSize, acpiTablesError, ACPI_RSDP_OFFSET, ACPI_TABLES_VCPUS_MAX,
  ACPI_TABLES_EVCPUS, ACPI_TABLES_ESPACE, ACPI_TABLES_EALIGN, ACPI_TABLES_EADDRESS,
} from "./devices/acpi-tables";
import { AcpiPm, AcpiPmState, ACPI_PM_KIND, ACPI_PM_BLOCK_SIZE } from "./devices/acpi-pm";
export { ACPI_PM_KIND, ACPI_PM_BLOCK_SIZE };
import { ManualClock } from "./devices/clock";
import { IrqController, IrqLine } from "./devices/irq";
import { TimerQueue } from "./devices/timer";
import { DOMAIN_SCI_IRQ } from "./arch/acpi";

class TestSci extends IrqController {
  level: bool = false;
  changes: u32 = 0;
  input: u32 = 0xffffffff;
  setLevel(input: u32, level: bool): void {
    this.input = input;
    this.level = level;
    this.changes++;
  }
}

let pmClock = new ManualClock(1);
let pmSci = new TestSci();
let pmQueue = new TimerQueue();

// A PM device on a new clock of `hz` at TSC `t0`, with a new SCI and queue.
export function acpiPmTestCreate(hz: u64, t0: u64): AcpiPm {
  pmClock = new ManualClock(hz);
  pmClock.t = t0;
  pmSci = new TestSci();
  pmQueue = new TimerQueue();
  return new AcpiPm(pmClock, new IrqLine(pmSci, DOMAIN_SCI_IRQ), pmQueue);
}
export function acpiPmTestSetTime(t: u64): void { pmClock.t = t; }
export function acpiPmTestSci(): bool { return pmSci.level; }
export function acpiPmTestSciChanges(): u32 { return pmSci.changes; }
export function acpiPmTestSciInput(): u32 { return pmSci.input; }
// The deadline of the earliest armed timer on the queue, 0 if none.
export function acpiPmTestTimerDeadline(): u64 {
  let best: u64 = 0;
  let t = pmQueue.head;
  while (t !== null) {
    if (best == 0 || t.deadline < best) best = t.deadline;
    t = t.next;
  }
  return best;
}
// Fires what is due at the clock's time, as src/domain/timer.ts does, or
// (`early`) every armed timer, as when vCPU 0's TSC runs ahead of the
// Clock; returns how many fired.
export function acpiPmTestFire(early: bool): u32 {
  let n: u32 = 0;
  let t = pmQueue.head;
  while (t !== null) {
    const next = t.next;
    if (early || t.deadline <= pmClock.t) {
      t.cancel();
      t.client.expired(t);
      n++;
    }
    t = next;
  }
  return n;
}
export function acpiPmPowerButton(d: AcpiPm): void { d.powerButton(); }
// The state block's layout as src/devices/acpi-pm.ts draws it: 0 if so.
export function acpiPmLayoutCheck(): u32 {
  let bad: u32 = 0;
  if (offsetof<AcpiPmState>() != ACPI_PM_BLOCK_SIZE) bad |= 1;
  if (offsetof<AcpiPmState>("en") != 2 || offsetof<AcpiPmState>("cnt") != 4 || offsetof<AcpiPmState>("reserved") != 6) bad |= 2;
  if (offsetof<AcpiPmState>("start") != 8 || offsetof<AcpiPmState>("seen") != 16) bad |= 4;
  return bad;
}
