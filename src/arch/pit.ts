// The 8254 programmable interval timer and the PC's system control port B
// (Intel 8254 datasheet; IBM PC/AT technical reference). Only channel 2 is
// used: its gate and output are wired to port 0x61, so it can time a
// calibration loop without interrupts.

export const PIT_HZ: u32 = 1193182;           // input clock, 14.31818 MHz / 12
export const PIT_CHANNEL2: u16 = 0x42;
export const PIT_COMMAND: u16 = 0x43;
// Command: channel 2, low byte then high byte, mode 0 (interrupt on
// terminal count: OUT goes high when the count reaches 0), binary.
export const PIT_CMD_CH2_LOHI_MODE0: u8 = 0xb0;

export const PORT_B: u16 = 0x61;
export const PORT_B_GATE2: u8 = 1 << 0;       // channel 2 counts while set
export const PORT_B_SPEAKER: u8 = 1 << 1;     // channel 2 drives the speaker
export const PORT_B_OUT2: u8 = 1 << 5;        // channel 2's output (read only)
