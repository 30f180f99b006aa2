; CPU-bound, for the scheduler tests: counts loop iterations while its TSC
; runs from begin= to end= (millions of ticks; the TSC keeps running while
; other domains have the CPU, so the count measures this domain's share of
; the window), then prints "SHARE <count>" and passes. Not pass/fail by
; itself: tests/integration/sched.test.ts compares the counts of domains run
; side by side with different weights and caps.
%define TEST_NAME "cpu_share"
%include "lib.inc"

CHECK_EVERY equ 256                     ; iterations between TSC reads

main:
  mov esi, key_begin
  call arg_millions
  mov [t_begin], eax
  mov [t_begin + 4], edx
  mov esi, key_end
  call arg_millions
  mov [t_end], eax
  mov [t_end + 4], edx

  ; Wait for the window to open, then count until it closes.
.wait:
  rdtsc
  cmp edx, [t_begin + 4]
  jb .wait
  ja .count
  cmp eax, [t_begin]
  jb .wait
.count:
  mov [t_start], eax
  mov [t_start + 4], edx
  xor ebx, ebx                          ; iterations / CHECK_EVERY
.outer:
  mov ecx, CHECK_EVERY
.inner:
  dec ecx
  jnz .inner
  inc ebx
  rdtsc
  cmp edx, [t_end + 4]
  jb .outer
  ja .done
  cmp eax, [t_end]
  jb .outer
.done:
  PRINT TEST_NAME, ": SHARE "
  mov eax, ebx
  call putdec
  PRINT " start "
  mov eax, [t_start]
  mov edx, [t_start + 4]
  call puthex64
  PRINT " end "
  mov eax, [t_end]
  mov edx, [t_end + 4]
  call puthex64
  PRINT 10
  PASS

; arg_millions: ESI = key; EDX:EAX = its decimal value x 1,000,000.
arg_millions:
  call cmdline_arg
  test eax, eax
  jnz .found
  FAIL "begin= and end= (millions of TSC ticks) are required"
.found:
  mov esi, eax
  call parse_dec
  mov ecx, 1000000
  mul ecx
  ret

section .data
key_begin: db "begin=", 0
key_end:   db "end=", 0
align 8
t_begin: dq 0
t_end:   dq 0
t_start: dq 0
