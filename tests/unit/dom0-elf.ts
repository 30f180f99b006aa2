// A minimal ELF32 multiboot1 kernel, byte by byte, for Domain 0's builder
// tests: one PT_LOAD segment at file offset 0x100 that starts with a
// multiboot1 header; `code` file bytes, `bss` more in memory.
export interface Elf32Opts {
  entry: number;
  paddr: number;
  code: number;
  bss?: number;
  phoff?: number;
}

const SEGMENT_OFFSET = 0x100;

export function elf32(o: Elf32Opts): Uint8Array {
  const b = Buffer.alloc(SEGMENT_OFFSET + o.code);
  b.writeUInt32LE(0x464c457f, 0);                 // \x7fELF
  b[4] = 1; b[5] = 1; b[6] = 1;                   // ELFCLASS32, little endian, EV_CURRENT
  b.writeUInt16LE(2, 16);                         // ET_EXEC
  b.writeUInt16LE(3, 18);                         // EM_386
  b.writeUInt32LE(1, 20);                         // e_version
  b.writeUInt32LE(o.entry, 24);
  b.writeUInt32LE(o.phoff ?? 52, 28);             // e_phoff
  b.writeUInt16LE(52, 40);                        // e_ehsize
  b.writeUInt16LE(32, 42);                        // e_phentsize
  b.writeUInt16LE(1, 44);                         // e_phnum
  const ph = 52;
  b.writeUInt32LE(1, ph);                         // PT_LOAD
  b.writeUInt32LE(SEGMENT_OFFSET, ph + 4);
  b.writeUInt32LE(o.paddr, ph + 8);               // p_vaddr
  b.writeUInt32LE(o.paddr, ph + 12);              // p_paddr
  b.writeUInt32LE(o.code, ph + 16);               // p_filesz
  b.writeUInt32LE(o.code + (o.bss ?? 0), ph + 20); // p_memsz
  b.writeUInt32LE(5, ph + 24);                    // R + X
  b.writeUInt32LE(0x1000, ph + 28);
  b.writeUInt32LE(0x1badb002, SEGMENT_OFFSET);    // multiboot1 header
  b.writeUInt32LE(3, SEGMENT_OFFSET + 4);
  b.writeUInt32LE((-(0x1badb002 + 3)) >>> 0, SEGMENT_OFFSET + 8);
  for (let i = 12; i < o.code; i++) b[SEGMENT_OFFSET + i] = 0xf4; // hlt
  return new Uint8Array(b);
}
