; Hostile: PAE paging on, then an IDT limit of 0 and ud2: #UD, #GP and #DF
; cannot be delivered -> triple fault. Expected:
;   hv: domain <id> (triple_fault_pae_paging) stopped: triple fault
; A RESULT line appears only if it survived (FAIL).
%define TEST_NAME "triple_fault_pae_paging"
%include "lib.inc"
%include "paging.inc"

main:
  call paging_identity
  PRINT TEST_NAME, ": PAE paging, an empty IDT and ud2", 10
  ENTER_PAE
  lidt [empty_idt]
  ud2
  FAIL "survived ud2 with an empty IDT under PAE paging"

section .rodata
empty_idt:
  dw 0
  dd 0
