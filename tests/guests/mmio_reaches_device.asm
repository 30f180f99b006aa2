; MMIO reaches a device model: with `testdev=1` the domain has the test
; device (a scratch register file) at guest-physical 0xff000000. Stores and
; loads of every width and form the MMIO path decodes read back what was
; written; a store past the device's registers changes nothing there.
%define TEST_NAME "mmio_reaches_device"
%include "lib.inc"

TESTDEV equ 0xff000000

%macro EXPECT 3                       ; register, value, what
  cmp %1, %2
  je %%ok
  FAIL_HEX %3, %1
%%ok:
%endmacro

main:
  mov edi, TESTDEV
  mov dword [edi], 0x11223344         ; 89 /r with a SIB-less base
  mov eax, [edi]
  EXPECT eax, 0x11223344, "dword read back"
  mov byte [edi + 1], 0xab            ; c6 /0 ib, disp8
  mov eax, [TESTDEV]                  ; 8b /r, disp32 (no base)
  EXPECT eax, 0x1122ab44, "dword after a byte store"
  mov ax, 0x5566
  mov [edi + 6], ax                   ; 66 89 /r
  mov ebx, 0xffffffff
  mov bx, [edi + 6]                   ; 66 8b /r keeps the upper half
  EXPECT ebx, 0xffff5566, "word load into bx"
  movzx ecx, byte [edi + 7]           ; 0f b6
  EXPECT ecx, 0x55, "movzx of a byte"
  movsx edx, byte [edi + 1]           ; 0f be
  EXPECT edx, 0xffffffab, "movsx of a byte"
  mov esi, 2
  mov dh, [edi + esi*2 + 2]           ; 8a /r to DH, with a SIB
  movzx edx, dh
  EXPECT edx, 0x66, "byte load into dh"
  mov dword [edi + 60], 0xcafef00d    ; c7 /0 id, the last dword
  mov eax, [edi + 60]
  EXPECT eax, 0xcafef00d, "last dword"
  PASS
