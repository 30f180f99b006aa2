; The LAPIC timer in TSC-deadline mode (SDM Vol. 3A 11.5.4.1) as Linux's
; lapic_next_deadline uses it: CPUID.1:ECX.TSC_Deadline set; in that mode a
; write of IA32_TSC_DEADLINE arms it, the MSR reads back the deadline while
; armed (or 0 if it has passed already: the probe shares the CPU) and 0
; once it fired; the interrupt never comes before the deadline
; (TSC read in the handler); a deadline in the past fires at once; writing
; 0 disarms; the initial-count register is ignored; leaving the mode
; disarms. Repeated ROUNDS times at 1 ms.
%define TEST_NAME "lapic_tsc_deadline_fires"
%include "lib.inc"
%include "clock.inc"
%include "apic.inc"

VEC_TIMER  equ 0x41
ROUNDS     equ 20
TRIES      equ 8
CPUID1_TSC_DEADLINE equ 1 << 24

main:
  mov eax, 1
  cpuid
  test ecx, CPUID1_TSC_DEADLINE
  jnz .has
  FAIL "CPUID.1:ECX.TSC_Deadline clear"
.has:
  call tsc_khz
  mov [khz], eax
  mov eax, VEC_TIMER
  mov edx, isr_timer
  call idt_set_gate
  call lapic_enable
  mov dword [LAPIC + LAPIC_LVT_TIMER], LVT_TSC_DEADLINE | VEC_TIMER
  mov dword [LAPIC + LAPIC_TIMER_ICR], 100  ; ignored in this mode
  sti
  mov ebx, ROUNDS
.round:
  mov eax, [ticks]
  mov [before], eax
  rdtsc
  add eax, [khz]                      ; 1 ms ahead
  adc edx, 0
  mov [deadline], eax
  mov [deadline + 4], edx
  mov ecx, IA32_TSC_DEADLINE
  wrmsr
  rdmsr
  cmp eax, [deadline]
  jne .fired_already
  cmp edx, [deadline + 4]
  jne .readback
.armed:
  mov esi, ticks
  mov edx, [before]
  inc edx
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS             ; generous: the probe shares the CPU
  call await_count
  jc .none
  cmp dword [early], 0
  jne .early
  mov ecx, IA32_TSC_DEADLINE
  rdmsr
  or eax, edx
  jnz .not_cleared
  dec ebx
  jnz .round

  ; in the past: at once
  mov eax, [ticks]
  mov [before], eax
  mov dword [deadline], 1
  mov dword [deadline + 4], 0
  mov ecx, IA32_TSC_DEADLINE
  mov eax, 1
  xor edx, edx
  wrmsr
  mov esi, ticks
  mov edx, [before]
  inc edx
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jc .past

  ; 0 disarms (each tried again if the probe lost the CPU for the 2 ms
  ; between arming and disarming: then the interrupt was owed)
  mov dword [tries], TRIES
.zero:
  mov eax, [ticks]
  mov [before], eax
  call arm_2ms
  mov ecx, IA32_TSC_DEADLINE
  xor eax, eax
  xor edx, edx
  wrmsr
  call in_time
  jc .zero_in_time
  call missed
  jmp .zero
.zero_in_time:
  call quiet_5ms
  ; leaving the mode disarms
  mov dword [tries], TRIES
.mode:
  mov eax, [ticks]
  mov [before], eax
  call arm_2ms
  mov dword [LAPIC + LAPIC_LVT_TIMER], VEC_TIMER
  mov dword [LAPIC + LAPIC_LVT_TIMER], LVT_TSC_DEADLINE | VEC_TIMER
  call in_time
  jc .mode_in_time
  call missed
  jmp .mode
.mode_in_time:
  mov ecx, IA32_TSC_DEADLINE
  rdmsr
  or eax, edx
  jnz .kept
  call quiet_5ms
  PRINT TEST_NAME, ": "
  mov eax, ROUNDS
  call putdec
  PRINT " deadlines of 1 ms met, none early; past, 0 and a mode change right", 10
  PASS
.fired_already:
  ; 0 is right if the deadline passed (time descheduled since the rdtsc)
  or eax, edx
  jnz .readback
  rdtsc
  sub eax, [deadline]
  sbb edx, [deadline + 4]
  jae .armed
.readback:
  FAIL_HEX "IA32_TSC_DEADLINE does not read back the deadline; low dword", eax
.none:
  FAIL_HEX "no interrupt for a deadline 1 ms ahead, round", ebx
.early:
  FAIL_HEX "the interrupt came before the deadline, by TSC ticks", dword [early]
.not_cleared:
  FAIL "IA32_TSC_DEADLINE not 0 after the timer fired"
.past:
  FAIL "no interrupt for a deadline in the past"
.kept:
  FAIL "leaving TSC-deadline mode kept the deadline"

; arm_2ms: a deadline 2 ms ahead (keeps EBX).
arm_2ms:
  rdtsc
  mov ecx, [khz]
  add ecx, ecx
  add eax, ecx
  adc edx, 0
  mov [deadline], eax
  mov [deadline + 4], edx
  mov ecx, IA32_TSC_DEADLINE
  wrmsr
  ret

; in_time: CF set while the TSC is before [deadline].
in_time:
  rdtsc
  sub eax, [deadline]
  sbb edx, [deadline + 4]
  ret

; missed: a try the probe was descheduled across: 5 ms for its interrupt,
; then the next try, at most TRIES.
missed:
  mov eax, [khz]
  imul ecx, eax, 5
  call tsc_wait
  dec dword [tries]
  jz .none_in_time
  ret
.none_in_time:
  FAIL "descheduled between arming and disarming in every try"

; quiet_5ms: no interrupt for 5 ms since [before] was taken.
quiet_5ms:
  mov eax, [khz]
  imul ecx, eax, 5
  call tsc_wait
  mov eax, [ticks]
  cmp eax, [before]
  jne .fired
  ret
.fired:
  FAIL "the timer fired after its deadline was written 0 or its mode left"

isr_timer:
  push eax
  push edx
  rdtsc
  sub eax, [deadline]
  sbb edx, [deadline + 4]
  jae .late_enough
  neg eax
  mov [early], eax
.late_enough:
  inc dword [ticks]
  mov dword [LAPIC + LAPIC_EOI], 0
  pop edx
  pop eax
  iret

section .data
align 8
deadline: dq 0
khz:      dd 0
ticks:    dd 0
before:   dd 0
early:    dd 0
tries:    dd 0
