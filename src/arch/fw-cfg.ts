// QEMU's firmware configuration device (QEMU docs/specs/fw_cfg.rst): the
// x86 I/O-port interface, its selector keys and the file directory.
export const FW_CFG_PORT_SEL: u16 = 0x510;     // 16-bit write: select an item
export const FW_CFG_PORT_DATA: u16 = 0x511;    // 8-bit read: the next byte of it
export const FW_CFG_PORTS: u32 = 2;

export const FW_CFG_SIGNATURE: u16 = 0x0000;   // "QEMU"
export const FW_CFG_ID: u16 = 0x0001;          // u32 feature bits
export const FW_CFG_RAM_SIZE: u16 = 0x0003;    // u64
export const FW_CFG_NB_CPUS: u16 = 0x0005;     // u16: CPUs at boot
export const FW_CFG_MAX_CPUS: u16 = 0x000f;    // u16
export const FW_CFG_FILE_DIR: u16 = 0x0019;    // the directory of named items
export const FW_CFG_FILE_FIRST: u16 = 0x0020;  // the first named item's key

export const FW_CFG_ID_TRADITIONAL: u32 = 1 << 0;   // the port interface (no DMA)
export const FW_CFG_FILE_NAME_MAX: u32 = 56;
export const FW_CFG_FILE_ENTRY_SIZE: u32 = 64;      // size u32, select u16, reserved u16, name[56] (big endian numbers)
