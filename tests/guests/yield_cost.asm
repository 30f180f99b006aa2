; Benchmark guest (bench/switch-cost.ts), not a pass/fail test: the time of
; one HC_YIELD round trip in guest TSC ticks (in Bochs, emulated
; instructions). Alone on a CPU a yield comes straight back; with a second
; such guest on the CPU each yield runs the other's yield in between, so the
; figure is two yields with a vCPU switch each. Prints
;   BENCH <name> yield <ticks per yield> n <N>
; then passes.
%define TEST_NAME "yield_cost"
%include "lib.inc"

N       equ 4000
WARMUP  equ 200

main:
  mov ecx, WARMUP
.warm:
  call hc_yield
  dec ecx
  jnz .warm
  rdtsc
  mov [t0], eax
  mov [t0 + 4], edx
  mov ecx, N
.loop:
  call hc_yield
  dec ecx
  jnz .loop
  rdtsc
  sub eax, [t0]
  sbb edx, [t0 + 4]
  mov ecx, N
  div ecx
  mov ebx, eax
  PRINT "BENCH yield "
  mov eax, ebx
  call putdec
  PRINT " n "
  mov eax, N
  call putdec
  PRINT 10
  PASS

section .data
align 8
t0: dq 0
