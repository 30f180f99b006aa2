// How a parsed image (src/domain/image.ts) is entered: its multiboot
// information and its vCPU entry record (HC_VCPU_SET_ENTRY's VCPUENTRY
// layout, src/arch/abi.ts). Portable: imports no hypervisor-only
// module, so the hypervisor's boot-time builder and Domain 0's run-time
// builder (dom0/build.ts) make the same boot information and entry state
// from the same image.
import {
  GuestImage, ENTRY_PROTECTED32_MULTIBOOT1, ENTRY_PROTECTED32_MULTIBOOT2, ENTRY_LONG64, ENTRY_REAL, ENTRY_LINUX64,
} from "./image";
import { writeMultiboot1Info, writeMultiboot2Info, putString, BOOTINFO_E_CMDLINE } from "./bootinfo-writer";
import { bzImageZeroPage } from "./bzimage";
import { guestWords, configAcpi } from "./config";
import { PC_LOW_RAM_TOP } from "../devices/e820";
import { ZP_SIZE } from "../arch/linux-boot";
import { MULTIBOOT_BOOTLOADER_MAGIC, MULTIBOOT2_BOOTLOADER_MAGIC } from "../arch/multiboot";
import {
  VCPUENTRY_MODE, VCPUENTRY_FLAGS, VCPUENTRY_RIP, VCPUENTRY_RSP, VCPUENTRY_RAX, VCPUENTRY_RBX, VCPUENTRY_RDI,
  VCPUENTRY_REAL_CS, VCPUENTRY_SIZE, VCPU_MODE_REAL, VCPU_MODE_PROTECTED32, VCPU_MODE_LONG64,
  VCPUENTRY_FLAG_BUILDER_TABLES, GUEST_BOOTINFO_GPA, GUEST_STACK_TOP, VCPUENTRY_RSI, GUEST_ACPI_GPA,
} from "../arch/abi";

// A Linux guest's boot information at GUEST_BOOTINFO_GPA: the zero page,
// then its command line.
export const LINUX_CMDLINE_GPA: u64 = GUEST_BOOTINFO_GPA + ZP_SIZE;
const LINUX_CMDLINE_MAX: u32 = 4095;

// The boot information the image expects, written at `dst` (BOOTINFO_MAX
// bytes) for guest-physical GUEST_BOOTINFO_GPA: its size, 0 when the image
// takes none (real mode), or a negative BOOTINFO_E_* code. `cmdline` is
// the config's (DomainConfig.cmdline); a Linux guest's initrd, if any, was
// loaded at `initrd` (bzImageInitrdAt).
export function imageBootInfo(img: GuestImage, dst: usize, memBytes: u64, cmdline: string,
                              initrd: u64 = 0, initrdSize: u64 = 0): i32 {
  if (img.mode == ENTRY_LINUX64) {
    const b = img.bz!;
    const words = guestWords(cmdline);
    if (<u32>words.length > b.cmdlineMax || <u32>words.length > LINUX_CMDLINE_MAX) return BOOTINFO_E_CMDLINE;
    const rsdp = configAcpi(cmdline) ? GUEST_ACPI_GPA : 0;
    bzImageZeroPage(dst, b, memBytes, PC_LOW_RAM_TOP, LINUX_CMDLINE_GPA, initrd, initrdSize, rsdp);
    putString(dst + ZP_SIZE, words);
    return <i32>ZP_SIZE + words.length + 1;
  }
  if (img.mode == ENTRY_PROTECTED32_MULTIBOOT1) return writeMultiboot1Info(dst, GUEST_BOOTINFO_GPA, memBytes, cmdline);
  if (img.mode == ENTRY_PROTECTED32_MULTIBOOT2 || img.mode == ENTRY_LONG64) {
    return writeMultiboot2Info(dst, GUEST_BOOTINFO_GPA, memBytes, cmdline);
  }
  return 0;
}

// The VCPUENTRY_SIZE record entering the image at `dst`: multiboot magic in
// EAX and the boot information's address in EBX (and RDI for 64-bit, with
// the builder's identity map and a stack at GUEST_STACK_TOP). False for an
// image with no entry mode.
export function imageEntry(img: GuestImage, dst: usize): bool {
  memory.fill(dst, 0, VCPUENTRY_SIZE);
  store<u64>(dst + VCPUENTRY_RIP, img.entry);
  if (img.mode == ENTRY_PROTECTED32_MULTIBOOT1 || img.mode == ENTRY_PROTECTED32_MULTIBOOT2) {
    store<u32>(dst + VCPUENTRY_MODE, VCPU_MODE_PROTECTED32);
    store<u64>(dst + VCPUENTRY_RAX,
      img.mode == ENTRY_PROTECTED32_MULTIBOOT2 ? MULTIBOOT2_BOOTLOADER_MAGIC : MULTIBOOT_BOOTLOADER_MAGIC);
    store<u64>(dst + VCPUENTRY_RBX, GUEST_BOOTINFO_GPA);
  } else if (img.mode == ENTRY_LONG64) {
    store<u32>(dst + VCPUENTRY_MODE, VCPU_MODE_LONG64);
    store<u32>(dst + VCPUENTRY_FLAGS, VCPUENTRY_FLAG_BUILDER_TABLES);
    store<u64>(dst + VCPUENTRY_RSP, GUEST_STACK_TOP);
    store<u64>(dst + VCPUENTRY_RAX, MULTIBOOT2_BOOTLOADER_MAGIC);
    store<u64>(dst + VCPUENTRY_RBX, GUEST_BOOTINFO_GPA);
    store<u64>(dst + VCPUENTRY_RDI, GUEST_BOOTINFO_GPA);
  } else if (img.mode == ENTRY_LINUX64) {
    // boot.rst's 64-bit protocol: the kernel, zero page and command line
    // identity-mapped, interrupts off, RSI = the zero page.
    store<u32>(dst + VCPUENTRY_MODE, VCPU_MODE_LONG64);
    store<u32>(dst + VCPUENTRY_FLAGS, VCPUENTRY_FLAG_BUILDER_TABLES);
    store<u64>(dst + VCPUENTRY_RSP, GUEST_STACK_TOP);
    store<u64>(dst + VCPUENTRY_RSI, GUEST_BOOTINFO_GPA);
  } else if (img.mode == ENTRY_REAL) {
    store<u32>(dst + VCPUENTRY_MODE, VCPU_MODE_REAL);
    store<u32>(dst + VCPUENTRY_REAL_CS, img.realCs);
    store<u64>(dst + VCPUENTRY_RIP, img.realIp);
  } else {
    return false;
  }
  return true;
}
