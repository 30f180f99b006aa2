// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78: iSCSI's, ext4's and
// btrfs's), what the save stream and Domain 0's image store check their
// records and blocks with: the one CRC x86 computes in hardware (SSE4.2's
// CRC32 instruction). crc32("123456789") == 0xE3069283.
//
// The engine is software (slicing by 8: eight tables, eight bytes a step)
// unless the code that runs on a CPU with the instruction installs its own
// (Domain 0 does, dom0/crc.ts).
export abstract class Crc32Engine {
  // Continues the raw (not inverted) register `crc` over `len` bytes at `p`.
  abstract update(crc: u32, p: usize, len: usize): u32;
}

const POLY: u32 = 0x82f63b78;
const tables = memory.data(8 * 1024, 4);
let tablesReady = false;

@inline function t(k: u32, i: u32): u32 { return load<u32>(tables + (<usize>k << 10) + (<usize>i << 2)); }

function tablesInit(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? POLY ^ (c >> 1) : c >> 1;
    store<u32>(tables + (<usize>n << 2), c);
  }
  for (let n: u32 = 0; n < 256; n++) {
    let c = t(0, n);
    for (let k: u32 = 1; k < 8; k++) {
      c = t(0, c & 0xff) ^ (c >> 8);
      store<u32>(tables + (<usize>k << 10) + (<usize>n << 2), c);
    }
  }
  tablesReady = true;
}

class SoftCrc extends Crc32Engine {
  update(crc: u32, p: usize, len: usize): u32 {
    if (!tablesReady) tablesInit();
    let c = crc;
    let i: usize = 0;
    for (; i + 8 <= len; i += 8) {
      const lo = c ^ load<u32>(p + i);
      const hi = load<u32>(p + i + 4);
      c = t(7, lo & 0xff) ^ t(6, (lo >> 8) & 0xff) ^ t(5, (lo >> 16) & 0xff) ^ t(4, lo >> 24) ^
        t(3, hi & 0xff) ^ t(2, (hi >> 8) & 0xff) ^ t(1, (hi >> 16) & 0xff) ^ t(0, hi >> 24);
    }
    for (; i < len; i++) c = t(0, (c ^ load<u8>(p + i)) & 0xff) ^ (c >> 8);
    return c;
  }
}

const soft = new SoftCrc();
let engine: Crc32Engine = soft;

export function crc32Use(e: Crc32Engine): void { engine = e; }
export function crc32Soft(): Crc32Engine { return soft; }

// Continues `crc` (0 to start) over the `len` bytes at `p`.
export function crc32Update(crc: u32, p: usize, len: usize): u32 { return ~engine.update(~crc, p, len); }

export function crc32(p: usize, len: usize): u32 { return crc32Update(0, p, len); }
