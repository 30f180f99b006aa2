; Hostile: writes junk to every reserved slot of its xAPIC page (SDM Vol.
; 3A Table 11-1; 2F0H too, there is no CMCI) and to unaligned offsets,
; each of which must read back as 0 (src/devices/lapic.ts: only a 32-bit
; write at a 16-byte aligned register writes), then the dword just past
; the page. Expected: stopped with
;   EPT violation at 0xfee01000 (write)
; A RESULT line appears only if something went wrong first (FAIL).
%define TEST_NAME "ept_write_lapic_range"
%include "lib.inc"

LAPIC equ 0xfee00000
JUNK  equ 0xdeadbeef

main:
  xor ecx, ecx
.slot:
  movzx ebx, word [reserved + ecx * 2]
  mov dword [LAPIC + ebx], JUNK
  mov dword [LAPIC + ebx + 4], JUNK   ; unaligned: dropped
  mov eax, [LAPIC + ebx]               ; loads: the MMIO decoder's MOV
  mov edx, [LAPIC + ebx + 4]
  or eax, edx
  jz .zero
  add ebx, LAPIC
  FAIL_HEX "a reserved LAPIC slot does not read 0 after a junk write at", ebx
.zero:
  inc ecx
  cmp ecx, RESERVED
  jb .slot
  ; The rest of the page, 400H-FF0H.
  mov ebx, LAPIC + 0x400
.high:
  mov dword [ebx], JUNK
  mov eax, [ebx]
  test eax, eax
  jz .next
  FAIL_HEX "LAPIC offset above 3F0H does not read 0 after a junk write at", ebx
.next:
  add ebx, 16
  cmp ebx, LAPIC + 0x1000
  jb .high
  PRINT TEST_NAME, ": junk on every reserved LAPIC slot dropped; writing 0xfee01000", 10
  mov dword [LAPIC + 0x1000], JUNK
  FAIL "write past the LAPIC page went through"

section .rodata
align 2
reserved:
  dw 0x000, 0x010, 0x040, 0x050, 0x060, 0x070
  dw 0x290, 0x2a0, 0x2b0, 0x2c0, 0x2d0, 0x2e0, 0x2f0, 0x3a0, 0x3b0, 0x3c0, 0x3d0, 0x3f0
RESERVED equ ($ - reserved) / 2
