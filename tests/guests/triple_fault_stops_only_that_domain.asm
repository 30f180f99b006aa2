; Hostile: loads an IDT with limit 0 and executes ud2: #UD, #GP and #DF cannot
; be delivered -> triple fault. Expected: the hypervisor stops this domain only:
;   hv: domain <id> (triple_fault_stops_only_that_domain) stopped: triple fault
; This guest prints a RESULT line only if it survived (FAIL).
%define TEST_NAME "triple_fault_stops_only_that_domain"
%include "lib.inc"

main:
  PRINT TEST_NAME, ": loading an empty IDT and executing ud2", 10
  lidt [empty_idt]
  ud2
  FAIL "survived ud2 with an empty IDT"

section .rodata
empty_idt:
  dw 0
  dd 0
