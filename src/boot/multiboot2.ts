// Multiboot2 boot information (Multiboot2 Specification 2.0, 3.6).
//
//   info + 0  ┌──────────────┬──────────────┐
//             │ total_size   │ reserved     │  total_size includes this header
//         8   ├──────────────┼──────────────┤
//             │ type         │ size         │  size includes the 8-byte tag header
//             │ payload ...  (size - 8 bytes)│
//             ├──────── padding to 8 ────────┤
//             │ next tag ...                 │
//             │ type 0, size 8 (end)         │
//             └──────────────────────────────┘
import {
  MULTIBOOT_TAG_ALIGN, MULTIBOOT_TAG_TYPE_END, MULTIBOOT_TAG_TYPE_CMDLINE,
  MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME, MULTIBOOT_TAG_TYPE_MODULE, MULTIBOOT_TAG_TYPE_MMAP,
  MULTIBOOT_TAG_TYPE_ACPI_OLD, MULTIBOOT_TAG_TYPE_ACPI_NEW,
} from "../arch/multiboot";
import { RSDP_V1_SIZE, RSDP_V2_SIZE, RSDP_REVISION } from "../arch/acpi";
import { BootInfo, BootModule, MemoryRange, readBootString, BOOT_MODULES_MAX, BOOT_MMAP_ENTRIES_MAX } from "./bootinfo";
import { hex, dec } from "../lib/str";

const HEADER_SIZE: u32 = 8;
// Smallest valid info: the header and an end tag. Largest we believe: GRUB's
// info is a few KiB; an EFI memory-map tag can add tens of KiB.
const MB2_INFO_MIN: u32 = 16;
export const MB2_INFO_MAX: u32 = 1 << 20;
// Module tag: type, size, mod_start, mod_end, then the NUL-terminated string.
const MODULE_STRING: u32 = 16;
// Memory-map tag: type, size, entry_size, entry_version, then the entries.
const MMAP_ENTRIES: u32 = 16;
const MMAP_ENTRY_MIN: u32 = 24; // base_addr u64, length u64, type u32, reserved u32

export function parseMultiboot2(bi: BootInfo, info: u32): bool {
  if (info == 0) return bi.fail("mb2: null information pointer");
  if (info & (MULTIBOOT_TAG_ALIGN - 1)) return bi.fail("mb2: information at " + hex(info) + " is not 8-byte aligned");
  const base = <usize>info;
  const total = load<u32>(base);
  if (total < MB2_INFO_MIN) {
    return bi.fail("mb2: total_size " + dec(total) + " at offset 0x0 is too small (< " + dec(MB2_INFO_MIN) + ")");
  }
  if (total > MB2_INFO_MAX) {
    return bi.fail("mb2: total_size " + hex(total) + " at offset 0x0 is too large (> " + hex(MB2_INFO_MAX) + ")");
  }
  if (<u64>info + <u64>total > 0x100000000) {
    return bi.fail("mb2: information at " + hex(info) + " with total_size " + hex(total) + " runs past 4 GiB");
  }
  bi.addExtent(info, <u64>info + total, "multiboot2 information");

  let haveMmap = false;
  let haveAcpiNew = false;
  let off: u32 = HEADER_SIZE;
  // Both `off` and `size` are below total <= MB2_INFO_MAX, so no sum overflows.
  while (off <= total - HEADER_SIZE) {
    const type = load<u32>(base + off);
    const size = load<u32>(base + off + 4);
    const at = " at offset " + hex(off);
    if (size < HEADER_SIZE) {
      return bi.fail("mb2: tag type " + dec(type) + at + " has size " + dec(size) + " (< 8)");
    }
    if (size > total - off) {
      return bi.fail("mb2: tag type " + dec(type) + at + " (size " + dec(size) +
        ") runs past total_size " + dec(total));
    }
    const tag = base + off;
    if (type == MULTIBOOT_TAG_TYPE_END) {
      return true;
    } else if (type == MULTIBOOT_TAG_TYPE_CMDLINE || type == MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME) {
      const what = type == MULTIBOOT_TAG_TYPE_CMDLINE ? "cmdline" : "boot loader name";
      const s = readBootString(bi, tag + HEADER_SIZE, size - HEADER_SIZE, "mb2: " + what + " tag" + at + ": string");
      if (s === null) return false;
      if (type == MULTIBOOT_TAG_TYPE_CMDLINE) bi.cmdline = s;
      else bi.loaderName = s;
    } else if (type == MULTIBOOT_TAG_TYPE_MODULE) {
      if (size < MODULE_STRING + 1) {
        return bi.fail("mb2: module tag" + at + " has size " + dec(size) + " (< " + dec(MODULE_STRING + 1) + ")");
      }
      if (<u32>bi.modules.length >= BOOT_MODULES_MAX) {
        return bi.fail("mb2: module tag" + at + ": more than " + dec(BOOT_MODULES_MAX) + " modules");
      }
      const start = load<u32>(tag + 8);
      const end = load<u32>(tag + 12);
      if (end < start) {
        return bi.fail("mb2: module tag" + at + " ends (" + hex(end) + ") before it starts (" + hex(start) + ")");
      }
      const s = readBootString(bi, tag + MODULE_STRING, size - MODULE_STRING, "mb2: module tag" + at + ": string");
      if (s === null) return false;
      bi.modules.push(new BootModule(start, end, s));
    } else if (type == MULTIBOOT_TAG_TYPE_MMAP) {
      if (!parseMmapTag(bi, tag, off, size)) return false;
      if (haveMmap) return bi.fail("mb2: second memory-map tag" + at);
      haveMmap = true;
    } else if (type == MULTIBOOT_TAG_TYPE_ACPI_OLD || type == MULTIBOOT_TAG_TYPE_ACPI_NEW) {
      // The payload is a copy of the RSDP; prefer the ACPI 2.0+ one (XSDT).
      const isNew = type == MULTIBOOT_TAG_TYPE_ACPI_NEW;
      const need = HEADER_SIZE + (isNew ? RSDP_V2_SIZE : RSDP_V1_SIZE);
      if (size < need) {
        return bi.fail("mb2: ACPI " + (isNew ? "new" : "old") + " RSDP tag" + at + " has size " +
          dec(size) + " (< " + dec(need) + ")");
      }
      if (isNew || !haveAcpiNew) {
        bi.rsdp = <u64>(tag + HEADER_SIZE);
        bi.rsdpRevision = load<u8>(tag + HEADER_SIZE + RSDP_REVISION);
        haveAcpiNew = haveAcpiNew || isNew;
      }
    }
    // Other tags (framebuffer, ELF sections, EFI, ...) are not ours to read.
    off += (size + MULTIBOOT_TAG_ALIGN - 1) & ~(MULTIBOOT_TAG_ALIGN - 1);
  }
  return bi.fail("mb2: no end tag within total_size " + dec(total) + " (last tag ends at offset " + hex(off) + ")");
}

function parseMmapTag(bi: BootInfo, tag: usize, off: u32, size: u32): bool {
  const at = " at offset " + hex(off);
  if (size < MMAP_ENTRIES) {
    return bi.fail("mb2: memory-map tag" + at + " has size " + dec(size) + " (< " + dec(MMAP_ENTRIES) + ")");
  }
  const entrySize = load<u32>(tag + 8);
  if (entrySize < MMAP_ENTRY_MIN || (entrySize & 7) != 0) {
    return bi.fail("mb2: memory-map tag" + at + " has entry_size " + dec(entrySize) +
      " (must be a multiple of 8, >= " + dec(MMAP_ENTRY_MIN) + ")");
  }
  const bytes = size - MMAP_ENTRIES;
  if (bytes % entrySize != 0) {
    return bi.fail("mb2: memory-map tag" + at + ": " + dec(bytes) +
      " bytes of entries is not a multiple of entry_size " + dec(entrySize));
  }
  const count = bytes / entrySize;
  if (count > BOOT_MMAP_ENTRIES_MAX) {
    return bi.fail("mb2: memory-map tag" + at + " has " + dec(count) + " entries (> " + dec(BOOT_MMAP_ENTRIES_MAX) + ")");
  }
  for (let i: u32 = 0; i < count; i++) {
    const e = tag + MMAP_ENTRIES + <usize>(i * entrySize);
    const b = load<u64>(e);
    const len = load<u64>(e + 8);
    const type = load<u32>(e + 16);
    if (b + len < b) {
      return bi.fail("mb2: memory-map entry " + dec(i) + " at offset " + hex(off + MMAP_ENTRIES + i * entrySize) +
        " wraps past 2^64 (base " + hex(b) + ", length " + hex(len) + ")");
    }
    if (len != 0) bi.memory.push(new MemoryRange(b, len, type));
  }
  return true;
}
