// Multiboot boot-loader hand-off: magic numbers, information flags (Multiboot
// Specification 0.6.96, section 3.3) and Multiboot2 tag types (Multiboot2
// Specification 2.0, section 3.6).

// EAX at entry tells which protocol loaded us.
export const MULTIBOOT_BOOTLOADER_MAGIC: u32 = 0x2badb002;
export const MULTIBOOT2_BOOTLOADER_MAGIC: u32 = 0x36d76289;

// ── Multiboot1 information structure (spec 3.3) ──────────────────────────
export const MULTIBOOT_INFO_MEMORY: u32 = 1 << 0;           // mem_lower/mem_upper
export const MULTIBOOT_INFO_BOOTDEV: u32 = 1 << 1;
export const MULTIBOOT_INFO_CMDLINE: u32 = 1 << 2;
export const MULTIBOOT_INFO_MODS: u32 = 1 << 3;
export const MULTIBOOT_INFO_AOUT_SYMS: u32 = 1 << 4;
export const MULTIBOOT_INFO_ELF_SHDR: u32 = 1 << 5;
export const MULTIBOOT_INFO_MEM_MAP: u32 = 1 << 6;
export const MULTIBOOT_INFO_DRIVE_INFO: u32 = 1 << 7;
export const MULTIBOOT_INFO_CONFIG_TABLE: u32 = 1 << 8;
export const MULTIBOOT_INFO_BOOT_LOADER_NAME: u32 = 1 << 9;
export const MULTIBOOT_INFO_APM_TABLE: u32 = 1 << 10;
export const MULTIBOOT_INFO_VBE_INFO: u32 = 1 << 11;
export const MULTIBOOT_INFO_FRAMEBUFFER_INFO: u32 = 1 << 12;

// Field offsets in the information structure.
export const MB1_FLAGS: u32 = 0;
export const MB1_MEM_LOWER: u32 = 4;    // KiB below 1 MiB
export const MB1_MEM_UPPER: u32 = 8;    // KiB from 1 MiB to the first hole
export const MB1_CMDLINE: u32 = 16;
export const MB1_MODS_COUNT: u32 = 20;
export const MB1_MODS_ADDR: u32 = 24;
export const MB1_MMAP_LENGTH: u32 = 44;
export const MB1_MMAP_ADDR: u32 = 48;
export const MB1_BOOT_LOADER_NAME: u32 = 64;
export const MB1_INFO_SIZE: u32 = 116;  // through the framebuffer fields
// A module entry: mod_start, mod_end, string, reserved.
export const MB1_MODULE_SIZE: u32 = 16;
// A memory-map entry: size (excluding itself), base_addr u64, length u64, type.
export const MB1_MMAP_ENTRY_MIN: u32 = 20;

// ── Multiboot2 information: u32 total_size, u32 reserved, then tags ───────
// Each tag: u32 type, u32 size (header included), payload; tags start 8-byte
// aligned.
export const MULTIBOOT_TAG_ALIGN: u32 = 8;
export const MULTIBOOT_TAG_TYPE_END: u32 = 0;
export const MULTIBOOT_TAG_TYPE_CMDLINE: u32 = 1;
export const MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME: u32 = 2;
export const MULTIBOOT_TAG_TYPE_MODULE: u32 = 3;
export const MULTIBOOT_TAG_TYPE_BASIC_MEMINFO: u32 = 4;
export const MULTIBOOT_TAG_TYPE_BOOTDEV: u32 = 5;
export const MULTIBOOT_TAG_TYPE_MMAP: u32 = 6;
export const MULTIBOOT_TAG_TYPE_VBE: u32 = 7;
export const MULTIBOOT_TAG_TYPE_FRAMEBUFFER: u32 = 8;
export const MULTIBOOT_TAG_TYPE_ELF_SECTIONS: u32 = 9;
export const MULTIBOOT_TAG_TYPE_APM: u32 = 10;
export const MULTIBOOT_TAG_TYPE_EFI32: u32 = 11;
export const MULTIBOOT_TAG_TYPE_EFI64: u32 = 12;
export const MULTIBOOT_TAG_TYPE_SMBIOS: u32 = 13;
export const MULTIBOOT_TAG_TYPE_ACPI_OLD: u32 = 14;
export const MULTIBOOT_TAG_TYPE_ACPI_NEW: u32 = 15;
export const MULTIBOOT_TAG_TYPE_NETWORK: u32 = 16;
export const MULTIBOOT_TAG_TYPE_EFI_MMAP: u32 = 17;
export const MULTIBOOT_TAG_TYPE_EFI_BS: u32 = 18;
export const MULTIBOOT_TAG_TYPE_EFI32_IH: u32 = 19;
export const MULTIBOOT_TAG_TYPE_EFI64_IH: u32 = 20;
export const MULTIBOOT_TAG_TYPE_LOAD_BASE_ADDR: u32 = 21;

// Memory-map entry types, shared by both protocols (e820 types).
export const MULTIBOOT_MEMORY_AVAILABLE: u32 = 1;
export const MULTIBOOT_MEMORY_RESERVED: u32 = 2;
export const MULTIBOOT_MEMORY_ACPI_RECLAIMABLE: u32 = 3;
export const MULTIBOOT_MEMORY_NVS: u32 = 4;
export const MULTIBOOT_MEMORY_BADRAM: u32 = 5;

// ── Header side: what an OS image carries for the loader ────────────────
// Multiboot1 header (spec 0.6.96, 3.1): magic, flags, checksum (the three
// sum to 0 mod 2^32), then with MULTIBOOT_AOUT_KLUDGE the address fields.
// It must lie in the first 8 KiB of the image, 4-byte aligned.
export const MULTIBOOT_HEADER_MAGIC: u32 = 0x1badb002;
export const MULTIBOOT_SEARCH: u32 = 8192;
export const MULTIBOOT_HEADER_ALIGN: u32 = 4;
export const MULTIBOOT_PAGE_ALIGN: u32 = 1 << 0;     // modules page aligned
export const MULTIBOOT_MEMORY_INFO: u32 = 1 << 1;    // wants mem_* / mmap
export const MULTIBOOT_VIDEO_MODE: u32 = 1 << 2;     // wants a video mode
export const MULTIBOOT_AOUT_KLUDGE: u32 = 1 << 16;   // address fields valid
export const MULTIBOOT_REQUIRED_MASK: u32 = 0xffff;  // bits a loader must understand
export const MB1H_MAGIC: u32 = 0;
export const MB1H_FLAGS: u32 = 4;
export const MB1H_CHECKSUM: u32 = 8;
export const MB1H_HEADER_ADDR: u32 = 12;
export const MB1H_LOAD_ADDR: u32 = 16;
export const MB1H_LOAD_END_ADDR: u32 = 20;
export const MB1H_BSS_END_ADDR: u32 = 24;
export const MB1H_ENTRY_ADDR: u32 = 28;
export const MB1H_AOUT_SIZE: u32 = 32;               // through entry_addr

// Multiboot2 header (spec 2.0, 3.1): magic, architecture, header_length,
// checksum (the four sum to 0), then 8-aligned tags {u16 type, u16 flags,
// u32 size}, ending with type 0 size 8. In the first 32 KiB, 8-aligned.
export const MULTIBOOT2_HEADER_MAGIC: u32 = 0xe85250d6;
export const MULTIBOOT2_SEARCH: u32 = 32768;
export const MULTIBOOT2_HEADER_ALIGN: u32 = 8;
export const MULTIBOOT2_ARCHITECTURE_I386: u32 = 0;
export const MULTIBOOT2_ARCHITECTURE_MIPS32: u32 = 4;
export const MB2H_MAGIC: u32 = 0;
export const MB2H_ARCHITECTURE: u32 = 4;
export const MB2H_HEADER_LENGTH: u32 = 8;
export const MB2H_CHECKSUM: u32 = 12;
export const MB2H_TAGS: u32 = 16;
export const MULTIBOOT_HEADER_TAG_OPTIONAL: u32 = 1; // tag flags bit 0
export const MULTIBOOT_HEADER_TAG_END: u32 = 0;
export const MULTIBOOT_HEADER_TAG_INFORMATION_REQUEST: u32 = 1;
export const MULTIBOOT_HEADER_TAG_ADDRESS: u32 = 2;
export const MULTIBOOT_HEADER_TAG_ENTRY_ADDRESS: u32 = 3;
export const MULTIBOOT_HEADER_TAG_CONSOLE_FLAGS: u32 = 4;
export const MULTIBOOT_HEADER_TAG_FRAMEBUFFER: u32 = 5;
export const MULTIBOOT_HEADER_TAG_MODULE_ALIGN: u32 = 6;
export const MULTIBOOT_HEADER_TAG_EFI_BS: u32 = 7;
export const MULTIBOOT_HEADER_TAG_ENTRY_ADDRESS_EFI32: u32 = 8;
export const MULTIBOOT_HEADER_TAG_ENTRY_ADDRESS_EFI64: u32 = 9;
export const MULTIBOOT_HEADER_TAG_RELOCATABLE: u32 = 10;
// Address tag: header_addr, load_addr, load_end_addr, bss_end_addr.
export const MB2H_ADDRESS_TAG_SIZE: u32 = 24;
export const MB2H_ENTRY_TAG_SIZE: u32 = 12;
export const MB2H_LOAD_FROM_START: u32 = 0xffffffff; // load_addr -1: load from file start

// Basic meminfo tag (type 4): type, size 16, mem_lower, mem_upper.
export const MB2_BASIC_MEMINFO_SIZE: u32 = 16;
export const MB2_MMAP_ENTRY_SIZE: u32 = 24;
export const MB2_MMAP_ENTRY_VERSION: u32 = 0;
