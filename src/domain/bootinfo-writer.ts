// The boot information a multiboot guest finds in EBX, built by the domain
// builder. Written at host (wasm) address `dst`, a buffer of at least 4 KiB that will live at guest-physical `gpa` (every pointer inside is
// guest-physical). The guest's memory map:
//
//   [0, 0x9fc00)          available      [0xf0000, 0x100000)  reserved (BIOS)
//   [0x9fc00, 0xa0000)    reserved (EBDA) [0x100000, memBytes) available
//
// Multiboot1 layout:  0 info (116 bytes)  128 mmap (4 x 24)  224 "tshv"
//                     232 cmdline
// Multiboot2 layout:  header, cmdline (1), loader name (2), basic meminfo
//                     (4), mmap (6, entry_size 24, version 0), end (0).
// Both return the number of bytes written, or a negative BOOTINFO_E_* code.
import {
  MULTIBOOT_INFO_MEMORY, MULTIBOOT_INFO_CMDLINE, MULTIBOOT_INFO_MEM_MAP, MULTIBOOT_INFO_BOOT_LOADER_NAME,
  MB1_FLAGS, MB1_MEM_LOWER, MB1_MEM_UPPER, MB1_CMDLINE, MB1_MMAP_LENGTH, MB1_MMAP_ADDR, MB1_BOOT_LOADER_NAME,
  MB1_INFO_SIZE, MULTIBOOT_MEMORY_AVAILABLE, MULTIBOOT_MEMORY_RESERVED,
  MULTIBOOT_TAG_TYPE_END, MULTIBOOT_TAG_TYPE_CMDLINE, MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME,
  MULTIBOOT_TAG_TYPE_BASIC_MEMINFO, MULTIBOOT_TAG_TYPE_MMAP, MULTIBOOT_TAG_ALIGN,
  MB2_BASIC_MEMINFO_SIZE, MB2_MMAP_ENTRY_SIZE, MB2_MMAP_ENTRY_VERSION,
} from "../arch/multiboot";
import { PC_LOW_RAM_TOP } from "../devices/e820";

// The buffer a builder writes any image's boot information into (a Linux
// zero page and its command line take two pages); multiboot's takes one.
export const BOOTINFO_MAX: u32 = 8192;
const MB_INFO_MAX: u32 = 4096;
export const BOOTINFO_LOADER_NAME = "tshv";
export const BOOTINFO_E_TOO_BIG: i32 = -1;      // the command line does not fit in 4 KiB
export const BOOTINFO_E_BAD_GPA: i32 = -2;      // gpa not 8-aligned or the info would cross 4 GiB
export const BOOTINFO_E_SMALL_MEM: i32 = -3;    // guest memory below 1 MiB
export const BOOTINFO_E_CMDLINE: i32 = -4;      // longer than the kernel's cmdline_size

const LOW_TOP: u64 = PC_LOW_RAM_TOP;
const EBDA_END: u64 = 0xa0000;
const BIOS_START: u64 = 0xf0000;
const ONE_MIB: u64 = 0x100000;
const MMAP_ENTRIES: u32 = 4;

const MB1_MMAP_OFF: u32 = 128;
const MB1_NAME_OFF: u32 = MB1_MMAP_OFF + MMAP_ENTRIES * 24;  // 224
const MB1_CMDLINE_OFF: u32 = MB1_NAME_OFF + 8;               // 232

export function bootInfoErrorText(rc: i32): string {
  if (rc == BOOTINFO_E_TOO_BIG) return "boot information: command line too long for 4 KiB";
  if (rc == BOOTINFO_E_BAD_GPA) return "boot information: guest address not 8-byte aligned or past 4 GiB";
  if (rc == BOOTINFO_E_SMALL_MEM) return "boot information: guest memory below 1 MiB";
  if (rc == BOOTINFO_E_CMDLINE) return "the command line is longer than the kernel takes (its cmdline_size)";
  return rc >= 0 ? "" : "boot information: error " + rc.toString();
}

function check(gpa: u64, memBytes: u64): i32 {
  if ((gpa & 7) != 0 || gpa + <u64>MB_INFO_MAX > 0x100000000) return BOOTINFO_E_BAD_GPA;
  if (memBytes < ONE_MIB) return BOOTINFO_E_SMALL_MEM;
  return 0;
}

// Writes `s` (one byte per character) and a NUL.
export function putString(p: usize, s: string): void {
  for (let i = 0; i < s.length; i++) store<u8>(p + <usize>i, <u8>s.charCodeAt(i));
  store<u8>(p + <usize>s.length, 0);
}

// The four memory-map ranges; `entry(i)` gives base, length, type.
function mmapBase(i: u32): u64 { return i == 0 ? 0 : i == 1 ? LOW_TOP : i == 2 ? BIOS_START : ONE_MIB; }
function mmapLength(i: u32, memBytes: u64): u64 {
  return i == 0 ? LOW_TOP : i == 1 ? EBDA_END - LOW_TOP : i == 2 ? ONE_MIB - BIOS_START : memBytes - ONE_MIB;
}
function mmapType(i: u32): u32 { return i == 0 || i == 3 ? MULTIBOOT_MEMORY_AVAILABLE : MULTIBOOT_MEMORY_RESERVED; }
// Entries to emit: the last one only when there is memory above 1 MiB.
function mmapCount(memBytes: u64): u32 { return memBytes > ONE_MIB ? MMAP_ENTRIES : MMAP_ENTRIES - 1; }

export function writeMultiboot1Info(dst: usize, gpa: u64, memBytes: u64, cmdline: string): i32 {
  const rc = check(gpa, memBytes);
  if (rc < 0) return rc;
  const total = MB1_CMDLINE_OFF + <u32>cmdline.length + 1;
  if (total > MB_INFO_MAX) return BOOTINFO_E_TOO_BIG;
  memory.fill(dst, 0, total);
  const g = <u32>gpa;
  store<u32>(dst + MB1_FLAGS, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MEM_MAP |
    MULTIBOOT_INFO_BOOT_LOADER_NAME);
  store<u32>(dst + MB1_MEM_LOWER, <u32>(LOW_TOP >> 10));
  store<u32>(dst + MB1_MEM_UPPER, <u32>((memBytes - ONE_MIB) >> 10));
  store<u32>(dst + MB1_CMDLINE, g + MB1_CMDLINE_OFF);
  const n = mmapCount(memBytes);
  store<u32>(dst + MB1_MMAP_LENGTH, n * 24);
  store<u32>(dst + MB1_MMAP_ADDR, g + MB1_MMAP_OFF);
  store<u32>(dst + MB1_BOOT_LOADER_NAME, g + MB1_NAME_OFF);
  for (let i: u32 = 0; i < n; i++) {
    const e = dst + MB1_MMAP_OFF + <usize>(i * 24);
    store<u32>(e, 20);                       // size, not counting itself
    store<u64>(e + 4, mmapBase(i));
    store<u64>(e + 12, mmapLength(i, memBytes));
    store<u32>(e + 20, mmapType(i));
  }
  putString(dst + MB1_NAME_OFF, BOOTINFO_LOADER_NAME);
  putString(dst + MB1_CMDLINE_OFF, cmdline);
  return <i32>total;
}

@inline function align8(v: u32): u32 { return (v + MULTIBOOT_TAG_ALIGN - 1) & ~(MULTIBOOT_TAG_ALIGN - 1); }

export function writeMultiboot2Info(dst: usize, gpa: u64, memBytes: u64, cmdline: string): i32 {
  const rc = check(gpa, memBytes);
  if (rc < 0) return rc;
  const cmdTag = 8 + <u32>cmdline.length + 1;
  const nameTag = 8 + <u32>BOOTINFO_LOADER_NAME.length + 1;
  const n = mmapCount(memBytes);
  const mmapTag = 16 + n * MB2_MMAP_ENTRY_SIZE;
  // header, tags (each padded to 8), end tag
  if (cmdline.length > <i32>MB_INFO_MAX) return BOOTINFO_E_TOO_BIG;
  const total: u32 = 8 + align8(cmdTag) + align8(nameTag) + MB2_BASIC_MEMINFO_SIZE + align8(mmapTag) + 8;
  if (total > MB_INFO_MAX) return BOOTINFO_E_TOO_BIG;
  memory.fill(dst, 0, total);
  store<u32>(dst, total);
  store<u32>(dst + 4, 0);
  let p = dst + 8;
  store<u32>(p, MULTIBOOT_TAG_TYPE_CMDLINE);
  store<u32>(p + 4, cmdTag);
  putString(p + 8, cmdline);
  p += align8(cmdTag);
  store<u32>(p, MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME);
  store<u32>(p + 4, nameTag);
  putString(p + 8, BOOTINFO_LOADER_NAME);
  p += align8(nameTag);
  store<u32>(p, MULTIBOOT_TAG_TYPE_BASIC_MEMINFO);
  store<u32>(p + 4, MB2_BASIC_MEMINFO_SIZE);
  store<u32>(p + 8, <u32>(LOW_TOP >> 10));
  store<u32>(p + 12, <u32>((memBytes - ONE_MIB) >> 10));
  p += MB2_BASIC_MEMINFO_SIZE;
  store<u32>(p, MULTIBOOT_TAG_TYPE_MMAP);
  store<u32>(p + 4, mmapTag);
  store<u32>(p + 8, MB2_MMAP_ENTRY_SIZE);
  store<u32>(p + 12, MB2_MMAP_ENTRY_VERSION);
  for (let i: u32 = 0; i < n; i++) {
    const e = p + 16 + <usize>(i * MB2_MMAP_ENTRY_SIZE);
    store<u64>(e, mmapBase(i));
    store<u64>(e + 8, mmapLength(i, memBytes));
    store<u32>(e + 16, mmapType(i));
    store<u32>(e + 20, 0);
  }
  p += align8(mmapTag);
  store<u32>(p, MULTIBOOT_TAG_TYPE_END);
  store<u32>(p + 4, 8);
  return <i32>total;
}
