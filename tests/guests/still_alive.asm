; Waits until the hostile guests have surely been stopped (at least `yields`
; HC_YIELDs, default 300, and `mticks` million TSC ticks, default 200), then
; passes: the hypervisor survived them. The runner expects this RESULT last.
%define TEST_NAME "still_alive"
%include "lib.inc"

main:
  mov esi, key_yields
  mov edx, 300
  call cmdline_dec
  mov [yields_needed], eax
  mov esi, key_mticks
  mov edx, 200
  call cmdline_dec
  mov ecx, 1000000
  mul ecx                             ; edx:eax = ticks needed
  mov [ticks_needed], eax
  mov [ticks_needed + 4], edx
  rdtsc
  mov [start], eax
  mov [start + 4], edx
.wait:
  call hc_yield
  inc dword [yields]
  rdtsc
  sub eax, [start]
  sbb edx, [start + 4]
  mov [elapsed], eax
  mov [elapsed + 4], edx
  mov eax, [yields]
  cmp eax, [yields_needed]
  jb .wait
  mov eax, [elapsed]
  mov edx, [elapsed + 4]
  cmp edx, [ticks_needed + 4]
  jb .wait
  ja .done
  cmp eax, [ticks_needed]
  jb .wait
.done:
  PRINT TEST_NAME, ": waited "
  mov eax, [yields]
  call putdec
  PRINT " yields, 0x"
  mov eax, [elapsed]
  mov edx, [elapsed + 4]
  call puthex64
  PRINT " TSC ticks", 10
  PASS

section .rodata
key_yields: db "yields=", 0
key_mticks: db "mticks=", 0

section .data
align 8
start:         dq 0
elapsed:       dq 0
ticks_needed:  dq 0
yields_needed: dd 0
yields:        dd 0
