// A disk as Domain 0's image store sees it: 512-byte sectors addressed by
// LBA, read, written and flushed whole. The ATA driver (dom0/ata.ts) is one;
// the unit tests add others. Each call returns "" or what went wrong, by
// name ("timeout", "media error at LBA n", ...): never a trap, never a hang.
export const SECTOR_SIZE: u32 = 512;

export abstract class BlockDev {
  // Sectors on the device.
  abstract sectors(): u64;
  // What the device calls itself (a model string).
  abstract model(): string;
  // `count` sectors from `lba` into / out of the buffer at `buf`.
  abstract read(lba: u64, count: u32, buf: usize): string;
  abstract write(lba: u64, count: u32, buf: usize): string;
  // Everything written so far is on the medium.
  abstract flush(): string;
}
