// Interrupt lines: a device drives its output's level; the line tells the
// interrupt controller it is wired to of each change. Which controller that
// is, and what it injects, is the controller's business (today the event
// mechanism of src/domain/events.ts; a PIC, I/O APIC or LAPIC model plugs in
// behind the same interface). Nothing is allocated on a change.
export abstract class IrqController {
  // Input `input` went to `level` (true: asserted).
  abstract setLevel(input: u32, level: bool): void;
}

@final
export class IrqLine {
  level: bool = false;

  constructor(public controller: IrqController, public input: u32) {}

  set(level: bool): void {
    if (level == this.level) return;
    this.level = level;
    this.controller.setLevel(this.input, level);
  }

  @inline raise(): void { this.set(true); }
  // Asserted, and the controller told so even if it already was: news on
  // a line that is high while anything is pending (a LAPIC's intr).
  reassert(): void {
    this.level = true;
    this.controller.setLevel(this.input, true);
  }
  @inline lower(): void { this.set(false); }
}
