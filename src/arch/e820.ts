// The PC's memory map as BIOS INT 15h E820 reports it (ACPI spec 15,
// "System Address Map Interfaces"), as fw_cfg's etc/e820 and Linux's zero
// page carry it: address u64, length u64, type u32, little endian.
export const E820_ENTRY_SIZE: u32 = 20;
export const E820_RAM: u32 = 1;
export const E820_RESERVED: u32 = 2;
export const E820_ACPI: u32 = 3;
