; Reads of unassigned I/O ports return all ones at every width, before and
; after a write (writes are dropped).
%define TEST_NAME "io_unassigned_reads_ones"
%include "lib.inc"

PORT equ 0x230                       ; nothing there (an ISA sound card, once)

main:
  mov dx, PORT
  in al, dx
  cmp al, 0xff
  je .b
  movzx eax, al
  FAIL_HEX "inb from an unassigned port returned", eax
.b:
  in ax, dx
  cmp ax, 0xffff
  je .w
  movzx eax, ax
  FAIL_HEX "inw from an unassigned port returned", eax
.w:
  in eax, dx
  cmp eax, 0xffffffff
  je .d
  FAIL_HEX "inl from an unassigned port returned", eax
.d:
  xor eax, eax                        ; writes are dropped
  out dx, eax
  out dx, al
  in eax, dx
  cmp eax, 0xffffffff
  je .after
  FAIL_HEX "inl after writing 0 returned", eax
.after:
  mov dx, PORT + 0x0e                 ; another port, byte and word
  in al, dx
  cmp al, 0xff
  je .b2
  movzx eax, al
  FAIL_HEX "inb from unassigned port 0x23e returned", eax
.b2:
  PASS
