// The local APIC (xAPIC MMIO) and the I/O APIC (SDM Vol. 3A Chapter 11;
// 82093AA I/O APIC datasheet). Register offsets from the unit's base.

// Local APIC registers.
export const LAPIC_ID: u32 = 0x20;          // bits 31:24
export const LAPIC_VERSION: u32 = 0x30;
export const LAPIC_TPR: u32 = 0x80;
export const LAPIC_EOI: u32 = 0xb0;
export const LAPIC_SVR: u32 = 0xf0;         // spurious vector, bit 8 software enable
export const LAPIC_ESR: u32 = 0x280;
export const LAPIC_ICR_LOW: u32 = 0x300;
export const LAPIC_ICR_HIGH: u32 = 0x310;   // destination in bits 31:24
export const LAPIC_LVT_TIMER: u32 = 0x320;
export const LAPIC_LVT_LINT0: u32 = 0x350;
export const LAPIC_LVT_LINT1: u32 = 0x360;
export const LAPIC_LVT_ERROR: u32 = 0x370;
export const LAPIC_TIMER_INITIAL: u32 = 0x380;
export const LAPIC_TIMER_CURRENT: u32 = 0x390;
export const LAPIC_TIMER_DIVIDE: u32 = 0x3e0;

export const LAPIC_SVR_ENABLE: u32 = 1 << 8;
export const LAPIC_LVT_MASKED: u32 = 1 << 16;
export const LAPIC_LVT_VECTOR_MASK: u32 = 0xff;
export const LAPIC_TIMER_DIVIDE_1: u32 = 0xb;

// ICR: delivery mode, level, trigger, status.
export const ICR_FIXED: u32 = 0 << 8;
export const ICR_NMI: u32 = 4 << 8;
export const ICR_INIT: u32 = 5 << 8;
export const ICR_STARTUP: u32 = 6 << 8;
export const ICR_SEND_PENDING: u32 = 1 << 12;
export const ICR_LEVEL_ASSERT: u32 = 1 << 14;
export const ICR_TRIGGER_LEVEL: u32 = 1 << 15;

// I/O APIC: an index register and a window.
export const IOAPIC_REGSEL: u32 = 0x00;
export const IOAPIC_WINDOW: u32 = 0x10;
export const IOAPIC_REG_ID: u32 = 0x00;
export const IOAPIC_REG_VERSION: u32 = 0x01;  // bits 23:16: highest redirection entry
export const IOAPIC_REG_REDIR: u32 = 0x10;    // entry n: 0x10 + 2n (low), 0x11 + 2n (high)
export const IOAPIC_DEFAULT_BASE: u64 = 0xfec00000;

export const IOAPIC_VERSION_MAX_REDIR_SHIFT: u32 = 16;
export const IOAPIC_VERSION_MAX_REDIR_MASK: u32 = 0xff;

// Redirection entry (82093AA 3.2.4):
//   63      56 55    17  16  15  14  13  12  11  10  8  7      0
//  ┌──────────┬────────┬───┬───┬───┬───┬───┬───┬──────┬────────┐
//  │ dest APIC│   0    │ M │TM │IRR│POL│DS │DM │ mode │ vector │
//  └──────────┴────────┴───┴───┴───┴───┴───┴───┴──────┴────────┘
// mode 000 fixed; DM 0 physical destination; POL 1 active low; TM 1 level;
// M 1 masked. Written as two dwords: low (bits 31:0), then high (63:32).
export const IOAPIC_REDIR_VECTOR_MASK: u32 = 0xff;
export const IOAPIC_REDIR_FIXED: u32 = 0 << 8;
export const IOAPIC_REDIR_DEST_PHYSICAL: u32 = 0 << 11;
export const IOAPIC_REDIR_ACTIVE_LOW: u32 = 1 << 13;
export const IOAPIC_REDIR_LEVEL: u32 = 1 << 15;
export const IOAPIC_REDIR_MASKED: u32 = 1 << 16;
export const IOAPIC_REDIR_DEST_SHIFT: u32 = 24;   // in the high dword
