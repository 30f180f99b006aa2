// Synthetic bzImages for the tests (Documentation/arch/x86/boot.rst's
// setup header, with the fields Debian's 6.1 kernel has).
export const MiB = 1 << 20;
export const SETUP_SECTS = 0x1f1, SYSSIZE = 0x1f4, BOOT_FLAG = 0x1fe, JUMP = 0x200, HEADER = 0x202, VERSION = 0x206;
export const TYPE_OF_LOADER = 0x210, LOADFLAGS = 0x211, RAMDISK_IMAGE = 0x218, RAMDISK_SIZE = 0x21c, CMD_LINE_PTR = 0x228;
export const INITRD_ADDR_MAX = 0x22c, KERNEL_ALIGNMENT = 0x230, XLOADFLAGS = 0x236, CMDLINE_SIZE = 0x238;
export const PREF_ADDRESS = 0x258, INIT_SIZE = 0x260;
export const ACPI_RSDP_ADDR = 0x070, EXT_RAMDISK_IMAGE = 0x0c0, EXT_RAMDISK_SIZE = 0x0c4, EXT_CMD_LINE_PTR = 0x0c8;
export const E820_ENTRIES = 0x1e8, E820_TABLE = 0x2d0;

export interface BzOpts { sects?: number; kernel?: number; version?: number; loadflags?: number; xloadflags?: number;
  align?: number; pref?: bigint; initSize?: number; jump?: number; magic?: number; flag?: number }

// A bzImage: setup sectors, then `kernel` bytes of protected-mode code.
export function bzImage(o: BzOpts = {}): Uint8Array {
  const sects = o.sects ?? 27;
  const kernel = o.kernel ?? 64 * 1024;
  const setup = ((sects === 0 ? 4 : sects) + 1) * 512;
  const b = new Uint8Array(setup + kernel);
  const v = new DataView(b.buffer);
  v.setUint8(SETUP_SECTS, sects);
  v.setUint32(SYSSIZE, kernel / 16, true);
  v.setUint16(BOOT_FLAG, o.flag ?? 0xaa55, true);
  v.setUint8(JUMP, 0xeb);
  v.setUint8(JUMP + 1, o.jump ?? 0x6a);                    // header to 0x26c, as protocol 2.15's
  v.setUint32(HEADER, o.magic ?? 0x53726448, true);
  v.setUint16(VERSION, o.version ?? 0x020f, true);
  v.setUint8(LOADFLAGS, o.loadflags ?? 0x01);
  v.setUint32(INITRD_ADDR_MAX, 0x7fffffff, true);
  v.setUint32(KERNEL_ALIGNMENT, o.align ?? 0x200000, true);
  v.setUint8(0x234, 1);                                     // relocatable
  v.setUint16(XLOADFLAGS, o.xloadflags ?? 0x7f, true);
  v.setUint32(CMDLINE_SIZE, 2047, true);
  v.setBigUint64(PREF_ADDRESS, o.pref ?? 0x1000000n, true);
  v.setUint32(INIT_SIZE, o.initSize ?? 40 * MiB, true);
  for (let i = setup; i < b.length; i++) b[i] = i & 0xff;   // the kernel's bytes
  return b;
}

