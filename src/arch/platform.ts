// Ports of the emulators the hypervisor is tested in. Harmless elsewhere: on a
// PC nothing decodes them.

// Bochs: writing the bytes "Shutdown" to this port ends the emulator.
export const BOCHS_SHUTDOWN_PORT: u16 = 0x8900;
// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4): writing
// v ends QEMU with exit status (v << 1) | 1. Test guests see the same device.
export const ISA_DEBUG_EXIT_PORT: u16 = 0xf4;
export const ISA_DEBUG_EXIT_SIZE: u32 = 4;

// Resetting a PC (what Linux's reboot= methods use, in this order of
// preference): the reset control register of the PCI host bridge / PIIX
// (Intel 82371 PIIX4 datasheet 4.1.19, "RC"), then the keyboard controller's
// pulse-output command (8042: command 0xFE pulses the CPU reset line).
export const RESET_CONTROL_PORT: u16 = 0xcf9;
export const RESET_CONTROL_SYS_RST: u8 = 0x02;   // full (system) reset when RST_CPU goes 0 -> 1
export const RESET_CONTROL_RST_CPU: u8 = 0x04;
export const KBC_COMMAND_PORT: u16 = 0x64;
export const KBC_PULSE_RESET: u8 = 0xfe;
// The 8042 keyboard controller (IBM PC/AT Technical Reference, "Keyboard
// Controller"; QEMU's hw/input/pckbd.c): data at 0x60, status (read) and
// command (write) at 0x64.
export const KBC_DATA_PORT: u16 = 0x60;
export const KBC_STATUS_OBF: u8 = 0x01;      // output buffer full (data for the CPU at 0x60)
export const KBC_STATUS_SYS: u8 = 0x04;      // system flag (set by a passed self test, or the command byte)
export const KBC_STATUS_CMD: u8 = 0x08;      // the last write was to 0x64
export const KBC_STATUS_UNLOCKED: u8 = 0x10; // keyboard not inhibited
export const KBC_CMD_READ_CONFIG: u8 = 0x20;
export const KBC_CMD_WRITE_CONFIG: u8 = 0x60;
export const KBC_CMD_SELF_TEST: u8 = 0xaa;   // answers 0x55
export const KBC_CMD_KBD_TEST: u8 = 0xab;    // answers 0 (no error)
export const KBC_CMD_READ_OUTPUT: u8 = 0xd0;
export const KBC_CMD_WRITE_OUTPUT: u8 = 0xd1;
export const KBC_OUTPUT_RESET: u8 = 0x01;    // output port bit 0: the CPU's reset line, active low
export const KBC_OUTPUT_A20: u8 = 0x02;
export const KBC_SELF_TEST_OK: u8 = 0x55;
export const KBC_CONFIG_SYS: u8 = 0x04;
// System control port A (PS/2; PIIX "Port 92h"): bit 0 fast reset on a
// 0 -> 1 write, bit 1 the A20 gate.
export const PORT_A_PORT: u16 = 0x92;
export const PORT_A_FAST_RESET: u8 = 0x01;
export const PORT_A_A20: u8 = 0x02;

// PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2):
// CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC-0xCFF.
export const PCI_CONFIG_PORT: u16 = 0xcf8;
export const PCI_CONFIG_PORTS: u32 = 8;

// The test kernels' MMIO scratch device (src/devices/testdev.ts), where
// QEMU's pc-testdev has its iomem: above any guest RAM, below the local APIC.
export const TESTDEV_MMIO_BASE: u64 = 0xff000000;
export const TESTDEV_MMIO_SIZE: u32 = 64;
