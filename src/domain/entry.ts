// How a parsed image (src/domain/image.ts) is entered: its multiboot
// information and its vCPU entry record (HC_VCPU_SET_ENTRY's VCPUENTRY
// layout, src/arch/abi.ts). Portable: imports no hypervisor-only
// module, so the hypervisor's boot-time builder and Domain 0's run-time
// builder (dom0/build.ts) make the same boot information and entry state
// from the same image.
import { GuestImage, ENTRY_PROTECTED32_MULTIBOOT1, ENTRY_PROTECTED32_MULTIBOOT2, ENTRY_LONG64, ENTRY_REAL } from "./image";
import { writeMultiboot1Info, writeMultiboot2Info } from "./bootinfo-writer";
import { MULTIBOOT_BOOTLOADER_MAGIC, MULTIBOOT2_BOOTLOADER_MAGIC } from "../arch/multiboot";
import {
  VCPUENTRY_MODE, VCPUENTRY_FLAGS, VCPUENTRY_RIP, VCPUENTRY_RSP, VCPUENTRY_RAX, VCPUENTRY_RBX, VCPUENTRY_RDI,
  VCPUENTRY_REAL_CS, VCPUENTRY_SIZE, VCPU_MODE_REAL, VCPU_MODE_PROTECTED32, VCPU_MODE_LONG64,
  VCPUENTRY_FLAG_BUILDER_TABLES, GUEST_BOOTINFO_GPA, GUEST_STACK_TOP,
} from "../arch/abi";

// The boot information the image expects, written at `dst` (BOOTINFO_MAX
// bytes) for guest-physical GUEST_BOOTINFO_GPA: its size, 0 when the image
// takes none (real mode), or a negative BOOTINFO_E_* code.
export function imageBootInfo(img: GuestImage, dst: usize, memBytes: u64, cmdline: string): i32 {
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
  } else if (img.mode == ENTRY_REAL) {
    store<u32>(dst + VCPUENTRY_MODE, VCPU_MODE_REAL);
    store<u32>(dst + VCPUENTRY_REAL_CS, img.realCs);
    store<u64>(dst + VCPUENTRY_RIP, img.realIp);
  } else {
    return false;
  }
  return true;
}
