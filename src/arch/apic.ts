// The local APIC (xAPIC MMIO, x2APIC MSRs) and the I/O APIC (SDM Vol. 3A Chapter 11;
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

// The rest of the register page (Table 11-1): 4 KiB, a 32-bit register at
// the start of each 16-byte slot. ISR, TMR and IRR are 8 registers each
// (vectors 32n..32n+31 at base + 16n).
export const LAPIC_APR: u32 = 0x90;
export const LAPIC_PPR: u32 = 0xa0;
export const LAPIC_RRD: u32 = 0xc0;
export const LAPIC_LDR: u32 = 0xd0;
export const LAPIC_DFR: u32 = 0xe0;
export const LAPIC_ISR: u32 = 0x100;
export const LAPIC_TMR: u32 = 0x180;
export const LAPIC_IRR: u32 = 0x200;
export const LAPIC_LVT_CMCI: u32 = 0x2f0;
export const LAPIC_LVT_THERMAL: u32 = 0x330;
export const LAPIC_LVT_PERF: u32 = 0x340;
export const LAPIC_SELF_IPI: u32 = 0x3f0;   // x2APIC only (11.12.11)
export const LAPIC_PAGE_SIZE: u32 = 0x1000;

// Version register (11.4.8): version 7:0, max LVT entry 23:16, bit 24 EOI-
// broadcast suppression.
export const LAPIC_VERSION_MAX_LVT_SHIFT: u32 = 16;
export const LAPIC_VERSION_EOI_SUPPRESSION: u32 = 1 << 24;
export const LAPIC_SVR_FOCUS_DISABLE: u32 = 1 << 9;

// DFR model, bits 31:28 (11.6.2.2); bits 27:0 read as ones.
export const LAPIC_DFR_FLAT: u32 = 0xffffffff;
export const LAPIC_DFR_CLUSTER: u32 = 0x0fffffff;

// Error status register (11.5.3, Figure 11-9).
export const LAPIC_ESR_SEND_ILLEGAL_VECTOR: u32 = 1 << 5;
export const LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR: u32 = 1 << 6;
export const LAPIC_ESR_ILLEGAL_REGISTER: u32 = 1 << 7;

// LVT entries (11.5.1, Figure 11-8):
//   31      19 18 17 16  15  14  13  12  11 10  8 7      0
//  ┌──────────┬─────┬───┬───┬───┬───┬───┬──┬─────┬────────┐
//  │    0     │mode │ M │TM │RIR│POL│DS │  │ DM  │ vector │
//  └──────────┴─────┴───┴───┴───┴───┴───┴──┴─────┴────────┘
// mode: timer only; TM (level), RIR (remote IRR), POL: LINT0/1 only; DM
// (delivery mode, the APIC_DM_* values): LINT0/1, thermal, performance.
export const LAPIC_LVT_DELIVERY_SHIFT: u32 = 8;
export const LAPIC_LVT_DELIVERY_STATUS: u32 = 1 << 12;
export const LAPIC_LVT_ACTIVE_LOW: u32 = 1 << 13;
export const LAPIC_LVT_REMOTE_IRR: u32 = 1 << 14;
export const LAPIC_LVT_LEVEL: u32 = 1 << 15;
export const LAPIC_LVT_TIMER_ONESHOT: u32 = 0 << 17;
export const LAPIC_LVT_TIMER_PERIODIC: u32 = 1 << 17;
export const LAPIC_LVT_TIMER_TSC_DEADLINE: u32 = 2 << 17;
export const LAPIC_LVT_TIMER_MODE_MASK: u32 = 3 << 17;
// Divide configuration (Figure 11-10): bits 3, 1:0.
export const LAPIC_TIMER_DIVIDE_MASK: u32 = 0xb;

// ICR: delivery mode, level, trigger, status.
export const ICR_FIXED: u32 = 0 << 8;
export const ICR_NMI: u32 = 4 << 8;
export const ICR_INIT: u32 = 5 << 8;
export const ICR_STARTUP: u32 = 6 << 8;
export const ICR_SEND_PENDING: u32 = 1 << 12;
export const ICR_LEVEL_ASSERT: u32 = 1 << 14;
export const ICR_TRIGGER_LEVEL: u32 = 1 << 15;
// ICR fields (11.6.1, Figure 11-12): delivery mode 10:8 (APIC_DM_*),
// destination mode 11, shorthand 19:18 (APIC_DEST_*); xAPIC destination in
// ICR high 31:24, x2APIC destination in ICR 63:32 (11.12.9).
export const ICR_DELIVERY_SHIFT: u32 = 8;
export const ICR_DEST_LOGICAL: u32 = 1 << 11;
export const ICR_SHORTHAND_SHIFT: u32 = 18;
export const ICR_DEST_SHIFT: u32 = 24;

// x2APIC (11.12): the register at xAPIC offset r is MSR X2APIC_MSR_BASE +
// (r >> 4) (11.12.1.2, Table 11-6); the MSRs 800H-8FFH are the APIC's.
export const X2APIC_MSR_BASE: u32 = 0x800;
export const X2APIC_MSR_LAST: u32 = 0x8ff;
// IA32_APIC_BASE (11.4.4, 11.12.1): x2APIC enable (EXTD), next to BSP and
// EN in msr.ts; the TSC-deadline MSR (11.5.4.1).
export const IA32_APIC_BASE_EXTD: u64 = 1 << 10;
export const IA32_TSC_DEADLINE: u32 = 0x6e0;

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
