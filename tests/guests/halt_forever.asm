; Says so, then halts with interrupts off: a vCPU that never runs again.
; For the scheduler tests (a halted domain must use almost no CPU); never
; passes or fails.
%define TEST_NAME "halt_forever"
%include "lib.inc"

main:
  PRINT TEST_NAME, ": halting with interrupts off", 10
  cli
.halt:
  hlt
  jmp .halt
