// The legacy 8259A PICs: masked, so no firmware-programmed interrupt (the
// PIT's IRQ 0 above all) reaches the CPU while the host does not take
// interrupts. With external-interrupt exiting, an unmasked one would exit
// every guest at once, forever.
import { outb } from "../arch/hw";

const PIC1_DATA: u16 = 0x21;
const PIC2_DATA: u16 = 0xa1;

export function picMaskAll(): void {
  outb(PIC1_DATA, 0xff);
  outb(PIC2_DATA, 0xff);
}
