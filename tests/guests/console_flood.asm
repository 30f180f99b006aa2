; Floods its console: "flood <n>" lines on its UART as fast as it can print
; them, forever (each byte a VM exit). The log takes them at its rate for a
; domain and says how many it left out; its neighbours and the hypervisor's
; own log lines must not suffer (tests/integration/flood.test.ts).
%define TEST_NAME "console_flood"
%include "lib.inc"

main:
.line:
  inc dword [count]
  PRINT "flood "
  mov eax, [count]
  call putdec
  PRINT 10
  jmp .line

section .bss
count: resd 1
