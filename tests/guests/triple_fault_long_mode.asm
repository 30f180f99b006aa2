; Hostile: IA-32e mode, then an IDT limit of 0 and ud2 in 64-bit code:
; #UD, #GP and #DF cannot be delivered -> triple fault. Expected:
;   hv: domain <id> (triple_fault_long_mode) stopped: triple fault
; A RESULT line appears only if it survived (FAIL).
%define TEST_NAME "triple_fault_long_mode"
%include "lib.inc"
%include "paging.inc"

main:
  call paging_identity
  PRINT TEST_NAME, ": IA-32e mode, an empty IDT and ud2", 10
  ENTER_LONG_MODE
  lidt [empty_idt]
  ud2
  TO_COMPAT
  FAIL "survived ud2 with an empty IDT in 64-bit mode"

section .rodata
empty_idt:
  dw 0
  dq 0
