; Runs alongside spin_forever (which never gives up the CPU): this guest only
; gets to run its 1e6 iterations if the hypervisor preempts the spinner.
%define TEST_NAME "spinning_guest_cannot_starve"
%include "lib.inc"

main:
  mov ecx, 1000000
.loop:
  add dword [sum], ecx
  dec ecx
  jnz .loop
  PASS

section .data
sum: dd 0
