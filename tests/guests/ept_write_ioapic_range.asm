; Hostile: writes every dword of the I/O APIC's page but its index and
; window (0xFEC00000 and +0x10; the chipset decodes the whole page: the
; other offsets, and the EOI register at +0x40, take the junk without
; effect, and the version register must read the same after), then the
; dword just past the page.
; Expected: stopped with
;   EPT violation at 0xfec01000 (write)
; A RESULT line appears only if something went wrong first (FAIL).
%define TEST_NAME "ept_write_ioapic_range"
%include "lib.inc"

IOAPIC          equ 0xfec00000
IOAPIC_WINDOW   equ IOAPIC + 0x10
IOAPIC_VER      equ 1
IOAPIC_VER_MASK equ 0xff
IOAPIC_VER_PC   equ 0x20              ; src/arch/ioapic.ts: IOAPIC_VERSION_EOI

main:
  call ioapic_version
  mov [version], eax
  mov ebx, IOAPIC + 4
.junk:
  cmp ebx, IOAPIC_WINDOW
  je .skip
  mov dword [ebx], 0xdeadbeef
.skip:
  add ebx, 4
  cmp ebx, IOAPIC + 0x1000
  jb .junk
  call ioapic_version
  cmp eax, [version]
  je .same
  FAIL_HEX "I/O APIC version changed after the junk writes:", eax
.same:
  and eax, IOAPIC_VER_MASK
  cmp eax, IOAPIC_VER_PC
  je .sane
  FAIL_HEX "I/O APIC version register reads", eax
.sane:
  PRINT TEST_NAME, ": 1022 junk writes on the I/O APIC page dropped; writing 0xfec01000", 10
  mov dword [IOAPIC + 0x1000], 0xdeadbeef
  FAIL "write past the I/O APIC page went through"

; ioapic_version: EAX = the version register
ioapic_version:
  mov dword [IOAPIC], IOAPIC_VER
  mov eax, [IOAPIC_WINDOW]
  ret

section .bss
version: resd 1
