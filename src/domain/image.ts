// What to load for a guest domain, from its boot module's bytes at
// [start, start + size) (a wasm address is a physical address).
//
// parseImage() recognises, in this order:
//   0. a Linux bzImage (the HdrS setup header, src/domain/bzimage.ts): its
//      protected-mode kernel goes to pref_address, entered by Linux's
//      64-bit boot protocol;
//   1. ELF: ELFCLASS32 + EM_386 or ELFCLASS64 + EM_X86_64, little endian,
//      ET_EXEC; PT_LOAD segments go to p_paddr.
//   2. a Multiboot1 header in the first 8 KiB (4-aligned, valid checksum);
//      a non-ELF file needs the a.out kludge (flag 16) address fields.
//   3. a Multiboot2 header in the first 32 KiB (8-aligned, valid checksum);
//      a non-ELF file needs the address (2) and entry address (3) tags.
//   4. otherwise, with kind=flat64 or kind=realmode, a flat binary.
// An explicit kind=flat64/realmode loads the file flat without detection.
//
// Nothing is read outside [start, start + size); every field is checked and
// a bad image yields `error` naming the problem instead of a trap.
//
// The domain builder copies each segment (fileSize bytes from
// start + fileOffset to guest-physical gpa, then memSize - fileSize zero
// bytes) and enters the guest at `entry` in `mode`. Guest-physical
// [0, GUEST_RESERVED_LOW) belongs to the builder (page tables, GDT, boot
// information), except for real-mode guests, which get no page tables.
import {
  ELF_MAGIC, EI_CLASS, EI_DATA, EI_VERSION, ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, EV_CURRENT,
  ET_EXEC, ET_DYN, ET_REL, EM_386, EM_X86_64, PN_XNUM, PT_LOAD, PF_X,
  ELF32_EHDR_SIZE, ELF32_E_TYPE, ELF32_E_MACHINE, ELF32_E_VERSION, ELF32_E_ENTRY, ELF32_E_PHOFF,
  ELF32_E_EHSIZE, ELF32_E_PHENTSIZE, ELF32_E_PHNUM,
  ELF64_EHDR_SIZE, ELF64_E_PHOFF, ELF64_E_ENTRY, ELF64_E_EHSIZE, ELF64_E_PHENTSIZE, ELF64_E_PHNUM,
  ELF32_PHDR_SIZE, ELF32_P_TYPE, ELF32_P_OFFSET, ELF32_P_VADDR, ELF32_P_PADDR, ELF32_P_FILESZ,
  ELF32_P_MEMSZ, ELF32_P_FLAGS,
  ELF64_PHDR_SIZE, ELF64_P_TYPE, ELF64_P_FLAGS, ELF64_P_OFFSET, ELF64_P_VADDR, ELF64_P_PADDR,
  ELF64_P_FILESZ, ELF64_P_MEMSZ,
} from "../arch/elf";
import {
  MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH, MULTIBOOT_HEADER_ALIGN, MULTIBOOT_AOUT_KLUDGE,
  MULTIBOOT_REQUIRED_MASK, MULTIBOOT_PAGE_ALIGN, MULTIBOOT_MEMORY_INFO, MULTIBOOT_VIDEO_MODE,
  MB1H_FLAGS, MB1H_CHECKSUM, MB1H_HEADER_ADDR, MB1H_LOAD_ADDR, MB1H_LOAD_END_ADDR, MB1H_BSS_END_ADDR,
  MB1H_ENTRY_ADDR, MB1H_AOUT_SIZE,
  MULTIBOOT2_HEADER_MAGIC, MULTIBOOT2_SEARCH, MULTIBOOT2_HEADER_ALIGN, MULTIBOOT2_ARCHITECTURE_I386,
  MB2H_ARCHITECTURE, MB2H_HEADER_LENGTH, MB2H_CHECKSUM, MB2H_TAGS, MULTIBOOT_HEADER_TAG_OPTIONAL,
  MULTIBOOT_HEADER_TAG_END, MULTIBOOT_HEADER_TAG_INFORMATION_REQUEST, MULTIBOOT_HEADER_TAG_ADDRESS,
  MULTIBOOT_HEADER_TAG_ENTRY_ADDRESS, MULTIBOOT_HEADER_TAG_CONSOLE_FLAGS, MULTIBOOT_HEADER_TAG_FRAMEBUFFER,
  MULTIBOOT_HEADER_TAG_MODULE_ALIGN, MULTIBOOT_HEADER_TAG_RELOCATABLE,
  MB2H_ADDRESS_TAG_SIZE, MB2H_ENTRY_TAG_SIZE, MB2H_LOAD_FROM_START,
  MULTIBOOT_TAG_TYPE_CMDLINE, MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME, MULTIBOOT_TAG_TYPE_BASIC_MEMINFO,
  MULTIBOOT_TAG_TYPE_MMAP,
} from "../arch/multiboot";
import { DOMAIN_KIND_AUTO, DOMAIN_KIND_FLAT64, DOMAIN_KIND_REALMODE } from "./config";
import { BzImage, bzImageIs, bzImageParse, bzImageFits } from "./bzimage";
import { hex, dec, jsonString } from "../lib/str";

// How the vCPU starts.
export const ENTRY_NONE: u32 = 0;                    // (error)
// 32-bit protected mode, paging off, flat 4 GiB CS/DS, EIP = entry,
// EAX = 0x2BADB002, EBX = guest-physical multiboot1 information.
export const ENTRY_PROTECTED32_MULTIBOOT1: u32 = 1;
// The same with EAX = 0x36D76289, EBX = multiboot2 information.
export const ENTRY_PROTECTED32_MULTIBOOT2: u32 = 2;
// 64-bit long mode, identity-mapped page tables built by the builder in
// [0, GUEST_RESERVED_LOW), RIP = entry.
export const ENTRY_LONG64: u32 = 3;
// Real mode, CS:IP = realCs:realIp (0:0x7c00 by default), as a BIOS boot.
export const ENTRY_REAL: u32 = 4;
// Linux's 64-bit boot protocol: long mode on the builder's identity map,
// RIP = the load address + 0x200, RSI = the zero page (GuestImage.bz).
export const ENTRY_LINUX64: u32 = 5;

// Guest-physical memory the builder keeps for itself (non-real-mode guests).
export const GUEST_RESERVED_LOW: u64 = 0x10000;
export const FLAT64_DEFAULT_LOAD: u64 = 0x100000;
export const REALMODE_DEFAULT_LOAD: u64 = 0x7c00;
export const REALMODE_LIMIT: u64 = 0x9fc00;          // real-mode images end below the EBDA
export const IMAGE_SEGMENTS_MAX: i32 = 64;
export const ELF_PHNUM_MAX: u32 = 256;

// One piece to copy: file bytes [fileOffset, fileOffset + fileSize) to
// guest-physical gpa, then zero [gpa + fileSize, gpa + memSize).
export class ImageSegment {
  constructor(public fileOffset: u64, public fileSize: u64, public gpa: u64, public memSize: u64,
    public executable: bool) {}
}

export class GuestImage {
  segments: ImageSegment[] = [];
  entry: u64 = 0;            // guest-physical entry point
  mode: u32 = ENTRY_NONE;
  realCs: u32 = 0;           // ENTRY_REAL only
  realIp: u32 = 0;
  format: string = "";       // "elf32", "elf64", "mb1-aout", "mb2-aout", "flat64", "realmode"
  mbHeaderOffset: i64 = -1;  // file offset of the multiboot header used, -1 if none
  mbFlags: u32 = 0;          // multiboot1 header flags (0 for mb2)
  bz: BzImage | null = null; // ENTRY_LINUX64: the setup header
  error: string = "";

  fail(message: string): GuestImage {
    if (this.error.length == 0) this.error = message;
    this.mode = ENTRY_NONE;
    return this;
  }

  // Highest guest-physical address loaded (exclusive).
  end(): u64 {
    let e: u64 = 0;
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i];
      if (s.gpa + s.memSize > e) e = s.gpa + s.memSize;
    }
    return e;
  }

  toJson(): string {
    let s = "{\"format\":" + jsonString(this.format) + ",\"mode\":" + dec(this.mode) +
      ",\"entry\":\"" + hex(this.entry) + "\",\"realCs\":\"" + hex(this.realCs) + "\",\"realIp\":\"" + hex(this.realIp) +
      "\",\"mbHeaderOffset\":" + (this.mbHeaderOffset < 0 ? "-1" : dec(<u64>this.mbHeaderOffset)) +
      ",\"mbFlags\":\"" + hex(this.mbFlags) + "\",\"segments\":[";
    for (let i = 0; i < this.segments.length; i++) {
      const g = this.segments[i];
      if (i > 0) s += ",";
      s += "{\"fileOffset\":\"" + hex(g.fileOffset) + "\",\"fileSize\":\"" + hex(g.fileSize) + "\",\"gpa\":\"" +
        hex(g.gpa) + "\",\"memSize\":\"" + hex(g.memSize) + "\",\"executable\":" + (g.executable ? "true" : "false") + "}";
    }
    return s + "],\"error\":" + jsonString(this.error) + "}";
  }
}

// Adds a segment after checking it against guest memory, the builder's
// reserved low memory and the segments already added. Returns false (with
// img.error set) when it does not fit.
function addSegment(img: GuestImage, what: string, fileOffset: u64, fileSize: u64, gpa: u64, memSize: u64,
  exec: bool, memBytes: u64, reservedLow: u64): bool {
  if (memSize == 0) return true;
  const range = " (" + hex(gpa) + "-" + hex(gpa + memSize) + ")";
  if (gpa + memSize < gpa || gpa + memSize > memBytes) {
    img.fail(what + range + " is outside guest memory (" + hex(memBytes) + " bytes)");
    return false;
  }
  if (gpa < reservedLow) {
    img.fail(what + range + " overlaps [0x0, " + hex(reservedLow) + "), which the domain builder reserves");
    return false;
  }
  for (let i = 0; i < img.segments.length; i++) {
    const o = img.segments[i];
    if (gpa < o.gpa + o.memSize && o.gpa < gpa + memSize) {
      img.fail(what + range + " overlaps segment " + dec(i) + " (" + hex(o.gpa) + "-" + hex(o.gpa + o.memSize) + ")");
      return false;
    }
  }
  if (img.segments.length >= IMAGE_SEGMENTS_MAX) {
    img.fail(what + ": more than " + dec(IMAGE_SEGMENTS_MAX) + " loadable segments");
    return false;
  }
  img.segments.push(new ImageSegment(fileOffset, fileSize, gpa, memSize, exec));
  return true;
}

// The segment holding guest-physical `addr` that is executable, or -1.
function execSegmentAt(img: GuestImage, addr: u64): i32 {
  for (let i = 0; i < img.segments.length; i++) {
    const s = img.segments[i];
    if (s.executable && addr >= s.gpa && addr < s.gpa + s.memSize) return i;
  }
  return -1;
}

export function parseImage(start: u64, size: u64, kind: u32, memBytes: u64, loadAt: u64 = 0): GuestImage {
  const img = new GuestImage();
  if (start + size < start || start + size > 0x100000000) {
    return img.fail("image at " + hex(start) + " (" + hex(size) + " bytes) runs past 4 GiB");
  }
  if (size == 0) return img.fail("image is empty");
  const base = <usize>start;
  if (kind == DOMAIN_KIND_FLAT64 || kind == DOMAIN_KIND_REALMODE) return parseFlat(img, size, kind, memBytes, loadAt);
  if (kind != DOMAIN_KIND_AUTO) return img.fail("unknown image kind " + dec(kind));
  if (bzImageIs(base, size)) return parseBzImage(start, size, size, memBytes);

  const isElf = size >= 4 && load<u32>(base) == ELF_MAGIC;
  // Multiboot headers first: they decide the entry mode, ELF or not.
  const mb1 = findMb1(img, base, size);
  if (img.error.length > 0) return img;
  let mb2: i64 = -1;
  if (mb1 < 0) {
    mb2 = findMb2(img, base, size);
    if (img.error.length > 0) return img;
  }
  if (isElf) {
    if (!parseElf(img, base, size, memBytes)) return img;
    if (mb1 >= 0) {
      if (!checkMb1Flags(img, base, mb1)) return img;
      img.mode = ENTRY_PROTECTED32_MULTIBOOT1;
    } else if (mb2 >= 0) {
      if (!parseMb2Header(img, base, size, mb2, memBytes, false)) return img;
      img.mode = ENTRY_PROTECTED32_MULTIBOOT2;
    }
    if (img.mode != ENTRY_LONG64 && img.entry >= 0x100000000) {
      return img.fail("ELF: entry " + hex(img.entry) + " is above 4 GiB but the image is entered in 32-bit mode");
    }
    return img;
  }
  if (mb1 >= 0) return parseMb1Aout(img, base, size, mb1, memBytes);
  if (mb2 >= 0) {
    if (!parseMb2Header(img, base, size, mb2, memBytes, true)) return img;
    img.mode = ENTRY_PROTECTED32_MULTIBOOT2;
    img.format = "mb2-aout";
    return img;
  }
  return img.fail("not an ELF file and no multiboot header: use kind=flat64 or kind=realmode for a flat binary");
}

// ── Linux bzImages ────────────────────────────────────────────────────────
// A bzImage of `size` bytes whose first `avail` bytes are at `start` (a
// builder streaming the kernel from its module reads only the header): one
// segment, the protected-mode kernel at its load address, reserving
// init_size there.
export function parseBzImage(start: u64, avail: u64, size: u64, memBytes: u64): GuestImage {
  const img = new GuestImage();
  const b = bzImageParse(<usize>start, avail, size);
  if (b.error.length != 0) return img.fail("bzImage: " + b.error);
  const fits = bzImageFits(b, memBytes);
  if (fits.length != 0) return img.fail("bzImage: " + fits);
  img.format = "bzimage";
  if (!addSegment(img, "bzImage kernel", b.kernelOffset, b.kernelSize, b.loadAddress, b.initSize, true, memBytes,
    GUEST_RESERVED_LOW)) return img;
  img.entry = b.entry();
  img.mode = ENTRY_LINUX64;
  img.bz = b;
  return img;
}

// ── Flat binaries ─────────────────────────────────────────────────────────
function parseFlat(img: GuestImage, size: u64, kind: u32, memBytes: u64, loadAt: u64): GuestImage {
  if (kind == DOMAIN_KIND_FLAT64) {
    const at = loadAt != 0 ? loadAt : FLAT64_DEFAULT_LOAD;
    img.format = "flat64";
    if (!addSegment(img, "flat64 image", 0, size, at, size, true, memBytes, GUEST_RESERVED_LOW)) return img;
    img.entry = at;
    img.mode = ENTRY_LONG64;
    return img;
  }
  const at = loadAt != 0 ? loadAt : REALMODE_DEFAULT_LOAD;
  img.format = "realmode";
  if (at + size > REALMODE_LIMIT) {
    return img.fail("realmode image (" + hex(at) + "-" + hex(at + size) + ") does not fit below " + hex(REALMODE_LIMIT));
  }
  if (!addSegment(img, "realmode image", 0, size, at, size, true, memBytes, 0)) return img;
  img.entry = at;
  if (at < 0x10000) {
    img.realCs = 0;
    img.realIp = <u32>at;
  } else {
    img.realCs = <u32>(at >> 4);
    img.realIp = <u32>(at & 0xf);
  }
  img.mode = ENTRY_REAL;
  return img;
}

// ── ELF ───────────────────────────────────────────────────────────────────
function parseElf(img: GuestImage, base: usize, size: u64, memBytes: u64): bool {
  if (size < 16) {
    img.fail("ELF: file is " + dec(size) + " bytes, shorter than e_ident (16)");
    return false;
  }
  const cls = <u32>load<u8>(base + EI_CLASS);
  const data = <u32>load<u8>(base + EI_DATA);
  if (cls != ELFCLASS32 && cls != ELFCLASS64) {
    img.fail("ELF: unknown class " + dec(cls) + " (e_ident[4]; expected 1 for ELF32 or 2 for ELF64)");
    return false;
  }
  if (data != ELFDATA2LSB) {
    img.fail(data == ELFDATA2MSB ? "ELF: big-endian (e_ident[5] = 2); x86 images are little-endian"
      : "ELF: unknown data encoding " + dec(data) + " (e_ident[5])");
    return false;
  }
  if (<u32>load<u8>(base + EI_VERSION) != EV_CURRENT) {
    img.fail("ELF: e_ident[6] version " + dec(load<u8>(base + EI_VERSION)) + " (expected 1)");
    return false;
  }
  const is64 = cls == ELFCLASS64;
  const ehsize: u32 = is64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
  const name = is64 ? "ELF64" : "ELF32";
  if (size < <u64>ehsize) {
    img.fail("ELF: file is " + dec(size) + " bytes, shorter than the " + name + " header (" + dec(ehsize) + ")");
    return false;
  }
  const type = <u32>load<u16>(base + ELF32_E_TYPE);
  const machine = <u32>load<u16>(base + ELF32_E_MACHINE);
  const version = load<u32>(base + ELF32_E_VERSION);
  if (type != ET_EXEC) {
    img.fail("ELF: e_type " + dec(type) + (type == ET_DYN ? " (ET_DYN, position independent)" : type == ET_REL ? " (ET_REL, an object file)" : "") +
      " is not ET_EXEC (2)");
    return false;
  }
  const wantMachine = is64 ? EM_X86_64 : EM_386;
  if (machine != wantMachine) {
    img.fail("ELF: e_machine " + dec(machine) + " is not " + (is64 ? "EM_X86_64 (62)" : "EM_386 (3)") + " for " + name);
    return false;
  }
  if (version != EV_CURRENT) {
    img.fail("ELF: e_version " + dec(version) + " (expected 1)");
    return false;
  }
  let entry: u64, phoff: u64, ehs: u32, phentsize: u32, phnum: u32;
  if (is64) {
    entry = load<u64>(base + ELF64_E_ENTRY);
    phoff = load<u64>(base + ELF64_E_PHOFF);
    ehs = <u32>load<u16>(base + ELF64_E_EHSIZE);
    phentsize = <u32>load<u16>(base + ELF64_E_PHENTSIZE);
    phnum = <u32>load<u16>(base + ELF64_E_PHNUM);
  } else {
    entry = <u64>load<u32>(base + ELF32_E_ENTRY);
    phoff = <u64>load<u32>(base + ELF32_E_PHOFF);
    ehs = <u32>load<u16>(base + ELF32_E_EHSIZE);
    phentsize = <u32>load<u16>(base + ELF32_E_PHENTSIZE);
    phnum = <u32>load<u16>(base + ELF32_E_PHNUM);
  }
  if (ehs < ehsize) {
    img.fail("ELF: e_ehsize " + dec(ehs) + " is smaller than the " + name + " header (" + dec(ehsize) + ")");
    return false;
  }
  const minPh: u32 = is64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
  if (phnum == 0) {
    img.fail("ELF: no program headers (e_phnum 0)");
    return false;
  }
  if (phnum == PN_XNUM) {
    img.fail("ELF: e_phnum 0xffff (PN_XNUM, extended numbering) is not supported");
    return false;
  }
  if (phnum > ELF_PHNUM_MAX) {
    img.fail("ELF: e_phnum " + dec(phnum) + " is more than " + dec(ELF_PHNUM_MAX));
    return false;
  }
  if (phentsize < minPh) {
    img.fail("ELF: e_phentsize " + dec(phentsize) + " is smaller than an " + name + " program header (" + dec(minPh) + ")");
    return false;
  }
  const phbytes = <u64>phnum * <u64>phentsize;   // < 2^24
  if (phoff > size || phbytes > size - phoff) {
    img.fail("ELF: program headers (offset " + hex(phoff) + ", " + dec(phnum) + " x " + dec(phentsize) +
      " bytes) run past the end of the file (" + hex(size) + " bytes)");
    return false;
  }
  img.format = is64 ? "elf64" : "elf32";
  let loads = 0;
  for (let i: u32 = 0; i < phnum; i++) {
    const ph = base + <usize>(phoff + <u64>i * phentsize);
    let ptype: u32, flags: u32, off: u64, vaddr: u64, paddr: u64, filesz: u64, memsz: u64;
    if (is64) {
      ptype = load<u32>(ph + ELF64_P_TYPE);
      flags = load<u32>(ph + ELF64_P_FLAGS);
      off = load<u64>(ph + ELF64_P_OFFSET);
      vaddr = load<u64>(ph + ELF64_P_VADDR);
      paddr = load<u64>(ph + ELF64_P_PADDR);
      filesz = load<u64>(ph + ELF64_P_FILESZ);
      memsz = load<u64>(ph + ELF64_P_MEMSZ);
    } else {
      ptype = load<u32>(ph + ELF32_P_TYPE);
      flags = load<u32>(ph + ELF32_P_FLAGS);
      off = <u64>load<u32>(ph + ELF32_P_OFFSET);
      vaddr = <u64>load<u32>(ph + ELF32_P_VADDR);
      paddr = <u64>load<u32>(ph + ELF32_P_PADDR);
      filesz = <u64>load<u32>(ph + ELF32_P_FILESZ);
      memsz = <u64>load<u32>(ph + ELF32_P_MEMSZ);
    }
    if (ptype != PT_LOAD) continue;
    const what = "ELF: program header " + dec(i);
    if (off > size || filesz > size - off) {
      img.fail(what + " runs past the end of the file (offset " + hex(off) + ", size " + hex(filesz) +
        ", file " + hex(size) + " bytes)");
      return false;
    }
    if (filesz > memsz) {
      img.fail(what + ": p_filesz " + hex(filesz) + " is larger than p_memsz " + hex(memsz));
      return false;
    }
    if (vaddr + memsz < vaddr) {
      img.fail(what + ": p_vaddr " + hex(vaddr) + " + p_memsz " + hex(memsz) + " wraps around");
      return false;
    }
    if (!addSegment(img, what + " (PT_LOAD at p_paddr)", off, filesz, paddr, memsz, (flags & PF_X) != 0,
      memBytes, GUEST_RESERVED_LOW)) return false;
    // Translate the entry point (a virtual address) through this segment.
    if (memsz != 0 && (flags & PF_X) != 0 && entry >= vaddr && entry - vaddr < memsz) {
      img.entry = paddr + (entry - vaddr);
      img.mode = ENTRY_LONG64;
    }
    if (memsz != 0) loads++;
  }
  if (loads == 0) {
    img.fail("ELF: no PT_LOAD segment with a non-zero p_memsz");
    return false;
  }
  if (img.mode == ENTRY_NONE) {
    img.fail("ELF: entry point " + hex(entry) + " is not inside an executable PT_LOAD segment");
    return false;
  }
  // ELF32 without a multiboot header: entered like a multiboot1 kernel
  // (32-bit protected mode; the boot information is there if it wants it).
  if (!is64) img.mode = ENTRY_PROTECTED32_MULTIBOOT1;
  return true;
}

// ── Multiboot1 header ─────────────────────────────────────────────────────
// File offset of the first valid header, -1 if none; a header with a bad
// checksum and no valid one after it is an error.
function findMb1(img: GuestImage, base: usize, size: u64): i64 {
  const limit: u64 = size < <u64>MULTIBOOT_SEARCH ? size : <u64>MULTIBOOT_SEARCH;
  let bad: i64 = -1;
  let badSum: u32 = 0;
  for (let off: u64 = 0; off + 12 <= limit; off += MULTIBOOT_HEADER_ALIGN) {
    const p = base + <usize>off;
    if (load<u32>(p) != MULTIBOOT_HEADER_MAGIC) continue;
    const sum = MULTIBOOT_HEADER_MAGIC + load<u32>(p + MB1H_FLAGS) + load<u32>(p + MB1H_CHECKSUM);
    if (sum == 0) return <i64>off;
    if (bad < 0) {
      bad = <i64>off;
      badSum = sum;
    }
  }
  if (bad >= 0) {
    img.fail("multiboot header at offset " + hex(<u64>bad) + ": bad checksum (magic + flags + checksum = " +
      hex(badSum) + ", not 0)");
  }
  return -1;
}

function checkMb1Flags(img: GuestImage, base: usize, off: i64): bool {
  const flags = load<u32>(base + <usize>off + MB1H_FLAGS);
  const known = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_VIDEO_MODE;
  const unknown = flags & MULTIBOOT_REQUIRED_MASK & ~known;
  img.mbHeaderOffset = off;
  img.mbFlags = flags;
  if (unknown != 0) {
    img.fail("multiboot header at offset " + hex(<u64>off) + ": flags " + hex(flags) +
      " require features this loader lacks (bits " + hex(unknown) + ")");
    return false;
  }
  return true;
}

// The a.out kludge (flag 16): header_addr, load_addr, load_end_addr,
// bss_end_addr, entry_addr (Multiboot 0.6.96, 3.1.3).
function parseMb1Aout(img: GuestImage, base: usize, size: u64, off: i64, memBytes: u64): GuestImage {
  if (!checkMb1Flags(img, base, off)) return img;
  const at = "multiboot header at offset " + hex(<u64>off);
  if ((img.mbFlags & MULTIBOOT_AOUT_KLUDGE) == 0) {
    return img.fail(at + ": not an ELF file and flag 16 (address fields) is clear");
  }
  if (<u64>off + MB1H_AOUT_SIZE > size) {
    return img.fail(at + ": address fields run past the end of the file (" + hex(size) + " bytes)");
  }
  const h = base + <usize>off;
  const headerAddr = <u64>load<u32>(h + MB1H_HEADER_ADDR);
  const loadAddr = <u64>load<u32>(h + MB1H_LOAD_ADDR);
  const loadEnd = <u64>load<u32>(h + MB1H_LOAD_END_ADDR);
  const bssEnd = <u64>load<u32>(h + MB1H_BSS_END_ADDR);
  const entry = <u64>load<u32>(h + MB1H_ENTRY_ADDR);
  img.format = "mb1-aout";
  if (!loadAddresses(img, at, <u64>off, size, headerAddr, loadAddr, loadEnd, bssEnd, memBytes)) return img;
  if (execSegmentAt(img, entry) < 0) {
    return img.fail(at + ": entry_addr " + hex(entry) + " is outside the loaded image (" +
      hex(loadAddr) + "-" + hex(img.end()) + ")");
  }
  img.entry = entry;
  img.mode = ENTRY_PROTECTED32_MULTIBOOT1;
  return img;
}

// Shared by the mb1 a.out kludge and the mb2 address tag: the file from
// offset hdrOff - (headerAddr - loadAddr) goes to loadAddr, up to loadEnd (0:
// the rest of the file), then zeros up to bssEnd (0: none).
function loadAddresses(img: GuestImage, at: string, hdrOff: u64, size: u64, headerAddr: u64, loadAddr: u64,
  loadEnd: u64, bssEnd: u64, memBytes: u64): bool {
  if (headerAddr < loadAddr) {
    img.fail(at + ": header_addr " + hex(headerAddr) + " is below load_addr " + hex(loadAddr));
    return false;
  }
  if (headerAddr - loadAddr > hdrOff) {
    img.fail(at + ": header_addr - load_addr (" + hex(headerAddr - loadAddr) +
      ") is more than the header's file offset, so loading would start before the file");
    return false;
  }
  const fileOff = hdrOff - (headerAddr - loadAddr);
  let fileSize: u64;
  if (loadEnd == 0) {
    fileSize = size - fileOff;
  } else {
    if (loadEnd < loadAddr) {
      img.fail(at + ": load_end_addr " + hex(loadEnd) + " is below load_addr " + hex(loadAddr));
      return false;
    }
    fileSize = loadEnd - loadAddr;
    if (fileSize > size - fileOff) {
      img.fail(at + ": load_end_addr " + hex(loadEnd) + " needs " + hex(fileSize) + " bytes from file offset " +
        hex(fileOff) + ", past the end of the file (" + hex(size) + " bytes)");
      return false;
    }
  }
  let memSize = fileSize;
  if (bssEnd != 0) {
    if (bssEnd < loadAddr + fileSize) {
      img.fail(at + ": bss_end_addr " + hex(bssEnd) + " is below the end of the loaded data (" + hex(loadAddr + fileSize) + ")");
      return false;
    }
    memSize = bssEnd - loadAddr;
  }
  if (memSize == 0) {
    img.fail(at + ": nothing to load (load_end_addr = load_addr)");
    return false;
  }
  return addSegment(img, at + ": image", fileOff, fileSize, loadAddr, memSize, true, memBytes, GUEST_RESERVED_LOW);
}

// ── Multiboot2 header ─────────────────────────────────────────────────────
function findMb2(img: GuestImage, base: usize, size: u64): i64 {
  const limit: u64 = size < <u64>MULTIBOOT2_SEARCH ? size : <u64>MULTIBOOT2_SEARCH;
  let bad: i64 = -1;
  let badSum: u32 = 0;
  for (let off: u64 = 0; off + 16 <= limit; off += MULTIBOOT2_HEADER_ALIGN) {
    const p = base + <usize>off;
    if (load<u32>(p) != MULTIBOOT2_HEADER_MAGIC) continue;
    const sum = MULTIBOOT2_HEADER_MAGIC + load<u32>(p + MB2H_ARCHITECTURE) + load<u32>(p + MB2H_HEADER_LENGTH) +
      load<u32>(p + MB2H_CHECKSUM);
    if (sum == 0) return <i64>off;
    if (bad < 0) {
      bad = <i64>off;
      badSum = sum;
    }
  }
  if (bad >= 0) {
    img.fail("multiboot2 header at offset " + hex(<u64>bad) + ": bad checksum (magic + architecture + " +
      "header_length + checksum = " + hex(badSum) + ", not 0)");
  }
  return -1;
}

// Walks the header's tags. For a non-ELF file (`useAddress`) the address
// and entry tags say where to load and where to enter.
function parseMb2Header(img: GuestImage, base: usize, size: u64, off: i64, memBytes: u64, useAddress: bool): bool {
  const at = "multiboot2 header at offset " + hex(<u64>off);
  const h = base + <usize>off;
  img.mbHeaderOffset = off;
  const arch = load<u32>(h + MB2H_ARCHITECTURE);
  const length = <u64>load<u32>(h + MB2H_HEADER_LENGTH);
  if (arch != MULTIBOOT2_ARCHITECTURE_I386) {
    img.fail(at + ": architecture " + dec(arch) + " is not i386 (0)");
    return false;
  }
  if (length < <u64>(MB2H_TAGS + 8) || length > size - <u64>off) {
    img.fail(at + ": header_length " + hex(length) + " is below 24 or runs past the end of the file (" + hex(size) + " bytes)");
    return false;
  }
  let haveAddr = false;
  let haveEntry = false;
  let headerAddr: u64 = 0, loadAddr: u64 = 0, loadEnd: u64 = 0, bssEnd: u64 = 0, entry: u64 = 0;
  let t: u64 = MB2H_TAGS;
  let ended = false;
  while (t + 8 <= length) {
    const p = h + <usize>t;
    const type = <u32>load<u16>(p);
    const optional = (<u32>load<u16>(p + 2) & MULTIBOOT_HEADER_TAG_OPTIONAL) != 0;
    const tsize = <u64>load<u32>(p + 4);
    const tat = at + ": tag type " + dec(type) + " at header offset " + hex(t);
    if (tsize < 8 || tsize > length - t) {
      img.fail(tat + " has size " + dec(tsize) + " (< 8 or past header_length " + dec(length) + ")");
      return false;
    }
    if (type == MULTIBOOT_HEADER_TAG_END) {
      ended = true;
      break;
    } else if (type == MULTIBOOT_HEADER_TAG_INFORMATION_REQUEST) {
      if (!optional) {
        for (let r: u64 = 8; r + 4 <= tsize; r += 4) {
          const want = load<u32>(p + <usize>r);
          if (want != MULTIBOOT_TAG_TYPE_CMDLINE && want != MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME &&
            want != MULTIBOOT_TAG_TYPE_BASIC_MEMINFO && want != MULTIBOOT_TAG_TYPE_MMAP && want != 0) {
            img.fail(tat + ": requires information tag " + dec(want) +
              ", which this loader does not provide (it provides 1, 2, 4 and 6)");
            return false;
          }
        }
      }
    } else if (type == MULTIBOOT_HEADER_TAG_ADDRESS) {
      if (tsize < <u64>MB2H_ADDRESS_TAG_SIZE) {
        img.fail(tat + " (address) has size " + dec(tsize) + " (< " + dec(MB2H_ADDRESS_TAG_SIZE) + ")");
        return false;
      }
      headerAddr = <u64>load<u32>(p + 8);
      loadAddr = <u64>load<u32>(p + 12);
      loadEnd = <u64>load<u32>(p + 16);
      bssEnd = <u64>load<u32>(p + 20);
      haveAddr = true;
    } else if (type == MULTIBOOT_HEADER_TAG_ENTRY_ADDRESS) {
      if (tsize < <u64>MB2H_ENTRY_TAG_SIZE) {
        img.fail(tat + " (entry address) has size " + dec(tsize) + " (< " + dec(MB2H_ENTRY_TAG_SIZE) + ")");
        return false;
      }
      entry = <u64>load<u32>(p + 8);
      haveEntry = true;
    } else if (type == MULTIBOOT_HEADER_TAG_CONSOLE_FLAGS || type == MULTIBOOT_HEADER_TAG_FRAMEBUFFER ||
      type == MULTIBOOT_HEADER_TAG_MODULE_ALIGN || type == MULTIBOOT_HEADER_TAG_RELOCATABLE) {
      // Serial console only, no modules, loaded where linked: nothing to do.
    } else if (!optional) {
      img.fail(tat + " is not supported by this loader and not marked optional");
      return false;
    }
    t += (tsize + 7) & ~(<u64>7);
  }
  if (!ended) {
    img.fail(at + ": no end tag within header_length " + dec(length));
    return false;
  }
  if (!useAddress) return true;
  if (!haveAddr) {
    img.fail(at + ": not an ELF file and no address tag (type 2)");
    return false;
  }
  if (!haveEntry) {
    img.fail(at + ": not an ELF file and no entry address tag (type 3)");
    return false;
  }
  if (loadAddr == <u64>MB2H_LOAD_FROM_START) {
    if (headerAddr < <u64>off) {
      img.fail(at + ": header_addr " + hex(headerAddr) + " is below the header's file offset with load_addr -1");
      return false;
    }
    loadAddr = headerAddr - <u64>off;
  }
  if (!loadAddresses(img, at, <u64>off, size, headerAddr, loadAddr, loadEnd, bssEnd, memBytes)) return false;
  if (execSegmentAt(img, entry) < 0) {
    img.fail(at + ": entry_addr " + hex(entry) + " is outside the loaded image (" + hex(loadAddr) + "-" + hex(img.end()) + ")");
    return false;
  }
  img.entry = entry;
  return true;
}
