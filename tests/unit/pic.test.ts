// The PC's cascaded 8259A pair (src/devices/pic.ts): register by register
// as the Intel 8259A data sheet gives it, the PIIX's ELCR, what Linux's
// arch/x86/kernel/i8259.c does with it, garbage from a guest, and saved
// state through the Device interface.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const M_CMD = 0x20, M_DATA = 0x21, S_CMD = 0xa0, S_DATA = 0xa1, ELCR1 = 0x4d0, ELCR2 = 0x4d1;
const OCW3_READ_IRR = 0x0a, OCW3_READ_ISR = 0x0b, OCW3_POLL = 0x0c;
const OCW3_SMM_ON = 0x68, OCW3_SMM_OFF = 0x48;
const EOI = 0x20, SPECIFIC_EOI = 0x60, ROTATE_EOI = 0xa0, SET_PRIORITY = 0xc0, ROTATE_SPECIFIC_EOI = 0xe0;
const ROTATE_AEOI_SET = 0x80, ROTATE_AEOI_CLEAR = 0x00;
const BUF = 0x30000, BUF2 = 0x38000, HDR = 16;

function pic() {
  const m = new Machine();
  const e = m.exports;
  const r = e.picRig() >>> 0;
  const dev = e.picDevice(r) >>> 0;
  const inb = (port: number): number => e.picIn(r, port, 1) & 0xff;
  const inw = (port: number): number => e.picIn(r, port, 2) & 0xffff;
  const outb = (port: number, v: number): number => e.picOut(r, port, 1, v & 0xff);
  const outw = (port: number, v: number): number => e.picOut(r, port, 2, v & 0xffff);
  const irq = (n: number, level: boolean): void => e.picIrq(r, n, level ? 1 : 0);
  const pulse = (n: number): void => { irq(n, true); irq(n, false); };
  const ack = (): number => e.picAck(r);
  const has = (): boolean => e.picHasInterrupt(r) !== 0;
  const int = (): boolean => e.picOutput(r) !== 0;
  // OCW3 reads the way Linux's i8259A_irq_real does: select, read, back to IRR.
  const isr = (cmd: number): number => { outb(cmd, OCW3_READ_ISR); const v = inb(cmd); outb(cmd, OCW3_READ_IRR); return v; };
  const irr = (cmd: number): number => { outb(cmd, OCW3_READ_IRR); return inb(cmd); };
  // Linux's init_8259A: mask, ICW1 0x11, vectors 0x30 and 0x38, cascade on
  // IR2, ICW4 8086 mode (and AEOI on the master if asked), then the masks.
  const linuxInit = (masterImr: number, slaveImr: number, masterIcw4 = 0x01): void => {
    outb(M_DATA, 0xff);
    outb(M_CMD, 0x11); outb(M_DATA, 0x30); outb(M_DATA, 0x04); outb(M_DATA, masterIcw4);
    outb(S_CMD, 0x11); outb(S_DATA, 0x38); outb(S_DATA, 0x02); outb(S_DATA, 0x01);
    outb(M_DATA, masterImr); outb(S_DATA, slaveImr);
  };
  const save = (at = BUF): number => { e.devSave(dev, at); return e.devSaveSize(dev); };
  const restore = (at: number, len: number): string => m.readString(e.devRestore(dev, at, len) >>> 0) ?? "";
  const block = (): Buffer => { const n = save(BUF2); return Buffer.from(m.bytes.subarray(BUF2, BUF2 + n)); };
  return { m, e, r, dev, inb, inw, outb, outw, irq, pulse, ack, has, int, isr, irr, linuxInit, save, restore, block };
}

describe("8259A pair: reset and initialization", () => {
  it("comes out of reset as a PC BIOS leaves it: vectors 0x08 and 0x70, all masked but the cascade", () => {
    const { inb, outb, pulse, ack, has, int, isr } = pic();
    expect([inb(M_DATA), inb(S_DATA)]).toEqual([0xfb, 0xff]);
    expect([inb(M_CMD), inb(S_CMD), inb(ELCR1), inb(ELCR2)]).toEqual([0, 0, 0, 0]);
    expect(has()).toBe(false);
    pulse(0);
    expect(inb(M_CMD)).toBe(0x01);      // latched in IRR, masked
    expect(int()).toBe(false);
    outb(M_DATA, 0xfa);
    expect(int()).toBe(true);
    expect(ack()).toBe(0x08);
    expect(isr(M_CMD)).toBe(0x01);
    outb(M_CMD, EOI);
    outb(S_DATA, 0xfe);
    pulse(8);
    expect(ack()).toBe(0x70);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x04, 0x01]);
  });

  it("passes Linux's probe_8259A: every mask written reads back, on both chips", () => {
    const { inb, outb } = pic();
    outb(S_DATA, 0xff);
    outb(M_DATA, 0xfb);
    expect(inb(M_DATA)).toBe(0xfb);
    for (let v = 0; v < 256; v++) {
      outb(M_DATA, v); outb(S_DATA, v ^ 0xff);
      expect([inb(M_DATA), inb(S_DATA)]).toEqual([v, v ^ 0xff]);
    }
  });

  it("takes Linux's ICW sequence: ICW1 clears IMR, INT waits for the last ICW, then the new vectors", () => {
    const { inb, outb, pulse, ack, has } = pic();
    outb(M_DATA, 0xff);
    outb(M_CMD, 0x11);
    expect(inb(M_DATA)).toBe(0x00);       // ICW1 cleared the mask
    pulse(1);
    outb(M_DATA, 0x30);
    expect(has()).toBe(false);             // no vector before the sequence ends
    outb(M_DATA, 0x04);
    expect(has()).toBe(false);
    outb(M_DATA, 0x01);
    expect(has()).toBe(true);
    expect(inb(M_DATA)).toBe(0x00);       // the ICWs did not touch IMR
    expect(ack()).toBe(0x31);
    outb(M_CMD, SPECIFIC_EOI | 1);
    outb(S_CMD, 0x11); outb(S_DATA, 0x3f); outb(S_DATA, 0x02); outb(S_DATA, 0x01);
    outb(M_DATA, 0xfb); outb(S_DATA, 0x7f);
    pulse(15);
    expect(ack()).toBe(0x3f);              // ICW2 bits 2:0 are ignored: base 0x38 + 7
    expect([inb(M_DATA), inb(S_DATA)]).toEqual([0xfb, 0x7f]);
  });

  it("skips ICW3 in single mode and ICW4 when ICW1 does not ask for it", () => {
    const { inb, outb, pulse, ack, isr } = pic();
    outb(M_CMD, 0x13); outb(M_DATA, 0x40); outb(M_DATA, 0x01);   // single, ICW4
    outb(M_DATA, 0xf3);                                          // OCW1 already
    expect(inb(M_DATA)).toBe(0xf3);
    outb(S_DATA, 0x00);
    pulse(10);
    // No cascade: IR2 is the master's own, with its own vector.
    expect(ack()).toBe(0x42);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x04, 0x00]);
    outb(M_CMD, EOI);
    outb(M_CMD, 0x10); outb(M_DATA, 0x50); outb(M_DATA, 0x04);   // cascade, no ICW4
    outb(M_DATA, 0xfd);                                          // OCW1
    expect(inb(M_DATA)).toBe(0xfd);
    outb(M_CMD, 0x12); outb(M_DATA, 0x60);                       // single, no ICW4
    outb(M_DATA, 0xfe);
    expect(inb(M_DATA)).toBe(0xfe);
    pulse(0);
    expect(ack()).toBe(0x60);
  });

  it("drops ICW4's automatic EOI when a later ICW1 says no ICW4 follows", () => {
    const { outb, pulse, ack, isr, linuxInit } = pic();
    linuxInit(0xfd, 0xff, 0x03);
    pulse(1);
    expect(ack()).toBe(0x31);
    expect(isr(M_CMD)).toBe(0x00);          // AEOI
    outb(M_CMD, 0x10); outb(M_DATA, 0x30); outb(M_DATA, 0x04);
    outb(M_DATA, 0xfd);
    pulse(1);
    expect(ack()).toBe(0x31);
    expect(isr(M_CMD)).toBe(0x02);          // normal EOI again
  });

  it("ICW1 resets the edge sense, IMR, priority, special mask and read select, and keeps ISR", () => {
    const { inb, outb, irq, pulse, ack, has, isr, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    pulse(3);
    expect(ack()).toBe(0x33);
    outb(M_CMD, SET_PRIORITY | 4);          // IR5 highest
    outb(M_CMD, OCW3_SMM_ON);
    outb(M_CMD, OCW3_READ_ISR);
    irq(6, true);                           // held high across ICW1
    linuxInit(0x08, 0xff);                  // IR3 masked
    expect(inb(M_CMD)).toBe(0x00);          // reads IRR again; IR6's edge forgotten
    expect(isr(M_CMD)).toBe(0x08);          // IR3 still in service
    expect(has()).toBe(false);
    irq(6, false); irq(6, true);
    expect(has()).toBe(false);              // special mask mode off: masked IR3 holds IR6 off
    pulse(0); pulse(5);
    expect(ack()).toBe(0x30);               // IR0 highest again, not IR5
  });
});

describe("8259A pair: OCW1, OCW2, OCW3", () => {
  it("OCW1: a masked request waits in IRR and interrupts when unmasked", () => {
    const { inb, outb, pulse, has, ack, linuxInit } = pic();
    linuxInit(0xff, 0xff);
    pulse(4); pulse(12);
    expect(inb(M_CMD)).toBe(0x10);
    expect(inb(S_CMD)).toBe(0x10);
    expect(has()).toBe(false);
    outb(M_DATA, 0xfb);                     // cascade only
    expect(has()).toBe(false);
    outb(S_DATA, 0xef);
    expect(ack()).toBe(0x3c);
    outb(M_DATA, 0xef);
    expect(has()).toBe(false);              // IR2 in service holds IR4 off
    outb(S_CMD, SPECIFIC_EOI | 4); outb(M_CMD, SPECIFIC_EOI | 2);
    expect(ack()).toBe(0x34);
  });

  it("nests by priority; a non-specific EOI ends the highest level in service", () => {
    const { outb, pulse, has, ack, isr, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    pulse(3);
    expect(ack()).toBe(0x33);
    pulse(5);
    expect(has()).toBe(false);              // lower than IR3
    pulse(1);
    expect(has()).toBe(true);               // higher: nests
    expect(ack()).toBe(0x31);
    expect(isr(M_CMD)).toBe(0x0a);
    outb(M_CMD, EOI);
    expect(isr(M_CMD)).toBe(0x08);
    expect(has()).toBe(false);
    outb(M_CMD, EOI);
    expect(isr(M_CMD)).toBe(0x00);
    expect(ack()).toBe(0x35);
    outb(M_CMD, EOI);
    outb(M_CMD, EOI);                       // nothing in service: no effect
    expect(isr(M_CMD)).toBe(0x00);
  });

  it("a specific EOI ends just its level, even one not in service", () => {
    const { outb, pulse, ack, isr, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    pulse(6); expect(ack()).toBe(0x36);
    pulse(1); expect(ack()).toBe(0x31);
    outb(M_CMD, SPECIFIC_EOI | 6);
    expect(isr(M_CMD)).toBe(0x02);
    outb(M_CMD, SPECIFIC_EOI | 4);
    expect(isr(M_CMD)).toBe(0x02);
    outb(M_CMD, SPECIFIC_EOI | 1);
    expect(isr(M_CMD)).toBe(0x00);
  });

  it("rotates on a non-specific EOI: the level ended becomes the lowest", () => {
    const { outb, pulse, ack, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    pulse(3); expect(ack()).toBe(0x33);
    outb(M_CMD, ROTATE_EOI);                // IR3 lowest: 4 5 6 7 0 1 2 3
    pulse(1); pulse(5);
    expect(ack()).toBe(0x35);
    outb(M_CMD, EOI);
    expect(ack()).toBe(0x31);
    outb(M_CMD, EOI);
    // With nothing in service a rotating EOI changes nothing.
    outb(M_CMD, ROTATE_EOI);
    pulse(3); pulse(4);
    expect(ack()).toBe(0x34);
  });

  it("sets the priority, and rotates on a specific EOI", () => {
    const { outb, pulse, ack, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    outb(M_CMD, SET_PRIORITY | 5);          // 6 7 0 1 2 3 4 5
    pulse(5); pulse(6); pulse(0);
    expect(ack()).toBe(0x36); outb(M_CMD, EOI);
    expect(ack()).toBe(0x30); outb(M_CMD, EOI);
    expect(ack()).toBe(0x35); outb(M_CMD, EOI);
    pulse(4); expect(ack()).toBe(0x34);
    outb(M_CMD, ROTATE_SPECIFIC_EOI | 4);   // 5 6 7 0 1 2 3 4
    pulse(3); pulse(5);
    expect(ack()).toBe(0x35);
    outb(M_CMD, 0x40);                      // OCW2 no-op
    expect(ack()).toBe(0x37);               // IR3 below IR5 in service: default IR7
  });

  it("in automatic EOI mode sets no ISR bit, and rotates on it when asked", () => {
    const { outb, pulse, ack, has, isr, linuxInit } = pic();
    linuxInit(0xe1, 0xef, 0x03);            // IR1 to IR4; slave IR4
    pulse(1);
    expect(ack()).toBe(0x31);
    expect(isr(M_CMD)).toBe(0x00);
    pulse(1);
    expect(has()).toBe(true);               // no EOI needed
    outb(M_CMD, ROTATE_AEOI_SET);
    pulse(3);
    expect(ack()).toBe(0x31);               // IR1 now the lowest: 2 3 ... 0 1
    pulse(1);
    expect(ack()).toBe(0x33);               // IR3 now the lowest
    outb(M_CMD, ROTATE_AEOI_CLEAR);
    expect(ack()).toBe(0x31);               // no rotation: IR3 stays the lowest
    pulse(3); pulse(4);
    expect(ack()).toBe(0x34);
    // The slave ends its own level; the master's IR2 took no ISR bit.
    pulse(12);
    expect(ack()).toBe(0x3c);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x00, 0x10]);
  });

  it("OCW3 chooses IRR or ISR for A0 = 0 reads; A0 = 1 reads IMR; other OCW3s keep the choice", () => {
    const { inb, inw, outb, pulse, ack, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    pulse(5); pulse(1);
    expect(ack()).toBe(0x31);
    expect(inb(M_CMD)).toBe(0x20);          // IRR by default
    outb(M_CMD, OCW3_READ_ISR);
    expect(inb(M_CMD)).toBe(0x02);
    expect(inb(M_DATA)).toBe(0x00);
    outb(M_CMD, 0x08);                      // RR = 0: no change
    expect(inb(M_CMD)).toBe(0x02);
    outb(M_CMD, 0x09);                      // RIS without RR: no change
    expect(inb(M_CMD)).toBe(0x02);
    outb(M_CMD, OCW3_READ_IRR);
    expect(inb(M_CMD)).toBe(0x20);
    expect(inw(M_CMD)).toBe(0x0020);
  });

  it("OCW3 poll: the next read of either port acknowledges and returns I and W2-W0", () => {
    const { inb, outb, pulse, has, isr, linuxInit } = pic();
    linuxInit(0x00, 0x00);
    pulse(4);
    outb(M_CMD, OCW3_POLL);
    expect(inb(M_CMD)).toBe(0x84);
    expect(isr(M_CMD)).toBe(0x10);
    expect(inb(M_CMD)).toBe(0x00);          // an ordinary read again
    expect(has()).toBe(false);
    outb(M_CMD, OCW3_POLL);
    expect(inb(M_DATA)).toBe(0x00);         // nothing requested
    expect(inb(M_DATA)).toBe(0x00);         // IMR
    outb(M_CMD, EOI);
    // Polling is per chip: the master gives IR2, the slave its own level.
    pulse(9);
    outb(M_CMD, OCW3_POLL);
    expect(inb(M_CMD)).toBe(0x82);
    expect(isr(S_CMD)).toBe(0x00);
    outb(S_CMD, OCW3_POLL | OCW3_READ_ISR); // poll first, then ISR reads
    expect(inb(S_CMD)).toBe(0x81);
    expect(inb(S_CMD)).toBe(0x02);
    expect(isr(M_CMD)).toBe(0x04);
  });

  it("special mask mode: a masked level in service no longer holds lower ones off, nor ends on a non-specific EOI", () => {
    const { outb, pulse, ack, has, isr, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    pulse(3);
    expect(ack()).toBe(0x33);
    pulse(5);
    expect(has()).toBe(false);
    outb(M_DATA, 0x08);                     // mask IR3 ...
    expect(has()).toBe(false);
    outb(M_CMD, OCW3_SMM_ON);               // ... and enter special mask mode
    expect(has()).toBe(true);
    outb(M_CMD, 0x28);                      // SMM without ESMM: no change
    expect(has()).toBe(true);
    expect(ack()).toBe(0x35);
    expect(isr(M_CMD)).toBe(0x28);
    outb(M_CMD, EOI);
    expect(isr(M_CMD)).toBe(0x08);          // IR5 ended, masked IR3 kept
    outb(M_CMD, EOI);
    expect(isr(M_CMD)).toBe(0x08);
    pulse(6);
    expect(has()).toBe(true);               // lower than IR3, still let in
    outb(M_CMD, OCW3_SMM_OFF);
    expect(has()).toBe(false);              // IR3 in service holds IR6 off again
    outb(M_CMD, EOI);
    expect(isr(M_CMD)).toBe(0x00);
    expect(ack()).toBe(0x36);
  });
});

describe("8259A pair: triggering and the ELCR", () => {
  it("edge: a rising edge latches IRR; a line held high does not interrupt again; a pulse is not lost", () => {
    const { inb, outb, irq, pulse, ack, has, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    irq(3, true);
    expect(inb(M_CMD)).toBe(0x08);
    expect(ack()).toBe(0x33);
    expect(inb(M_CMD)).toBe(0x00);          // INTA took the request
    outb(M_CMD, SPECIFIC_EOI | 3);
    expect(has()).toBe(false);              // still high, no new edge
    irq(3, false);
    expect(has()).toBe(false);
    irq(3, true);
    expect(ack()).toBe(0x33);
    outb(M_CMD, EOI);
    pulse(4);                               // fell before the INTA cycle
    expect(inb(M_CMD)).toBe(0x10);
    expect(ack()).toBe(0x34);
  });

  it("level: IRR follows the line, stays through INTA, and an EOI with the line high fires again", () => {
    const { inb, outb, irq, ack, has, int, isr, linuxInit } = pic();
    linuxInit(0x00, 0xff);
    outb(ELCR1, 0x20);                      // IRQ 5 level
    irq(5, true);
    expect(inb(M_CMD)).toBe(0x20);
    expect(ack()).toBe(0x35);
    expect(inb(M_CMD)).toBe(0x20);
    expect(isr(M_CMD)).toBe(0x20);
    expect(has()).toBe(false);
    outb(M_CMD, SPECIFIC_EOI | 5);
    expect(has()).toBe(true);
    expect(ack()).toBe(0x35);
    irq(5, false);
    expect(inb(M_CMD)).toBe(0x00);
    outb(M_CMD, EOI);
    expect(has()).toBe(false);
    // Gone before the INTA cycle: the default IR7, with nothing in service,
    // which is how Linux's i8259A_irq_real(7) tells a spurious IRQ 7.
    irq(5, true);
    expect(int()).toBe(true);
    irq(5, false);
    expect(int()).toBe(false);
    expect(ack()).toBe(0x37);
    expect(isr(M_CMD)).toBe(0x00);
  });

  it("ELCR: IRQ 0, 1, 2, 8 and 13 stay edge; byte and word accesses; Linux's read-modify-write", () => {
    const { inb, inw, outb, outw } = pic();
    outb(ELCR1, 0xff); outb(ELCR2, 0xff);
    expect([inb(ELCR1), inb(ELCR2)]).toEqual([0xf8, 0xde]);
    outw(ELCR1, 0x0000);
    expect(inw(ELCR1)).toBe(0x0000);
    // acpi_pic_sci_set_trigger(9, level)
    const old = inb(ELCR1) | (inb(ELCR2) << 8);
    const v = old | (1 << 9);
    outb(ELCR1, v & 0xff); outb(ELCR2, v >> 8);
    expect(inw(ELCR1)).toBe(0x0200);
    outw(ELCR1, 0x0c20);
    expect([inb(ELCR1), inb(ELCR2)]).toEqual([0x20, 0x0c]);
  });

  it("ELCR changes: turned level with the line high requests; turned edge waits for a new edge", () => {
    const { inb, outb, irq, pulse, linuxInit } = pic();
    linuxInit(0xff, 0xff);
    outb(ELCR2, 0x08);                      // IRQ 11 level
    irq(11, true);
    expect(inb(S_CMD)).toBe(0x08);
    outb(ELCR2, 0x00);
    expect(inb(S_CMD)).toBe(0x00);
    irq(11, false); irq(11, true);
    expect(inb(S_CMD)).toBe(0x08);          // an edge, latched
    outb(ELCR2, 0x08);
    expect(inb(S_CMD)).toBe(0x08);          // the line is high
    irq(11, false);
    expect(inb(S_CMD)).toBe(0x00);
    outb(ELCR2, 0x00); pulse(11);
    expect(inb(S_CMD)).toBe(0x08);          // a latched edge ...
    outb(ELCR2, 0x08);
    expect(inb(S_CMD)).toBe(0x00);          // ... dropped: level now, and the line is low
  });
});

describe("8259A pair: the cascade", () => {
  it("the slave's requests come through IR2 with the slave's vector, between IRQ 1 and IRQ 3 in priority", () => {
    const { outb, pulse, ack, has, int, isr, linuxInit } = pic();
    linuxInit(0xe9, 0x00);                  // master IR1, IR2, IR4
    pulse(12);
    expect(ack()).toBe(0x3c);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x04, 0x10]);
    expect(int()).toBe(false);
    pulse(4);
    expect(has()).toBe(false);              // below IR2
    pulse(1);
    expect(ack()).toBe(0x31);               // above IR2
    outb(M_CMD, SPECIFIC_EOI | 1);
    pulse(9);
    expect(has()).toBe(false);              // fully nested: IR2 in service holds the slave off
    // mask_and_ack_8259A for IRQ 12: the slave's EOI, then the master's IR2.
    outb(S_CMD, SPECIFIC_EOI | 4);
    outb(M_CMD, SPECIFIC_EOI | 2);
    expect(ack()).toBe(0x39);
    outb(S_CMD, SPECIFIC_EOI | 1);
    outb(M_CMD, SPECIFIC_EOI | 2);
    expect(ack()).toBe(0x34);
    outb(M_CMD, EOI);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x00, 0x00]);
  });

  it("special fully nested mode lets a higher slave request through while IR2 is in service", () => {
    const { pulse, ack, has, isr, linuxInit } = pic();
    linuxInit(0xeb, 0x00, 0x11);            // master SFNM; IR2 and IR4
    pulse(12);
    expect(ack()).toBe(0x3c);
    pulse(9);
    expect(has()).toBe(true);
    expect(ack()).toBe(0x39);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x04, 0x12]);
    pulse(4);
    expect(has()).toBe(false);              // IR2 still holds the master's lower levels
    pulse(13);
    expect(has()).toBe(false);              // and the slave's own ISR its lower ones
  });

  it("spurious IRQ 15: the slave has nothing at INTA; it sends IR7, the master has IR2 in service", () => {
    const { outb, pulse, ack, int, isr, linuxInit } = pic();
    linuxInit(0xfb, 0x00);
    pulse(10);
    expect(int()).toBe(true);
    outb(S_DATA, 0xff);                     // gone from the slave; the master's IR2 edge stays
    expect(int()).toBe(true);
    expect(ack()).toBe(0x3f);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x04, 0x00]);
    // Linux: i8259A_irq_real(15) is 0, so spurious; it still EOIs both.
    outb(S_CMD, SPECIFIC_EOI | 7);
    outb(M_CMD, SPECIFIC_EOI | 2);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x00, 0x00]);
    expect(int()).toBe(false);
  });

  it("spurious IRQ 7: an INTA with nothing pending gives the master's IR7 and sets nothing", () => {
    const { ack, isr, linuxInit } = pic();
    linuxInit(0x00, 0x00);
    expect(ack()).toBe(0x37);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x00, 0x00]);
  });

  it("CAS addressing: a slave whose ICW3 ID is not 2 does not answer; a master ICW3 without IR2 gives its own vector", () => {
    const { outb, pulse, ack, isr } = pic();
    outb(M_CMD, 0x11); outb(M_DATA, 0x30); outb(M_DATA, 0x04); outb(M_DATA, 0x01);
    outb(S_CMD, 0x11); outb(S_DATA, 0x38); outb(S_DATA, 0x03); outb(S_DATA, 0x01);
    pulse(9);
    expect(ack()).toBe(0xff);               // nobody drives the data bus
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x04, 0x00]);
    outb(M_CMD, EOI);
    outb(M_CMD, 0x11); outb(M_DATA, 0x30); outb(M_DATA, 0x00); outb(M_DATA, 0x01);
    outb(S_CMD, 0x11); outb(S_DATA, 0x38); outb(S_DATA, 0x02); outb(S_DATA, 0x01);
    pulse(9);
    expect(ack()).toBe(0x32);
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0x04, 0x00]);
  });
});

describe("8259A pair: the output line and the inputs", () => {
  it("drives its output line with the master's INT, changing only when INT does", () => {
    const { e, r, outb, pulse, ack, has, int, linuxInit } = pic();
    const changes = (): number => e.picOutputChanges(r);
    linuxInit(0x00, 0xff);
    expect(changes()).toBe(0);
    pulse(3);
    expect([int(), has(), changes()]).toEqual([true, true, 1]);
    pulse(3);
    expect(changes()).toBe(1);
    expect(ack()).toBe(0x33);
    expect([int(), has(), changes()]).toEqual([false, false, 2]);
    pulse(3);
    pulse(6);
    expect(changes()).toBe(2);              // below IR3 in service
    outb(M_CMD, EOI);
    expect([int(), changes()]).toEqual([true, 3]);
    outb(M_DATA, 0xff);
    expect([int(), changes()]).toEqual([false, 4]);
  });

  it("ignores inputs that are not wired: IRQ 2 (the cascade), 16 and above", () => {
    const { e, r, inb, has, linuxInit } = pic();
    linuxInit(0x00, 0x00);
    for (const n of [2, 16, 17, 255, 0xffffffff]) e.picInput(r, n >>> 0, 1);
    expect([inb(M_CMD), inb(S_CMD), has()]).toEqual([0, 0, false]);
    e.picInput(r, 9, 1);
    expect(inb(S_CMD)).toBe(0x02);
  });
});

// xorshift32: the same garbage every run.
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

describe("8259A pair: a guest writing garbage", () => {
  it("gets defined behaviour from every register, allocates nothing, and stays in states its check accepts", () => {
    const { e, r, inb, outb, pulse, ack, isr, linuxInit, save, restore } = pic();
    const next = rng(0x8259a);
    const ports = [M_CMD, M_DATA, S_CMD, S_DATA, ELCR1, ELCR2, 0x22, 0x4d2];
    let grew = 0;
    let used = e.heapCurrentUsed();
    for (let i = 0; i < 20000; i++) {
      const op = next() % 8;
      const port = ports[next() % ports.length];
      const width = [1, 2, 4][next() % 3];
      if (op <= 2) e.picOut(r, port, width, next());
      else if (op == 3) e.picIn(r, port, width);
      else if (op <= 5) e.picInput(r, next() % 18, next() & 1);
      else if (op == 6) {
        const v = ack();
        expect(v >= 0 && v <= 0xff).toBe(true);
      } else {
        expect(e.picHasInterrupt(r)).toBe(e.picOutput(r));
      }
      if (i % 500 == 0) {
        // Its own block passes check() (a restore may build its message).
        grew += e.heapCurrentUsed() - used;
        const len = save();
        expect(restore(BUF, len)).toBe("");
        used = e.heapCurrentUsed();
      }
    }
    grew += e.heapCurrentUsed() - used;
    expect(grew).toBe(0);
    // Linux's initialization brings it back; what was in service stays
    // there (ICW1 keeps ISR) until EOId.
    for (let n = 0; n < 16; n++) e.picInput(r, n, 0);
    outb(ELCR1, 0); outb(ELCR2, 0);
    linuxInit(0xff, 0xff);
    for (let l = 0; l < 8; l++) { outb(M_CMD, SPECIFIC_EOI | l); outb(S_CMD, SPECIFIC_EOI | l); }
    expect([isr(M_CMD), isr(S_CMD)]).toEqual([0, 0]);
    outb(M_DATA, 0xeb); outb(S_DATA, 0xfd);
    pulse(9); pulse(4);
    expect(ack()).toBe(0x39);
    outb(S_CMD, EOI); outb(M_CMD, EOI);
    expect(ack()).toBe(0x34);
    expect(inb(M_DATA)).toBe(0xeb);
  });
});

describe("8259A pair: saved state", () => {
  // A pair with something in every field: levels, rotation, modes, both
  // chips' ISRs, a latched masked request, a poll pending.
  function busy(p: ReturnType<typeof pic>): void {
    const { outb, irq, pulse, ack, linuxInit } = p;
    linuxInit(0x00, 0x00, 0x11);
    outb(ELCR1, 0x28); outb(ELCR2, 0x02);
    irq(5, true);
    expect(ack()).toBe(0x35);               // master IR5, level
    irq(9, true);
    expect(ack()).toBe(0x39);               // slave IR1, level, nested above IR5
    outb(M_CMD, SET_PRIORITY | 1);          // IR2 highest
    outb(M_DATA, 0x40); pulse(6);           // masked, latched
    outb(M_CMD, ROTATE_AEOI_SET);
    outb(M_CMD, OCW3_READ_ISR);
    outb(S_CMD, OCW3_SMM_ON);
    outb(S_DATA, 0x02);
    pulse(12);
    outb(S_CMD, OCW3_POLL);
  }
  function reads(p: ReturnType<typeof pic>): number[] {
    const { inb, outb, ack, has, int, isr, irr } = p;
    return [inb(S_CMD), inb(M_CMD), inb(M_DATA), inb(S_DATA), inb(ELCR1), inb(ELCR2), Number(has()), Number(int()),
      isr(M_CMD), irr(M_CMD), isr(S_CMD), irr(S_CMD), ack(), ack(), (outb(M_CMD, EOI), ack()), ack()];
  }

  it("a pair saved, reset and restored answers the same reads and drives its line again", () => {
    const p = pic();
    const { e, dev, m, int, save, restore, block } = p;
    busy(p);
    const len = save();
    expect(len).toBe(HDR + e.PIC_STATE_SIZE.value);
    const saved = Buffer.from(m.bytes.subarray(BUF, BUF + len));
    const expected = reads(p);
    e.devReset(dev);
    expect(int()).toBe(false);
    expect(reads(p)).not.toEqual(expected);
    expect(restore(BUF, len)).toBe("");
    expect(block()).toEqual(saved);
    expect(int()).toBe(true);
    expect(reads(p)).toEqual(expected);
    expect(Buffer.from(new Uint32Array([e.devKind(dev) >>> 0]).buffer).toString("latin1")).toBe("8259");
    expect(e.picLayoutCheck()).toBe(0);
  });

  it("a reset keeps the input levels: a level IRQ held high requests again once made level", () => {
    const p = pic();
    const { e, dev, inb, outb, irq, ack } = p;
    irq(10, true);
    e.devReset(dev);
    outb(ELCR2, 0x04);
    expect(inb(S_CMD)).toBe(0x04);
    outb(S_DATA, 0xfb);
    expect(ack()).toBe(0x72);
  });

  it("refuses a corrupt block, saying what is wrong, and changes nothing", () => {
    const p = pic();
    const { m, save, restore, block } = p;
    busy(p);
    const len = save();
    const before = block();
    const view = new DataView(m.memory.buffer);
    const S = 16;   // the slave's chip in the block
    const F = { irr: 0, isr: 1, imr: 2, lines: 3, elcr: 4, vector: 5, icw1: 6, icw3: 7, icw4: 8, step: 9,
      lowest: 10, readIsr: 11, poll: 12, smm: 13, rotateAeoi: 14, reserved: 15 };
    const cases: Array<[Array<[number, number]>, string]> = [
      [[[F.reserved, 1]], "master: reserved byte not 0"],
      [[[F.icw1, 0x01]], "master: ICW1 without D4"],
      [[[F.step, 5]], "master: initialization step out of range"],
      [[[F.step, 1]], "master: initialization step out of range"],
      [[[F.icw1, 0x13], [F.step, 3]], "master: waiting for ICW3 in single mode"],
      [[[F.icw1, 0x10], [F.icw4, 0], [F.step, 4]], "master: waiting for ICW4 that ICW1 did not ask for"],
      [[[F.vector, 0x31]], "master: vector base not a multiple of 8"],
      [[[F.icw4, 0x21]], "master: ICW4 out of range"],
      [[[F.icw1, 0x10]], "master: ICW4 out of range"],
      [[[F.lowest, 8]], "master: lowest priority level out of range"],
      [[[S + F.poll, 2]], "slave: flag not 0 or 1"],
      [[[F.smm, 0xff]], "master: flag not 0 or 1"],
      [[[F.elcr, 0x2c]], "master: ELCR bit set for an edge-only IRQ"],
      [[[S + F.elcr, 0x22]], "slave: ELCR bit set for an edge-only IRQ"],
      [[[S + F.lines, 0x00]], "slave: level-triggered request does not follow its line"],
      [[[F.irr, 0x00]], "master: level-triggered request does not follow its line"],
      [[[S + F.imr, 0xff]], "master IR2 does not follow the slave's INT"],
    ];
    for (const [edits, why] of cases) {
      m.bytes.copyWithin(BUF2, BUF, BUF + len);
      for (const [off, v] of edits) view.setUint8(BUF2 + HDR + off, v);
      expect(restore(BUF2, len)).toBe("i8259 state: " + why);
      expect(block()).toEqual(before);
    }
    m.bytes.copyWithin(BUF2, BUF, BUF + len);
    view.setUint32(BUF2 + 4, 2, true);
    expect(restore(BUF2, len)).toBe("i8259 state: version 2, this hypervisor has version 1");
    expect(restore(BUF, len - 1)).toBe("i8259 state: size 32 in 47 bytes, expected 32");
    expect(restore(BUF, len)).toBe("");
  });
});
