; CPU-bound, for the scheduler tests: counts loop iterations while its TSC
; runs from begin= to end= (millions of ticks; the TSC keeps running while
; other domains have the CPU, so the count measures this domain's share of
; the window), then prints "SHARE <count>" and passes. With `vcpus=N` every
; one of its N vCPUs counts and the share is their sum. Not pass/fail by
; itself: tests/integration/sched.test.ts compares the counts of domains run
; side by side with different weights and caps.
%define TEST_NAME "cpu_share"
%include "lib.inc"
%include "vcpus.inc"

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
  mov esi, key_vcpus
  mov edx, 1
  call cmdline_dec
  cmp eax, MAX_VCPUS
  jbe .vcpus_ok
  FAIL "vcpus= is more than this guest supports (8)"
.vcpus_ok:
  mov [vcpus], eax
  mov ecx, eax
  call vcpus_start
  test eax, eax
  jz .started
  FAIL_HEX "HC_VCPU_START failed:", eax
.started:
  xor ebx, ebx
  call count_window
  mov [t_start], eax
  mov [t_start + 4], edx

  ; Every vCPU's count, once all are done.
.wait_all:
  xor eax, eax                          ; sum
  xor ecx, ecx
.each:
  cmp byte [done + ecx], 0
  je .not_yet
  add eax, [counts + ecx * 4]
  inc ecx
  cmp ecx, [vcpus]
  jb .each
  jmp .report
.not_yet:
  call hc_yield
  jmp .wait_all

.report:
  mov ebx, eax
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

ap_main:
  call count_window
  ret

; count_window: EBX = this vCPU's index. Waits for the window to open, then
; counts until it closes: counts[EBX] = iterations / CHECK_EVERY, done[EBX]
; = 1. EDX:EAX = the TSC when counting began. Keeps EBX.
count_window:
.wait:
  rdtsc
  cmp edx, [t_begin + 4]
  jb .wait
  ja .count
  cmp eax, [t_begin]
  jb .wait
.count:
  push edx
  push eax
  xor esi, esi                          ; iterations / CHECK_EVERY
.outer:
  mov ecx, CHECK_EVERY
.inner:
  dec ecx
  jnz .inner
  inc esi
  rdtsc
  cmp edx, [t_end + 4]
  jb .outer
  ja .done
  cmp eax, [t_end]
  jb .outer
.done:
  mov [counts + ebx * 4], esi
  mov byte [done + ebx], 1
  pop eax
  pop edx
  ret

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
key_vcpus: db "vcpus=", 0
align 8
t_begin: dq 0
t_end:   dq 0
t_start: dq 0
vcpus:   dd 1
counts:  times MAX_VCPUS dd 0
done:    times MAX_VCPUS db 0
