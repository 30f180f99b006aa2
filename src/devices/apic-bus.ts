// Interrupt messages among a domain's APICs (SDM Vol. 3A 11.6, 82093AA data
// sheet 3.2.4): the I/O APIC sends one when a pin fires, a local APIC when
// its ICR is written (an IPI). The domain's bus (src/domain/) hands a
// message to every local APIC it is addressed to; an EOI of a
// level-triggered vector goes back to the I/O APICs.

// Delivery modes (ICR and redirection-table bits 10:8).
export const APIC_DM_FIXED: u32 = 0;
export const APIC_DM_LOWEST: u32 = 1;
export const APIC_DM_SMI: u32 = 2;
export const APIC_DM_NMI: u32 = 4;
export const APIC_DM_INIT: u32 = 5;
export const APIC_DM_STARTUP: u32 = 6;
export const APIC_DM_EXTINT: u32 = 7;

// Destination shorthands (ICR bits 19:18).
export const APIC_DEST_NONE: u32 = 0;
export const APIC_DEST_SELF: u32 = 1;
export const APIC_DEST_ALL: u32 = 2;
export const APIC_DEST_ALL_BUT_SELF: u32 = 3;

@final
export class ApicMessage {
  vector: u32 = 0;
  delivery: u32 = APIC_DM_FIXED;
  logical: bool = false;     // destination mode: logical (LDR/DFR) or physical (APIC ID)
  dest: u32 = 0;             // 8 bits in xAPIC form, 32 in x2APIC
  x2apic: bool = false;      // dest is an x2APIC ID / logical x2APIC ID
  shorthand: u32 = APIC_DEST_NONE;
  level: bool = true;        // assert (INIT de-assert is level false)
  trigger: bool = false;     // true: level-triggered (the receiver sets TMR)
}

export abstract class ApicBus {
  // Delivers `m`; `from` is the sending local APIC's vCPU index, -1 for the
  // I/O APIC (shorthands need the sender).
  abstract send(m: ApicMessage, from: i32): void;
  // A local APIC EOId level-triggered `vector`: the I/O APICs clear their
  // remote IRR for it (EOI broadcast, 82093AA 3.2.4).
  abstract eoi(vector: u32): void;
}
