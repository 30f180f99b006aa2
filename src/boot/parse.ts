// The boot information, whichever multiboot protocol the loader spoke.
import { MULTIBOOT_BOOTLOADER_MAGIC, MULTIBOOT2_BOOTLOADER_MAGIC } from "../arch/multiboot";
import { hex } from "../lib/str";
import { BootInfo } from "./bootinfo";
import { parseMultiboot1 } from "./multiboot1";
import { parseMultiboot2 } from "./multiboot2";

// `magic` is EAX and `info` EBX as the boot loader left them.
export function parseBootInfo(magic: u32, info: u32): BootInfo {
  const bi = new BootInfo();
  if (magic == MULTIBOOT2_BOOTLOADER_MAGIC) {
    bi.protocol = 2;
    parseMultiboot2(bi, info);
  } else if (magic == MULTIBOOT_BOOTLOADER_MAGIC) {
    bi.protocol = 1;
    parseMultiboot1(bi, info);
  } else {
    bi.fail("boot: unknown boot loader magic " + hex(magic, 8) +
      " (expected multiboot2 0x36d76289 or multiboot 0x2badb002)");
  }
  if (bi.error.length == 0 && bi.memory.length == 0) {
    bi.fail(bi.protocol == 2 ? "mb2: no memory map tag (type 6)" :
      "mb1: no memory information (flags bits 0 and 6 clear)");
  }
  return bi;
}
