; kind=realmode, hostile: in real mode, an IVT limit of 0 and ud2: #UD, #GP
; and #DF each lie beyond the limit -> triple fault (shutdown). Expected:
;   hv: domain <id> (triple_fault_real_mode) stopped: triple fault
; Should it survive, it exits with code 1 (stopped for another reason).
%define LIB_CONSTANTS_ONLY
%include "lib.inc"

bits 16
org 0x7c00

start:
  cli
  xor ax, ax
  mov ds, ax
  lidt [empty_ivt]
  ud2
  mov al, 1
  out DEBUG_EXIT_PORT, al
.hang:
  hlt
  jmp .hang

empty_ivt:
  dw 0
  dd 0
