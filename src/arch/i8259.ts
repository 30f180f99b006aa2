// The PC's two 8259A programmable interrupt controllers, as the guest sees
// them (Intel 8259A data sheet, "Programming the 8259A": the formats of the
// Initialization and Operation Command Words), and the PIIX's edge/level
// control registers (82371AB PIIX4 data sheet, ELCR1 and ELCR2). The
// host's own PIC driver, src/platform/pic.ts, only masks the real ones.

// ── Ports (IBM PC/AT wiring): A0 picks the register within a chip ─────────
export const PIC_MASTER_CMD: u16 = 0x20;   // A0 = 0: ICW1, OCW2, OCW3; reads IRR or ISR
export const PIC_MASTER_DATA: u16 = 0x21;  // A0 = 1: ICW2-ICW4, OCW1; reads IMR
export const PIC_SLAVE_CMD: u16 = 0xa0;
export const PIC_SLAVE_DATA: u16 = 0xa1;
export const PIC_PORTS: u32 = 2;           // each chip decodes base + 0 .. base + 1
export const PIC_ELCR1: u16 = 0x4d0;       // IRQ 0-7
export const PIC_ELCR2: u16 = 0x4d1;       // IRQ 8-15
export const PIC_ELCR_PORTS: u32 = 2;

export const PIC_ISA_IRQS: u32 = 16;       // master IR0-7 are IRQ 0-7, slave IR0-7 IRQ 8-15
export const PIC_CASCADE_IR: u32 = 2;      // the slave's INT drives the master's IR2
export const PIC_SPURIOUS_IR: u32 = 7;     // the "default IR7" vector of an INTA with no request

// ── ICW1 (A0 = 0, D4 = 1) ──────────────────────────────────────────────
export const PIC_ICW1_IC4: u8 = 0x01;      // ICW4 follows
export const PIC_ICW1_SNGL: u8 = 0x02;     // single chip: no ICW3
export const PIC_ICW1_ADI: u8 = 0x04;      // call address interval 4 (MCS-80/85 only)
export const PIC_ICW1_LTIM: u8 = 0x08;     // level triggered; ignored on the PIIX (the ELCR decides)
export const PIC_ICW1_INIT: u8 = 0x10;     // D4: this is ICW1
// What ICW1 sets at once: IR7 the lowest priority, slave address 7.
export const PIC_INIT_LOWEST_IR: u8 = 7;
export const PIC_INIT_SLAVE_ID: u8 = 7;

// ── ICW2 (A0 = 1): T7-T3 of the vector; the IR number fills bits 2:0 ─────
export const PIC_ICW2_VECTOR: u8 = 0xf8;

// ── ICW3 (A0 = 1, cascade mode only) ─────────────────────────────────────
// Master: bit n set, a slave on IRn. Slave: its ID, the master's IR it is on.
export const PIC_ICW3_SLAVE_ID: u8 = 0x07;

// ── ICW4 (A0 = 1, when ICW1.IC4) ─────────────────────────────────────────
export const PIC_ICW4_8086: u8 = 0x01;     // uPM: 8086/8088 mode (else MCS-80/85)
export const PIC_ICW4_AEOI: u8 = 0x02;     // automatic EOI at the end of the INTA sequence
export const PIC_ICW4_MS: u8 = 0x04;       // buffered mode: master (else slave)
export const PIC_ICW4_BUF: u8 = 0x08;      // buffered mode
export const PIC_ICW4_SFNM: u8 = 0x10;     // special fully nested mode
export const PIC_ICW4_MASK: u8 = 0x1f;     // D7-D5 are 0

// ── OCW2 (A0 = 0, D4 = 0, D3 = 0): R SL EOI in bits 7:5, L2-L0 in 2:0 ────
export const PIC_OCW2_LEVEL: u8 = 0x07;
export const PIC_OCW2_COMMAND: u8 = 0xe0;
export const PIC_OCW2_ROTATE_AEOI_CLEAR: u8 = 0x00;  // rotate in automatic EOI mode (clear)
export const PIC_OCW2_EOI: u8 = 0x20;                // non-specific EOI
export const PIC_OCW2_NOP: u8 = 0x40;                // no operation
export const PIC_OCW2_SPECIFIC_EOI: u8 = 0x60;       // specific EOI of level L
export const PIC_OCW2_ROTATE_AEOI_SET: u8 = 0x80;    // rotate in automatic EOI mode (set)
export const PIC_OCW2_ROTATE_EOI: u8 = 0xa0;         // rotate on non-specific EOI
export const PIC_OCW2_SET_PRIORITY: u8 = 0xc0;       // L becomes the lowest priority
export const PIC_OCW2_ROTATE_SPECIFIC_EOI: u8 = 0xe0; // rotate on specific EOI of level L

// ── OCW3 (A0 = 0, D4 = 0, D3 = 1) ────────────────────────────────────────
export const PIC_OCW3_RIS: u8 = 0x01;      // with RR: read ISR (else IRR)
export const PIC_OCW3_RR: u8 = 0x02;       // read register command
export const PIC_OCW3_P: u8 = 0x04;        // poll command
export const PIC_OCW3_SELECT: u8 = 0x08;   // D3: this is OCW3
export const PIC_OCW3_SMM: u8 = 0x20;      // with ESMM: set (else reset) special mask mode
export const PIC_OCW3_ESMM: u8 = 0x40;     // enable special mask mode change

// The poll word a read returns after OCW3.P: I (an interrupt) and W2-W0.
export const PIC_POLL_INT: u8 = 0x80;

// ── ELCR (PIIX4, ELCR1/ELCR2): bit n set, IRQ n is level triggered ─────
// IRQ 0, 1, 2 (timer, keyboard, cascade), 8 (RTC) and 13 (FPU) are edge
// only: their bits read 0 and ignore writes.
export const PIC_ELCR1_MASK: u8 = 0xf8;
export const PIC_ELCR2_MASK: u8 = 0xde;

// ── What a PC BIOS leaves (IBM PC/AT BIOS: INT 08h-0Fh, INT 70h-77h) ─────
export const PIC_BIOS_MASTER_VECTOR: u8 = 0x08;
export const PIC_BIOS_SLAVE_VECTOR: u8 = 0x70;
export const PIC_BIOS_ICW1: u8 = 0x11;             // cascade, ICW4 follows, edge
export const PIC_BIOS_ICW4: u8 = 0x01;             // 8086 mode, normal EOI
export const PIC_BIOS_MASTER_IMR: u8 = 0xfb;       // all masked but the cascade
export const PIC_BIOS_SLAVE_IMR: u8 = 0xff;
