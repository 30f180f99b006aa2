; Multiboot headers. GRUB boots the image through multiboot2; `qemu -kernel`
; through multiboot1, whose loader refuses ELF64 unless the header carries the
; load addresses itself (flag 16, the "a.out kludge"), which it then uses.
; Both land in entry32 in 32-bit protected mode with paging off.

%include "layout.inc"

MB2_MAGIC              equ 0xe85250d6
MB2_ARCH_I386          equ 0
MB2_TAG_END            equ 0
MB2_TAG_MODULE_ALIGN   equ 6

MB1_MAGIC              equ 0x1badb002
MB1_PAGE_ALIGN         equ 1 << 0    ; modules on 4 KiB boundaries
MB1_MEMORY_INFO        equ 1 << 1    ; mem_* and mmap_* fields
MB1_AOUT_KLUDGE        equ 1 << 16   ; load addresses below are valid
MB1_FLAGS              equ MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_AOUT_KLUDGE

extern entry32, _load_end, _bss_end

section .multiboot progbits alloc noexec nowrite align=8

align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    align 8                             ; modules page-aligned
    dw MB2_TAG_MODULE_ALIGN, 0
    dd 8
    align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_header_end:

align 4
mb1_header:
    dd MB1_MAGIC
    dd MB1_FLAGS
    dd -(MB1_MAGIC + MB1_FLAGS)
    dd mb1_header                       ; header_addr
    dd HV_IMAGE_BASE                    ; load_addr
    dd _load_end                        ; load_end_addr
    dd _bss_end                         ; bss_end_addr
    dd entry32                          ; entry_addr
