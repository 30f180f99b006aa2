// Ports of the emulators the hypervisor is tested in. Harmless elsewhere: on a
// PC nothing decodes them.

// Bochs: writing the bytes "Shutdown" to this port ends the emulator.
export const BOCHS_SHUTDOWN_PORT: u16 = 0x8900;
// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4): writing
// v ends QEMU with exit status (v << 1) | 1. Test guests see the same device.
export const ISA_DEBUG_EXIT_PORT: u16 = 0xf4;
export const ISA_DEBUG_EXIT_SIZE: u32 = 4;
