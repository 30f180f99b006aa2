; Not a test by itself: loops forever with interrupts off, never yields, never
; exits. spinning_guest_cannot_starve only completes if the hypervisor
; preempts this domain (VMX-preemption timer). Prints no RESULT line.
%define TEST_NAME "spin_forever"
%include "lib.inc"

main:
  PRINT TEST_NAME, ": spinning with interrupts off", 10
  cli
.spin:
  jmp .spin
