// The Linux x86 boot protocol (Documentation/arch/x86/boot.rst,
// arch/x86/include/uapi/asm/bootparam.h): the setup header in a bzImage's
// first sectors, and the zero page (struct boot_params) a loader hands the
// kernel's 64-bit entry. Offsets are from the start of the image, which are
// also the header's offsets within the zero page.
export const BZ_SECTOR: u32 = 512;
export const BZ_SETUP_SECTS: u32 = 0x1f1;        // u8: setup sectors after the boot sector (0 means 4)
export const BZ_SETUP_SECTS_DEFAULT: u32 = 4;
export const BZ_SYSSIZE: u32 = 0x1f4;            // u32: protected-mode code size in 16-byte paragraphs
export const BZ_BOOT_FLAG: u32 = 0x1fe;          // u16: 0xAA55
export const BZ_BOOT_FLAG_MAGIC: u16 = 0xaa55;
export const BZ_JUMP: u32 = 0x200;               // u16: a short jump; its second byte ends the header
export const BZ_HEADER: u32 = 0x202;             // u32: "HdrS"
export const BZ_HEADER_MAGIC: u32 = 0x53726448;
export const BZ_VERSION: u32 = 0x206;            // u16: protocol major << 8 | minor
export const BZ_TYPE_OF_LOADER: u32 = 0x210;     // u8
export const BZ_LOADFLAGS: u32 = 0x211;          // u8
export const BZ_RAMDISK_IMAGE: u32 = 0x218;      // u32
export const BZ_RAMDISK_SIZE: u32 = 0x21c;       // u32
export const BZ_CMD_LINE_PTR: u32 = 0x228;       // u32
export const BZ_INITRD_ADDR_MAX: u32 = 0x22c;    // u32: highest byte an initrd may occupy
export const BZ_KERNEL_ALIGNMENT: u32 = 0x230;   // u32
export const BZ_RELOCATABLE_KERNEL: u32 = 0x234; // u8
export const BZ_XLOADFLAGS: u32 = 0x236;         // u16
export const BZ_CMDLINE_SIZE: u32 = 0x238;       // u32: longest command line, without its NUL
export const BZ_PREF_ADDRESS: u32 = 0x258;       // u64
export const BZ_INIT_SIZE: u32 = 0x260;          // u32: memory the kernel needs from its load address
export const BZ_HEADER_END_MIN: u32 = 0x264;     // protocol 2.12's header reaches past init_size
export const BZ_HEADER_READ: u32 = 0x400;        // bytes that hold any setup header (its end is 0x202 + a byte)

export const BZ_PROTOCOL_MIN: u32 = 0x020c;      // 2.12: xloadflags, the 64-bit entry
export const BZ_LOADED_HIGH: u8 = 1 << 0;        // loadflags: protected-mode code at 1 MiB or above
export const BZ_XLF_KERNEL_64: u16 = 1 << 0;     // xloadflags: a 64-bit entry at the load address + 0x200
export const BZ_ENTRY64_OFFSET: u64 = 0x200;
export const BZ_LOADER_UNDEFINED: u8 = 0xff;     // type_of_loader: a loader without an assigned id

// The zero page (struct boot_params).
export const ZP_SIZE: u32 = 4096;
export const ZP_ACPI_RSDP_ADDR: u32 = 0x070;     // u64
export const ZP_EXT_RAMDISK_IMAGE: u32 = 0x0c0;  // u32: bits 63:32 of ramdisk_image
export const ZP_EXT_RAMDISK_SIZE: u32 = 0x0c4;
export const ZP_EXT_CMD_LINE_PTR: u32 = 0x0c8;
export const ZP_E820_ENTRIES: u32 = 0x1e8;       // u8
export const ZP_E820_TABLE: u32 = 0x2d0;         // struct boot_e820_entry[128]
export const ZP_E820_MAX: u32 = 128;
