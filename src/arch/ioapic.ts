// The I/O APIC as a guest sees it (82093AA I/O APIC data sheet, 3.0-3.2;
// the EOI register of the version 0x20 I/O(x)APIC, Intel ICH9 data sheet
// 13.5): what src/arch/apic.ts, the host driver's definitions (IOREGSEL,
// IOWIN, IOAPICID, IOAPICVER, the redirection table and the entry bits the
// driver programs), does not already say.

// Direct registers beyond IOREGSEL (0x00) and IOWIN (0x10), and the window.
export const IOAPIC_EOI: u32 = 0x40;           // write-only: a vector; clears its entries' remote IRR
export const IOAPIC_MMIO_SIZE: u64 = 0x1000;   // the 4 KiB page the chipset decodes
export const IOAPIC_REGSEL_MASK: u32 = 0xff;   // IOREGSEL bits 7:0; 31:8 reserved

// Indirect registers beyond IOAPICID (0x00), IOAPICVER (0x01) and the
// redirection table (0x10-0x3F).
export const IOAPIC_REG_ARB: u32 = 0x02;       // IOAPICARB: arbitration ID in bits 27:24, read-only

export const IOAPIC_ID_SHIFT: u32 = 24;
export const IOAPIC_ID_MASK: u32 = 0x0f000000;  // IOAPICID / IOAPICARB bits 27:24
export const IOAPIC_PINS: u32 = 24;             // interrupt inputs, redirection entries 0-23
// IOAPICVER bits 7:0: 0x11 is the 82093AA, 0x20 a PCI 2.2 I/O(x)APIC,
// which adds the EOI register (Linux's __eoi_ioapic_pin tests >= 0x20).
export const IOAPIC_VERSION_EOI: u32 = 0x20;

// Redirection entry bits not in src/arch/apic.ts (low dword; the diagram
// is there). Delivery modes are the APIC_DM_* of src/devices/apic-bus.ts.
export const IOAPIC_REDIR_DELIVERY_SHIFT: u32 = 8;
export const IOAPIC_REDIR_DELIVERY_MASK: u32 = 7 << 8;
export const IOAPIC_REDIR_DEST_LOGICAL: u32 = 1 << 11;
export const IOAPIC_REDIR_DELIVERY_STATUS: u32 = 1 << 12;  // read-only: send pending
export const IOAPIC_REDIR_REMOTE_IRR: u32 = 1 << 14;       // read-only: level interrupt in service
export const IOAPIC_REDIR_DEST_MASK: u32 = 0xff000000;     // high dword bits 31:24 (entry bits 63:56)
