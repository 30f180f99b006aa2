// The memory map of a domain's PC, one writer for everyone who reports it
// (fw_cfg's etc/e820, the Linux zero page): RAM below `lowReserved`, the
// firmware area from there to 1 MiB (the ACPI tables, the BIOS area)
// reserved, RAM from 1 MiB to `memBytes`.
import { E820_ENTRY_SIZE, E820_RAM, E820_RESERVED } from "../arch/e820";

export const PC_E820_ENTRIES: u32 = 3;
// Where low RAM ends and the firmware area (the EBDA first) begins.
export const PC_LOW_RAM_TOP: u64 = 0x9fc00;

// Writes the map at `p` (PC_E820_ENTRIES entries).
export function pcE820Write(p: usize, memBytes: u64, lowReserved: u64): void {
  entry(p, 0, lowReserved, E820_RAM);
  entry(p + E820_ENTRY_SIZE, lowReserved, 0x100000 - lowReserved, E820_RESERVED);
  entry(p + 2 * E820_ENTRY_SIZE, 0x100000, memBytes > 0x100000 ? memBytes - 0x100000 : 0, E820_RAM);
}

function entry(p: usize, base: u64, len: u64, type: u32): void {
  store<u64>(p, base);
  store<u64>(p + 8, len);
  store<u32>(p + 16, type);
}
