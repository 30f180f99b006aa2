// The 8254 programmable interval timer and the PC's system control port B
// (Intel 8254 data sheet, order no. 231164; IBM PC/AT technical reference;
// the NMI status and control register at port 61h of Intel's PCH data
// sheets). The host uses channel 2 alone: its gate and output are wired to
// port 0x61, so it can time a calibration loop without interrupts. Each
// domain gets a model of the whole chip (src/devices/pit.ts).

export const PIT_HZ: u32 = 1193182;           // input clock, 14.31818 MHz / 12

// Ports: A1 A0 select a counter or the control word register; the PC
// decodes them at 0x40.
export const PIT_CHANNEL0: u16 = 0x40;
export const PIT_CHANNEL1: u16 = 0x41;
export const PIT_CHANNEL2: u16 = 0x42;
export const PIT_COMMAND: u16 = 0x43;         // control word register; reads float
export const PIT_PORTS: u16 = 4;
export const PIT_CHANNELS: u32 = 3;

// Control word format: SC1 SC0 RW1 RW0 M2 M1 M0 BCD.
export const PIT_CW_SC_SHIFT: u32 = 6;        // select counter; 3 is the read-back command
export const PIT_CW_SC_READBACK: u32 = 3;
export const PIT_CW_RW_SHIFT: u32 = 4;        // read/write format; 0 is the counter latch command
export const PIT_CW_RW_MASK: u8 = 0x30;
export const PIT_RW_LATCH: u32 = 0;
export const PIT_RW_LSB: u32 = 1;             // least significant byte only
export const PIT_RW_MSB: u32 = 2;             // most significant byte only
export const PIT_RW_LSB_MSB: u32 = 3;         // least significant byte first, then most
export const PIT_CW_MODE_SHIFT: u32 = 1;      // M2 M1 M0: 6 and 7 are modes 2 and 3 (M2 "don't care")
export const PIT_CW_MODE_MASK: u8 = 0x0e;
export const PIT_CW_BCD: u8 = 0x01;           // four BCD decades instead of 16 binary bits
export const PIT_CW_PROGRAM: u8 = 0x3f;       // RW, M and BCD: what the status byte echoes
// Command: channel 2, low byte then high byte, mode 0 (interrupt on
// terminal count: OUT goes high when the count reaches 0), binary.
export const PIT_CMD_CH2_LOHI_MODE0: u8 = 0xb0;

// Mode definitions.
export const PIT_MODE_TERMINAL_COUNT: u32 = 0; // interrupt on terminal count
export const PIT_MODE_ONE_SHOT: u32 = 1;       // hardware retriggerable one-shot
export const PIT_MODE_RATE: u32 = 2;           // rate generator
export const PIT_MODE_SQUARE: u32 = 3;         // square wave mode
export const PIT_MODE_SW_STROBE: u32 = 4;      // software triggered strobe
export const PIT_MODE_HW_STROBE: u32 = 5;      // hardware triggered strobe (retriggerable)

// Read-back command: 1 1 COUNT# STATUS# CNT2 CNT1 CNT0 0.
export const PIT_RB_NO_COUNT: u8 = 0x20;      // 0: latch the count of the selected counters
export const PIT_RB_NO_STATUS: u8 = 0x10;     // 0: latch their status
export const PIT_RB_CNT0: u8 = 0x02;          // counter n is bit n + 1

// Status byte: OUTPUT NULL_COUNT RW1 RW0 M2 M1 M0 BCD.
export const PIT_STATUS_OUT: u8 = 0x80;       // the OUT pin
export const PIT_STATUS_NULL_COUNT: u8 = 0x40; // the count last written is not yet in the counting element

// The largest initial count, written as 0.
export const PIT_BINARY_MAX: u32 = 65536;
export const PIT_BCD_MAX: u32 = 10000;

// System control port B.
export const PORT_B: u16 = 0x61;
export const PORT_B_GATE2: u8 = 1 << 0;       // channel 2 counts while set
export const PORT_B_SPEAKER: u8 = 1 << 1;     // channel 2 drives the speaker
export const PORT_B_PARITY_OFF: u8 = 1 << 2;  // parity check (PCI SERR#) NMI disabled
export const PORT_B_CHANNEL_OFF: u8 = 1 << 3; // I/O channel check NMI disabled
export const PORT_B_WRITABLE: u8 = 0x0f;      // bits 7:4 are read only
export const PORT_B_REFRESH: u8 = 1 << 4;     // toggles with each DRAM refresh request
export const PORT_B_OUT2: u8 = 1 << 5;        // channel 2's output
// Bits 7 and 6 report parity and channel check NMIs; a domain has none.

// Counter 1 as a PC BIOS leaves it: mode 2, count 18, a refresh request
// every 18 clocks (15.09 us), the rate port B bit 4 toggles at.
export const PIT_REFRESH_COUNT: u32 = 18;
