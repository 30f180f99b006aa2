// A Linux bzImage, as a boot loader takes it (Documentation/arch/x86/
// boot.rst): the setup header checked, where the protected-mode kernel
// goes and how much memory it needs there, and the zero page its 64-bit
// entry gets. Portable (both builders and the unit tests use it). The
// parser reads only the setup header, so a builder that streams the kernel
// from its module needs only the file's first sectors in memory; a bad
// image yields `error`.
//
//   | boot sector | setup (setup_sects) | protected-mode kernel (syssize x 16) |
//   0             0x200                 (setup_sects + 1) x 512
//
// The kernel goes at pref_address (a relocatable kernel anywhere aligned to
// kernel_alignment, but its preference is where its page tables expect it)
// and needs init_size bytes from there; its 64-bit entry is 0x200 in.
import * as B from "../arch/linux-boot";
import { pcE820Write, PC_E820_ENTRIES } from "../devices/e820";
import { dec, hex } from "../lib/str";

@final
export class BzImage {
  error: string = "";
  version: u32 = 0;            // major << 8 | minor
  headerEnd: u32 = 0;          // the setup header is [BZ_SETUP_SECTS, headerEnd)
  kernelOffset: u64 = 0;       // the protected-mode kernel in the file
  kernelSize: u64 = 0;
  loadAddress: u64 = 0;        // guest-physical
  initSize: u64 = 0;           // bytes from loadAddress the kernel uses
  cmdlineMax: u32 = 0;         // bytes, without the NUL
  initrdAddrMax: u64 = 0;      // the highest byte an initrd may occupy
  // The setup header's bytes, [BZ_SETUP_SECTS, headerEnd) of the file: the
  // zero page starts as a copy of them.
  header: StaticArray<u8> = new StaticArray<u8>(0);

  @inline entry(): u64 { return this.loadAddress + B.BZ_ENTRY64_OFFSET; }

  fail(why: string): BzImage {
    this.error = why;
    return this;
  }
}

function versionText(v: u32): string {
  const minor = v & 0xff;
  return dec(v >> 8) + "." + (minor < 10 ? "0" : "") + dec(minor);
}

// Does the file whose first `avail` bytes are at `start` look like a
// bzImage (the HdrS signature)?
export function bzImageIs(start: usize, avail: u64): bool {
  return avail >= <u64>(B.BZ_HEADER + 4) && load<u32>(start + B.BZ_HEADER) == B.BZ_HEADER_MAGIC;
}

// The header of a bzImage of `size` bytes whose first `avail` bytes (at
// least BZ_HEADER_READ, or the whole file) are at `start`.
export function bzImageParse(start: usize, avail: u64, size: u64): BzImage {
  const b = new BzImage();
  if (avail > size) avail = size;
  if (size < <u64>(B.BZ_HEADER + 4)) return b.fail("not a bzImage: " + dec(size) + " bytes, shorter than a setup header");
  if (avail < size && avail < <u64>B.BZ_HEADER_READ) return b.fail("only " + dec(avail) + " bytes of the header read");
  if (load<u32>(start + B.BZ_HEADER) != B.BZ_HEADER_MAGIC) return b.fail("not a bzImage: no HdrS signature at 0x202");
  if (load<u16>(start + B.BZ_BOOT_FLAG) != B.BZ_BOOT_FLAG_MAGIC) return b.fail("not a bzImage: no 0xAA55 boot flag at 0x1fe");
  b.version = <u32>load<u16>(start + B.BZ_VERSION);
  if (b.version < B.BZ_PROTOCOL_MIN) {
    return b.fail("boot protocol " + versionText(b.version) + " is older than 2.12: no 64-bit entry");
  }
  b.headerEnd = B.BZ_HEADER + <u32>load<u8>(start + B.BZ_JUMP + 1);
  if (b.headerEnd < B.BZ_HEADER_END_MIN) return b.fail("setup header ends at " + hex(b.headerEnd) + ", before init_size");
  if (<u64>b.headerEnd > avail) return b.fail("truncated: the setup header ends at " + hex(b.headerEnd) + ", the file has " + dec(size) + " bytes");
  let sects = <u32>load<u8>(start + B.BZ_SETUP_SECTS);
  if (sects == 0) sects = B.BZ_SETUP_SECTS_DEFAULT;
  b.kernelOffset = <u64>(sects + 1) * B.BZ_SECTOR;
  b.kernelSize = <u64>load<u32>(start + B.BZ_SYSSIZE) * 16;
  if (b.kernelSize == 0) return b.fail("no protected-mode kernel (syssize 0)");
  if (size < b.kernelOffset || size - b.kernelOffset < b.kernelSize) {
    return b.fail("truncated: the kernel needs " + dec(b.kernelOffset + b.kernelSize) + " bytes, the file has " + dec(size));
  }
  if ((load<u8>(start + B.BZ_LOADFLAGS) & B.BZ_LOADED_HIGH) == 0) return b.fail("a zImage (loaded low) is not supported");
  if ((load<u16>(start + B.BZ_XLOADFLAGS) & B.BZ_XLF_KERNEL_64) == 0) return b.fail("no 64-bit entry (xloadflags)");
  const align = <u64>load<u32>(start + B.BZ_KERNEL_ALIGNMENT);
  const pref = load<u64>(start + B.BZ_PREF_ADDRESS);
  if (align == 0 || (align & (align - 1)) != 0) return b.fail("kernel_alignment " + hex(align) + " is not a power of two");
  if (pref < 0x100000 || (pref & (align - 1)) != 0) return b.fail("pref_address " + hex(pref) + " is below 1 MiB or not aligned");
  b.loadAddress = pref;
  b.initSize = <u64>load<u32>(start + B.BZ_INIT_SIZE);
  if (b.initSize < b.kernelSize) return b.fail("init_size " + dec(b.initSize) + " is smaller than the kernel");
  b.cmdlineMax = load<u32>(start + B.BZ_CMDLINE_SIZE);
  b.initrdAddrMax = <u64>load<u32>(start + B.BZ_INITRD_ADDR_MAX);
  const n = <i32>(b.headerEnd - B.BZ_SETUP_SECTS);
  b.header = new StaticArray<u8>(n);
  memory.copy(changetype<usize>(b.header), start + B.BZ_SETUP_SECTS, <usize>n);
  return b;
}

// "" if the kernel fits a domain of `memBytes`, else why not.
export function bzImageFits(b: BzImage, memBytes: u64): string {
  const end = b.loadAddress + b.initSize;
  if (end <= memBytes) return "";
  return "the kernel needs " + dec((end + 0xfffff) >> 20) + " MiB of memory (to " + hex(end) + "), the domain has " + dec(memBytes >> 20) + " MiB";
}

// Where an initrd of `size` bytes goes in a domain of `memBytes`: as high
// as it may (below initrd_addr_max and the top of RAM), page aligned, above
// the kernel's init_size; 0 if it does not fit.
export function bzImageInitrdAt(b: BzImage, memBytes: u64, size: u64): u64 {
  const top = initrdTop(b, memBytes);
  const floor = b.loadAddress + b.initSize;
  if (size == 0 || size > top) return 0;
  const at = (top - size) & ~(<u64>0xfff);
  return at >= floor ? at : 0;
}

// The end of where an initrd may go: the top of RAM or initrd_addr_max.
function initrdTop(b: BzImage, memBytes: u64): u64 {
  return b.initrdAddrMax + 1 < memBytes ? b.initrdAddrMax + 1 : memBytes;
}

// Why an initrd of `size` bytes does not fit (bzImageInitrdAt gave 0).
export function bzImageInitrdMiss(b: BzImage, memBytes: u64, size: u64): string {
  if (size == 0) return "the initrd is empty";
  const top = initrdTop(b, memBytes);
  const floor = b.loadAddress + b.initSize;
  return "the initrd (" + dec(size) + " bytes) does not fit between the kernel's end (" + hex(floor) + ") and " + hex(top) +
    ": give the domain " + dec((floor + size + 0xfffff) >> 20) + " MiB or more";
}

// The zero page at `zp` (ZP_SIZE bytes) for the image `b`: its setup
// header copied, the loader's fields set, the domain's memory map. `cmdline`
// is the guest-physical address of the NUL-terminated command line,
// `initrd`/`initrdSize` the ramdisk's (0, 0 for none), `rsdp` the ACPI RSDP's.
export function bzImageZeroPage(zp: usize, b: BzImage, memBytes: u64, lowReserved: u64,
                                cmdline: u64, initrd: u64, initrdSize: u64, rsdp: u64): void {
  memory.fill(zp, 0, B.ZP_SIZE);
  memory.copy(zp + B.BZ_SETUP_SECTS, changetype<usize>(b.header), <usize>b.header.length);
  store<u8>(zp + B.BZ_TYPE_OF_LOADER, B.BZ_LOADER_UNDEFINED);
  store<u32>(zp + B.BZ_CMD_LINE_PTR, <u32>cmdline);
  store<u32>(zp + B.ZP_EXT_CMD_LINE_PTR, <u32>(cmdline >> 32));
  store<u32>(zp + B.BZ_RAMDISK_IMAGE, <u32>initrd);
  store<u32>(zp + B.ZP_EXT_RAMDISK_IMAGE, <u32>(initrd >> 32));
  store<u32>(zp + B.BZ_RAMDISK_SIZE, <u32>initrdSize);
  store<u32>(zp + B.ZP_EXT_RAMDISK_SIZE, <u32>(initrdSize >> 32));
  store<u64>(zp + B.ZP_ACPI_RSDP_ADDR, rsdp);
  pcE820Write(zp + B.ZP_E820_TABLE, memBytes, lowReserved);
  store<u8>(zp + B.ZP_E820_ENTRIES, <u8>PC_E820_ENTRIES);
}
