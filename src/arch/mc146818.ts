// The Motorola MC146818A real-time clock plus RAM, as a PC wires it
// (MC146818A data sheet; IBM PC/AT Technical Reference for the ports, the
// NMI mask and IRQ 8), and the PC's use of its CMOS RAM (IBM PC/AT; the
// bytes SeaBIOS reads and QEMU's pc_cmos_init writes).

// ── Ports ──────────────────────────────────────────────────────────────────
// 0x70: the index of the byte 0x71 reads and writes (bits 6:0); bit 7 is
// not the chip's: on a PC it masks NMI (set: NMIs disabled).
export const RTC_INDEX_PORT: u16 = 0x70;
export const RTC_DATA_PORT: u16 = 0x71;
export const RTC_PORTS: u32 = 2;
export const RTC_INDEX_MASK: u8 = 0x7f;
export const RTC_NMI_DISABLE: u8 = 0x80;
export const RTC_ISA_IRQ: u32 = 8;         // the chip's IRQ output on a PC
export const CMOS_SIZE: u32 = 128;         // bytes behind the index: 14 of the clock, 114 of RAM

// ── Address map (data sheet, "Address Map") ────────────────────────────────
export const RTC_SECONDS: u8 = 0x00;
export const RTC_SECONDS_ALARM: u8 = 0x01;
export const RTC_MINUTES: u8 = 0x02;
export const RTC_MINUTES_ALARM: u8 = 0x03;
export const RTC_HOURS: u8 = 0x04;
export const RTC_HOURS_ALARM: u8 = 0x05;
export const RTC_DAY_OF_WEEK: u8 = 0x06;   // 1..7, Sunday = 1
export const RTC_DAY_OF_MONTH: u8 = 0x07;
export const RTC_MONTH: u8 = 0x08;
export const RTC_YEAR: u8 = 0x09;          // 0..99
export const RTC_REG_A: u8 = 0x0a;
export const RTC_REG_B: u8 = 0x0b;
export const RTC_REG_C: u8 = 0x0c;
export const RTC_REG_D: u8 = 0x0d;
export const RTC_RAM: u8 = 0x0e;           // the first byte of general RAM

// Data sheet, "Time, Calendar, and Alarm Data Modes": hours in 12-hour
// mode are 1..12 with bit 7 set for PM; an alarm byte with both top bits
// set (0xC0-0xFF) matches any value ("don't care").
export const RTC_HOURS_PM: u8 = 0x80;
export const RTC_ALARM_DONT_CARE: u8 = 0xc0;

// ── Register A ─────────────────────────────────────────────────────────────
export const RTC_A_UIP: u8 = 0x80;         // update in progress (read only)
export const RTC_A_DV_MASK: u8 = 0x70;     // DV2-DV0: divider chain (Table 4)
export const RTC_A_DV_32KHZ: u8 = 0x20;    // 010: 32.768 kHz time base, running
export const RTC_A_DV_RESET: u8 = 0x60;    // 11x: chain held in reset
export const RTC_A_RS_MASK: u8 = 0x0f;     // RS3-RS0: periodic rate ("Periodic Interrupt Selection")

// The 32.768 kHz time base, and UIP's lead: it rises 244 us (8 cycles)
// before an update cycle begins (Table 6, tBUC).
export const RTC_TIMEBASE_HZ: u32 = 32768;
export const RTC_UIP_CYCLES: u32 = 8;

// ── Register B ─────────────────────────────────────────────────────────────
export const RTC_B_SET: u8 = 0x80;         // updates inhibited; setting it clears UIE
export const RTC_B_PIE: u8 = 0x40;         // periodic interrupt enable
export const RTC_B_AIE: u8 = 0x20;         // alarm interrupt enable
export const RTC_B_UIE: u8 = 0x10;         // update-ended interrupt enable
export const RTC_B_SQWE: u8 = 0x08;        // square-wave output enable
export const RTC_B_DM: u8 = 0x04;          // data mode: 1 binary, 0 BCD
export const RTC_B_24H: u8 = 0x02;         // 1: 24-hour, 0: 12-hour
export const RTC_B_DSE: u8 = 0x01;         // daylight saving enable
// What the RESET pin clears (data sheet, "RESET").
export const RTC_B_RESET_CLEARS: u8 = 0x78; // PIE | AIE | UIE | SQWE

// ── Register C (read only; reading clears it) ──────────────────────────────
// The flags sit at the bits of their enables in register B.
export const RTC_C_IRQF: u8 = 0x80;        // PF·PIE + AF·AIE + UF·UIE
export const RTC_C_PF: u8 = 0x40;          // periodic
export const RTC_C_AF: u8 = 0x20;          // alarm
export const RTC_C_UF: u8 = 0x10;          // update ended
export const RTC_C_FLAGS: u8 = 0x70;

// ── Register D (read only) ─────────────────────────────────────────────────
export const RTC_D_VRT: u8 = 0x80;         // valid RAM and time: the battery is good

// What a PC BIOS leaves (and QEMU's and bhyve's models start with): the
// 32.768 kHz time base at 1024 Hz, 24-hour BCD.
export const RTC_A_PC_DEFAULT: u8 = 0x26;
export const RTC_B_PC_DEFAULT: u8 = 0x02;

// ── CMOS RAM on a PC ───────────────────────────────────────────────────────
export const CMOS_EQUIPMENT: u8 = 0x14;
export const CMOS_EQUIPMENT_FPU: u8 = 0x02;
export const CMOS_EQUIPMENT_PS2_MOUSE: u8 = 0x04;
export const CMOS_BASE_MEM_LO: u8 = 0x15;  // KiB below 1 MiB (at most 640)
export const CMOS_BASE_MEM_HI: u8 = 0x16;
export const CMOS_EXT_MEM_LO: u8 = 0x17;   // KiB from 1 MiB (at most 65535)
export const CMOS_EXT_MEM_HI: u8 = 0x18;
export const CMOS_EXT_MEM2_LO: u8 = 0x30;  // the same, as POST leaves it
export const CMOS_EXT_MEM2_HI: u8 = 0x31;
export const CMOS_CENTURY: u8 = 0x32;      // the year's hundreds (BCD or binary as the clock)
export const CMOS_MEM_16M_LO: u8 = 0x34;   // 64 KiB blocks from 16 MiB to 4 GiB (at most 65535)
export const CMOS_MEM_16M_HI: u8 = 0x35;
export const CMOS_MEM_4G_LO: u8 = 0x5b;    // 64 KiB blocks above 4 GiB (24 bits)
export const CMOS_MEM_4G_MID: u8 = 0x5c;
export const CMOS_MEM_4G_HI: u8 = 0x5d;
