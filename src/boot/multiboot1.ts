// Multiboot (version 1) boot information (Multiboot Specification 0.6.96,
// 3.3), as GRUB legacy and QEMU's -kernel loader pass it. Unlike Multiboot2
// the structure points elsewhere (strings, module array, memory map); each
// pointer is checked for null and each piece is recorded as an extent.
//
//   info + 0  flags       44  mmap_length
//          4  mem_lower   48  mmap_addr ──► ┌ size ┬ base_addr u64 ┬ length u64 ┬ type ┐
//          8  mem_upper   64  boot_loader_name   (size excludes itself; next entry
//         16  cmdline                              at entry + size + 4)
//         20  mods_count
//         24  mods_addr ──► { mod_start, mod_end, string, reserved } x mods_count
import {
  MULTIBOOT_INFO_MEMORY, MULTIBOOT_INFO_CMDLINE, MULTIBOOT_INFO_MODS, MULTIBOOT_INFO_MEM_MAP,
  MULTIBOOT_INFO_BOOT_LOADER_NAME, MULTIBOOT_MEMORY_AVAILABLE,
  MB1_FLAGS, MB1_MEM_LOWER, MB1_MEM_UPPER, MB1_CMDLINE, MB1_MODS_COUNT, MB1_MODS_ADDR,
  MB1_MMAP_LENGTH, MB1_MMAP_ADDR, MB1_BOOT_LOADER_NAME, MB1_INFO_SIZE, MB1_MODULE_SIZE,
  MB1_MMAP_ENTRY_MIN,
} from "../arch/multiboot";
import { BootInfo, BootModule, MemoryRange, readBootString, BOOT_MODULES_MAX, BOOT_MMAP_ENTRIES_MAX } from "./bootinfo";
import { hex, dec } from "../lib/str";

const FOUR_GIB: u64 = 0x100000000;
// A memory map longer than this is not a PC's e820 map.
const MB1_MMAP_MAX: u32 = 1024 * 32; // BOOT_MMAP_ENTRIES_MAX entries of 32 bytes

export function parseMultiboot1(bi: BootInfo, info: u32): bool {
  if (info == 0) return bi.fail("mb1: null information pointer");
  if (<u64>info + MB1_INFO_SIZE > FOUR_GIB) return bi.fail("mb1: information at " + hex(info) + " runs past 4 GiB");
  const base = <usize>info;
  bi.addExtent(info, <u64>info + MB1_INFO_SIZE, "multiboot information");
  const flags = load<u32>(base + MB1_FLAGS);

  if (flags & MULTIBOOT_INFO_CMDLINE) {
    const s = readString(bi, base, MB1_CMDLINE, "cmdline");
    if (s === null) return false;
    bi.cmdline = s;
  }
  if (flags & MULTIBOOT_INFO_BOOT_LOADER_NAME) {
    const s = readString(bi, base, MB1_BOOT_LOADER_NAME, "boot_loader_name");
    if (s === null) return false;
    bi.loaderName = s;
  }
  if (flags & MULTIBOOT_INFO_MODS) {
    if (!parseModules(bi, base)) return false;
  }
  if (flags & MULTIBOOT_INFO_MEM_MAP) {
    if (!parseMmap(bi, base)) return false;
  } else if (flags & MULTIBOOT_INFO_MEMORY) {
    // No map: mem_lower KiB from 0 and mem_upper KiB from 1 MiB are usable.
    const lower = <u64>load<u32>(base + MB1_MEM_LOWER) << 10;
    const upper = <u64>load<u32>(base + MB1_MEM_UPPER) << 10;
    if (lower != 0) bi.memory.push(new MemoryRange(0, lower, MULTIBOOT_MEMORY_AVAILABLE));
    if (upper != 0) bi.memory.push(new MemoryRange(0x100000, upper, MULTIBOOT_MEMORY_AVAILABLE));
  }
  return true;
}

// The string a pointer field at `field` points to, recorded as an extent.
function readString(bi: BootInfo, base: usize, field: u32, name: string): string | null {
  const p = load<u32>(base + field);
  if (p == 0) {
    bi.fail("mb1: flags announce " + name + " but its pointer (offset " + dec(field) + ") is null");
    return null;
  }
  const s = readBootString(bi, p, FOUR_GIB - p, "mb1: " + name + " (offset " + dec(field) + ")");
  if (s !== null) bi.addExtent(p, <u64>p + <u64>s.length + 1, "multiboot " + name);
  return s;
}

function parseModules(bi: BootInfo, base: usize): bool {
  const count = load<u32>(base + MB1_MODS_COUNT);
  const addr = load<u32>(base + MB1_MODS_ADDR);
  if (count == 0) return true;
  if (addr == 0) return bi.fail("mb1: mods_count is " + dec(count) + " but mods_addr (offset 24) is null");
  if (count > BOOT_MODULES_MAX) {
    return bi.fail("mb1: mods_count " + dec(count) + " (offset 20) is more than " + dec(BOOT_MODULES_MAX));
  }
  const end = <u64>addr + <u64>count * MB1_MODULE_SIZE;
  if (end > FOUR_GIB) return bi.fail("mb1: module array at " + hex(addr) + " (" + dec(count) + " entries) runs past 4 GiB");
  bi.addExtent(addr, end, "multiboot module array");
  for (let i: u32 = 0; i < count; i++) {
    const m = <usize>addr + <usize>(i * MB1_MODULE_SIZE);
    const start = load<u32>(m);
    const stop = load<u32>(m + 4);
    const str = load<u32>(m + 8);
    if (stop < start) {
      return bi.fail("mb1: module " + dec(i) + " at " + hex(m) + " ends (" + hex(stop) + ") before it starts (" + hex(start) + ")");
    }
    let cmdline = "";
    if (str != 0) {
      const s = readBootString(bi, str, FOUR_GIB - str, "mb1: module " + dec(i) + " string");
      if (s === null) return false;
      bi.addExtent(str, <u64>str + <u64>s.length + 1, "multiboot module string");
      cmdline = s;
    }
    bi.modules.push(new BootModule(start, stop, cmdline));
  }
  return true;
}

function parseMmap(bi: BootInfo, base: usize): bool {
  const length = load<u32>(base + MB1_MMAP_LENGTH);
  const addr = load<u32>(base + MB1_MMAP_ADDR);
  if (addr == 0) return bi.fail("mb1: flags announce a memory map but mmap_addr (offset 48) is null");
  if (length > MB1_MMAP_MAX) return bi.fail("mb1: mmap_length " + dec(length) + " (offset 44) is more than " + dec(MB1_MMAP_MAX));
  if (<u64>addr + length > FOUR_GIB) return bi.fail("mb1: memory map at " + hex(addr) + " runs past 4 GiB");
  bi.addExtent(addr, <u64>addr + length, "multiboot memory map");
  let off: u32 = 0;
  // off < length <= MB1_MMAP_MAX and size is checked against the rest, so no
  // sum overflows.
  while (off < length) {
    if (length - off < 4) return bi.fail("mb1: memory-map entry at offset " + hex(off) + " is truncated (" + dec(length - off) + " bytes left)");
    const e = <usize>addr + off;
    const size = load<u32>(e);
    if (size < MB1_MMAP_ENTRY_MIN) {
      return bi.fail("mb1: memory-map entry at offset " + hex(off) + " has size " + dec(size) + " (< " + dec(MB1_MMAP_ENTRY_MIN) + ")");
    }
    if (size > length - off - 4) {
      return bi.fail("mb1: memory-map entry at offset " + hex(off) + " (size " + dec(size) + ") runs past mmap_length " + dec(length));
    }
    if (<u32>bi.memory.length >= BOOT_MMAP_ENTRIES_MAX) return bi.fail("mb1: more than " + dec(BOOT_MMAP_ENTRIES_MAX) + " memory-map entries");
    const b = load<u64>(e + 4);
    const len = load<u64>(e + 12);
    const type = load<u32>(e + 20);
    if (b + len < b) {
      return bi.fail("mb1: memory-map entry at offset " + hex(off) + " wraps past 2^64 (base " + hex(b) + ", length " + hex(len) + ")");
    }
    if (len != 0) bi.memory.push(new MemoryRange(b, len, type));
    off += size + 4;
  }
  return true;
}
