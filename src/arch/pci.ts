// PCI configuration space (PCI Local Bus 3.0, 3.2.2.3.2 and 6.1) and the
// functions of the PC chipset a domain sees (Intel 82441FX host bridge and
// 82371SB PIIX3 ISA bridge data sheets, as QEMU's pc machine has them).

// CONFIG_ADDRESS (0xCF8, 32-bit): enable, bus, device, function, register.
export const PCI_ADDRESS_ENABLE: u32 = 1 << 31;
export const PCI_ADDRESS_BUS_SHIFT: u32 = 16;     // bits 23:16
export const PCI_ADDRESS_DEV_SHIFT: u32 = 11;     // bits 15:11
export const PCI_ADDRESS_FN_SHIFT: u32 = 8;       // bits 10:8
export const PCI_ADDRESS_REG_MASK: u32 = 0xfc;    // bits 7:2, dword aligned
export const PCI_CONFIG_DATA: u16 = 0xcfc;

// Type 0 configuration header offsets.
export const PCI_VENDOR_ID: u32 = 0x00;
export const PCI_DEVICE_ID: u32 = 0x02;
export const PCI_COMMAND: u32 = 0x04;
export const PCI_STATUS: u32 = 0x06;
export const PCI_REVISION_ID: u32 = 0x08;
export const PCI_CLASS_PROG: u32 = 0x09;
export const PCI_CLASS_DEVICE: u32 = 0x0a;       // u16: class, subclass
export const PCI_HEADER_TYPE: u32 = 0x0e;
export const PCI_SUBSYSTEM_VENDOR_ID: u32 = 0x2c;
export const PCI_SUBSYSTEM_ID: u32 = 0x2e;
export const PCI_HEADER_TYPE_MULTI: u8 = 0x80;
export const PCI_CONFIG_SIZE: u32 = 256;

export const PCI_VENDOR_INTEL: u16 = 0x8086;
export const PCI_DEVICE_82441: u16 = 0x1237;     // 440FX host bridge
export const PCI_DEVICE_82371SB_ISA: u16 = 0x7000;  // PIIX3 PCI-to-ISA bridge
export const PCI_CLASS_BRIDGE_HOST: u16 = 0x0600;
export const PCI_CLASS_BRIDGE_ISA: u16 = 0x0601;
// PCI_COMMAND bits the host bridge and the ISA bridge implement.
export const PCI_COMMAND_IO: u16 = 1 << 0;
export const PCI_COMMAND_MEMORY: u16 = 1 << 1;
export const PCI_COMMAND_MASTER: u16 = 1 << 2;
export const PCI_COMMAND_SPECIAL: u16 = 1 << 3;

// The PIIX reset control register, a byte at 0xCF9 inside CONFIG_ADDRESS's
// dword (82371SB 4.1.17, "RC"; RESET_CONTROL_* in src/arch/platform.ts).
export const PCI_RESET_CONTROL_OFFSET: u32 = 1;
