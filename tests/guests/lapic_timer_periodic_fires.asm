; The LAPIC timer (SDM Vol. 3A 11.5.4) as Linux's lapic clockevent uses it,
; counting at the rate CPUID 0x40000010 EBX gives (the TSC's). Periodic,
; divide by 16, a 10 ms period: the current count goes down at TSC / 16
; (two reads bracketed by TSC stamps; retried, as time descheduled only
; widens one bracket); TICKS interrupts arrive, none before its time on the
; schedule from the initial-count write. One-shot, divide by 1: exactly one
; interrupt. Masked: none, while the count still runs down. An initial
; count of 0 stops it.
%define TEST_NAME "lapic_timer_periodic_fires"
%include "lib.inc"
%include "clock.inc"
%include "apic.inc"

VEC_TIMER equ 0x40
TICKS     equ 10
TRIES     equ 8

main:
  mov eax, 0x40000010
  cpuid
  cmp eax, ebx
  je .same_rate
  FAIL "CPUID 0x40000010: the LAPIC timer's kHz differ from the TSC's"
.same_rate:
  mov [khz], eax
  imul eax, eax, 10                   ; 10 ms of TSC
  mov [period], eax
  shr eax, 4
  mov [count], eax                    ; in timer ticks at divide by 16
  shl eax, 4
  mov [period16], eax                 ; the period it makes, in TSC ticks
  mov eax, VEC_TIMER
  mov edx, isr_timer
  call idt_set_gate
  call lapic_enable

  ; periodic, divide by 16
  mov dword [LAPIC + LAPIC_TIMER_DCR], DCR_BY_16
  mov dword [LAPIC + LAPIC_LVT_TIMER], LVT_PERIODIC | VEC_TIMER
  rdtsc
  mov [t0], eax
  mov [t0 + 4], edx
  mov eax, [count]
  mov [LAPIC + LAPIC_TIMER_ICR], eax
  mov eax, [LAPIC + LAPIC_TIMER_CCR]
  cmp eax, [count]
  jbe .ccr_ok
  FAIL_HEX "the current count above the initial count:", eax
.ccr_ok:
  call ccr_rate
  sti
  mov esi, ticks
  mov edx, TICKS
  mov ecx, [period]
  imul ecx, ecx, AWAIT_MS / 10        ; generous: the probe shares the CPU
  call await_count
  jnc .ticked
  FAIL_HEX "periodic: too few timer interrupts in 20 s:", dword [ticks]
.ticked:
  cmp dword [early], 0
  je .on_time
  FAIL_HEX "a periodic interrupt came before its time, tick", dword [early]
.on_time:
  ; one-shot, divide by 1, 1 ms; first the periodic timer stopped and a
  ; tick it left in IRR taken
  mov dword [LAPIC + LAPIC_TIMER_ICR], 0
  mov eax, [khz]
  mov ecx, eax
  call tsc_wait
  cli
  mov dword [LAPIC + LAPIC_LVT_TIMER], VEC_TIMER
  mov dword [LAPIC + LAPIC_TIMER_DCR], DCR_BY_1
  mov dword [ticks], 0
  mov dword [checking], 0
  sti
  mov eax, [khz]
  mov [LAPIC + LAPIC_TIMER_ICR], eax
  mov esi, ticks
  mov edx, 1
  mov ecx, [period]
  imul ecx, ecx, AWAIT_MS / 10
  call await_count
  jnc .fired
  FAIL "one-shot: no interrupt"
.fired:
  mov eax, [khz]
  imul ecx, eax, 5
  call tsc_wait
  cmp dword [ticks], 1
  je .once
  FAIL_HEX "one-shot: more than one interrupt:", dword [ticks]
.once:
  mov eax, [LAPIC + LAPIC_TIMER_CCR]
  test eax, eax
  jz .masked
  FAIL_HEX "one-shot: the current count not 0 after it ran out:", eax
.masked:
  ; masked: counts, no interrupt
  mov dword [LAPIC + LAPIC_LVT_TIMER], LVT_MASKED | VEC_TIMER
  mov eax, [khz]
  mov [LAPIC + LAPIC_TIMER_ICR], eax
  mov ebx, [LAPIC + LAPIC_TIMER_CCR]
  mov eax, [khz]
  shr eax, 2
  mov ecx, eax
  call tsc_wait                       ; 0.25 ms
  mov eax, [LAPIC + LAPIC_TIMER_CCR]
  cmp eax, ebx
  jb .counting
  cmp ebx, 0                          ; descheduled past the whole count
  je .counting
  FAIL_HEX "masked: the current count does not go down:", eax
.counting:
  mov eax, [khz]
  imul ecx, eax, 3
  call tsc_wait
  cmp dword [ticks], 1
  je .quiet
  FAIL "masked: the timer interrupted"
.quiet:
  ; initial count 0 stops it (a 10 ms count; tried again if the probe lost
  ; the CPU for that long between the two writes)
  mov dword [LAPIC + LAPIC_LVT_TIMER], LVT_PERIODIC | VEC_TIMER
  mov dword [tries], TRIES
.start_stop:
  mov dword [ticks], 1
  rdtsc
  mov ebx, eax
  mov eax, [period]
  mov [LAPIC + LAPIC_TIMER_ICR], eax
  mov dword [LAPIC + LAPIC_TIMER_ICR], 0
  rdtsc
  sub eax, ebx
  cmp eax, [period]
  jb .stop_quick
  mov eax, [khz]
  imul ecx, eax, 20
  call tsc_wait                       ; its tick, if it came, taken
  dec dword [tries]
  jnz .start_stop
  FAIL "descheduled between two LAPIC writes in every try"
.stop_quick:
  mov eax, [LAPIC + LAPIC_TIMER_CCR]
  test eax, eax
  jz .stopped
  FAIL_HEX "an initial count of 0 left the current count at", eax
.stopped:
  mov eax, [khz]
  imul ecx, eax, 3
  call tsc_wait
  cmp dword [ticks], 1
  je .done
  FAIL "an initial count of 0 did not stop the timer"
.done:
  PRINT TEST_NAME, ": periodic ticks on time, one-shot once, masked and stopped quiet", 10
  PASS

; ccr_rate: two reads of the current count, each bracketed by TSC stamps,
; 1 ms apart: the count went down by the TSC ticks between them / 16,
; within the brackets. TRIES tries.
ccr_rate:
  mov dword [tries], TRIES
.try:
  rdtsc
  mov [a0], eax
  mov ebx, [LAPIC + LAPIC_TIMER_CCR]
  rdtsc
  mov [a1], eax
  mov eax, [khz]
  mov ecx, eax
  call tsc_wait
  rdtsc
  mov [b0], eax
  mov esi, [LAPIC + LAPIC_TIMER_CCR]
  rdtsc
  mov [b1], eax
  ; the count went down by ebx - esi (mod the period, as it reloads)
  mov eax, ebx
  sub eax, esi
  jae .down
  add eax, [count]
.down:
  shl eax, 4                          ; in TSC ticks
  ; within [b0 - a1, b1 - a0] give or take 16 (the divider) and 1 %
  mov ecx, [b0]
  sub ecx, [a1]
  mov edx, ecx
  shr edx, 7
  sub ecx, edx
  sub ecx, 16
  cmp eax, ecx
  jb .retry
  mov ecx, [b1]
  sub ecx, [a0]
  mov edx, ecx
  shr edx, 7
  add ecx, edx
  add ecx, 16
  cmp eax, ecx
  ja .retry
  ret
.retry:
  mov [went], eax
  dec dword [tries]
  jnz .try
  FAIL_HEX "the current count does not go down at TSC / 16 in any try: TSC ticks", dword [went]

isr_timer:
  push eax
  push edx
  cmp dword [checking], 0
  je .count
  ; tick k (from 1) at t0 + k * period16 at the earliest
  rdtsc
  sub eax, [t0]
  sbb edx, [t0 + 4]
  jnz .count                          ; long after
  push eax
  mov eax, [ticks]
  inc eax
  mul dword [period16]
  mov edx, eax
  pop eax
  cmp eax, edx
  jae .count
  mov eax, [ticks]
  inc eax
  mov [early], eax
.count:
  inc dword [ticks]
  mov dword [LAPIC + LAPIC_EOI], 0
  pop edx
  pop eax
  iret

section .data
align 8
t0:       dq 0
khz:      dd 0
period:   dd 0
period16: dd 0
count:    dd 0
ticks:    dd 0
early:    dd 0
checking: dd 1
tries:    dd 0
went:     dd 0
a0:       dd 0
a1:       dd 0
b0:       dd 0
b1:       dd 0
