// ELF constants (System V ABI, generic ELF: e_ident, header fields, program
// headers) for the 32- and 64-bit x86 executables the domain builder loads.

export const ELF_MAGIC: u32 = 0x464c457f;   // 7f 'E' 'L' 'F' read as a little-endian u32

// e_ident[] indices and values.
export const EI_CLASS: u32 = 4;
export const EI_DATA: u32 = 5;
export const EI_VERSION: u32 = 6;
export const EI_NIDENT: u32 = 16;
export const ELFCLASS32: u32 = 1;
export const ELFCLASS64: u32 = 2;
export const ELFDATA2LSB: u32 = 1;
export const ELFDATA2MSB: u32 = 2;
export const EV_CURRENT: u32 = 1;

// e_type
export const ET_NONE: u32 = 0;
export const ET_REL: u32 = 1;
export const ET_EXEC: u32 = 2;
export const ET_DYN: u32 = 3;
export const ET_CORE: u32 = 4;

// e_machine
export const EM_386: u32 = 3;
export const EM_X86_64: u32 = 62;

// ELF32 header (52 bytes) field offsets.
export const ELF32_EHDR_SIZE: u32 = 52;
export const ELF32_E_TYPE: u32 = 16;
export const ELF32_E_MACHINE: u32 = 18;
export const ELF32_E_VERSION: u32 = 20;
export const ELF32_E_ENTRY: u32 = 24;
export const ELF32_E_PHOFF: u32 = 28;
export const ELF32_E_EHSIZE: u32 = 40;
export const ELF32_E_PHENTSIZE: u32 = 42;
export const ELF32_E_PHNUM: u32 = 44;

// ELF64 header (64 bytes) field offsets.
export const ELF64_EHDR_SIZE: u32 = 64;
export const ELF64_E_TYPE: u32 = 16;
export const ELF64_E_MACHINE: u32 = 18;
export const ELF64_E_VERSION: u32 = 20;
export const ELF64_E_ENTRY: u32 = 24;
export const ELF64_E_PHOFF: u32 = 32;
export const ELF64_E_EHSIZE: u32 = 52;
export const ELF64_E_PHENTSIZE: u32 = 54;
export const ELF64_E_PHNUM: u32 = 56;

// e_phnum value meaning "the real count is in section header 0's sh_info".
export const PN_XNUM: u32 = 0xffff;

// Program header: ELF32 (32 bytes) and ELF64 (56 bytes) field offsets.
export const ELF32_PHDR_SIZE: u32 = 32;
export const ELF32_P_TYPE: u32 = 0;
export const ELF32_P_OFFSET: u32 = 4;
export const ELF32_P_VADDR: u32 = 8;
export const ELF32_P_PADDR: u32 = 12;
export const ELF32_P_FILESZ: u32 = 16;
export const ELF32_P_MEMSZ: u32 = 20;
export const ELF32_P_FLAGS: u32 = 24;
export const ELF32_P_ALIGN: u32 = 28;

export const ELF64_PHDR_SIZE: u32 = 56;
export const ELF64_P_TYPE: u32 = 0;
export const ELF64_P_FLAGS: u32 = 4;
export const ELF64_P_OFFSET: u32 = 8;
export const ELF64_P_VADDR: u32 = 16;
export const ELF64_P_PADDR: u32 = 24;
export const ELF64_P_FILESZ: u32 = 32;
export const ELF64_P_MEMSZ: u32 = 40;
export const ELF64_P_ALIGN: u32 = 48;

// p_type
export const PT_NULL: u32 = 0;
export const PT_LOAD: u32 = 1;
export const PT_DYNAMIC: u32 = 2;
export const PT_INTERP: u32 = 3;
export const PT_NOTE: u32 = 4;
export const PT_PHDR: u32 = 6;

// p_flags
export const PF_X: u32 = 1;
export const PF_W: u32 = 2;
export const PF_R: u32 = 4;
