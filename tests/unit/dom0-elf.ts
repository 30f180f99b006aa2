// Minimal kernels, byte by byte, for Domain 0's builder tests: an ELF with
// one PT_LOAD segment at file offset 0x100, `code` file bytes and `bss` more
// in memory. ELF32 images start with a multiboot1 header (entered in 32-bit
// protected mode); ELF64 images have none (entered in 64-bit mode).
export interface ElfOpts {
  cls?: 32 | 64;
  entry: number;
  paddr: number;
  code: number;
  bss?: number;
  phoff?: number;
}

const SEGMENT_OFFSET = 0x100;

export function elf(o: ElfOpts): Uint8Array {
  const is64 = o.cls === 64;
  const b = Buffer.alloc(SEGMENT_OFFSET + o.code);
  b.writeUInt32LE(0x464c457f, 0);                 // \x7fELF
  b[4] = is64 ? 2 : 1; b[5] = 1; b[6] = 1;        // class, little endian, EV_CURRENT
  b.writeUInt16LE(2, 16);                         // ET_EXEC
  b.writeUInt16LE(is64 ? 62 : 3, 18);             // EM_X86_64 / EM_386
  b.writeUInt32LE(1, 20);                         // e_version
  const memsz = o.code + (o.bss ?? 0);
  if (is64) {
    b.writeBigUInt64LE(BigInt(o.entry), 24);
    b.writeBigUInt64LE(BigInt(o.phoff ?? 64), 32);
    b.writeUInt16LE(64, 52);                      // e_ehsize
    b.writeUInt16LE(56, 54);                      // e_phentsize
    b.writeUInt16LE(1, 56);                       // e_phnum
    const ph = 64;
    b.writeUInt32LE(1, ph);                       // PT_LOAD
    b.writeUInt32LE(5, ph + 4);                   // R + X
    b.writeBigUInt64LE(BigInt(SEGMENT_OFFSET), ph + 8);
    b.writeBigUInt64LE(BigInt(o.paddr), ph + 16);
    b.writeBigUInt64LE(BigInt(o.paddr), ph + 24);
    b.writeBigUInt64LE(BigInt(o.code), ph + 32);
    b.writeBigUInt64LE(BigInt(memsz), ph + 40);
    b.writeBigUInt64LE(0x1000n, ph + 48);
  } else {
    b.writeUInt32LE(o.entry, 24);
    b.writeUInt32LE(o.phoff ?? 52, 28);           // e_phoff
    b.writeUInt16LE(52, 40);                      // e_ehsize
    b.writeUInt16LE(32, 42);                      // e_phentsize
    b.writeUInt16LE(1, 44);                       // e_phnum
    const ph = 52;
    b.writeUInt32LE(1, ph);                       // PT_LOAD
    b.writeUInt32LE(SEGMENT_OFFSET, ph + 4);
    b.writeUInt32LE(o.paddr, ph + 8);             // p_vaddr
    b.writeUInt32LE(o.paddr, ph + 12);            // p_paddr
    b.writeUInt32LE(o.code, ph + 16);             // p_filesz
    b.writeUInt32LE(memsz, ph + 20);              // p_memsz
    b.writeUInt32LE(5, ph + 24);                  // R + X
    b.writeUInt32LE(0x1000, ph + 28);
    b.writeUInt32LE(0x1badb002, SEGMENT_OFFSET);  // multiboot1 header
    b.writeUInt32LE(3, SEGMENT_OFFSET + 4);
    b.writeUInt32LE((-(0x1badb002 + 3)) >>> 0, SEGMENT_OFFSET + 8);
  }
  for (let i = is64 ? 0 : 12; i < o.code; i++) b[SEGMENT_OFFSET + i] = 0xf4; // hlt
  return new Uint8Array(b);
}

export const elf32 = (o: Omit<ElfOpts, "cls">) => elf({ ...o, cls: 32 });
