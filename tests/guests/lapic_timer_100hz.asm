; Not a test by itself: the idle guest of bench/idle-cost.ts that a tickful
; kernel is. Its LAPIC timer runs periodic at 100 Hz (the LAPIC timer's
; rate from CPUID 0x40000010 EBX, in kHz) and it halts between the ticks,
; each handled with an EOI. Prints one line when the timer runs, then only
; every 100 ticks: lapic_timer_100hz: <n> ticks
%define TEST_NAME "lapic_timer_100hz"
%include "lib.inc"

LAPIC           equ 0xfee00000
LAPIC_EOI       equ LAPIC + 0x0b0
LAPIC_SVR       equ LAPIC + 0x0f0
LAPIC_LVT_TIMER equ LAPIC + 0x320
LAPIC_INITIAL   equ LAPIC + 0x380
LAPIC_DIVIDE    equ LAPIC + 0x3e0
DIVIDE_BY_1     equ 0x0b
LVT_PERIODIC    equ 1 << 17
VEC_TICK        equ 0x40
HZ              equ 100

main:
  mov eax, 0x40000010
  cpuid
  test ebx, ebx
  jnz .rate
  FAIL "CPUID 0x40000010 gives no LAPIC timer rate"
.rate:
  imul ebx, ebx, 1000 / HZ            ; kHz -> ticks per 1/HZ s
  mov eax, VEC_TICK
  mov edx, isr_tick
  call idt_set_gate
  mov dword [LAPIC_SVR], 0x1ff
  mov dword [LAPIC_DIVIDE], DIVIDE_BY_1
  mov dword [LAPIC_LVT_TIMER], LVT_PERIODIC | VEC_TICK
  mov [LAPIC_INITIAL], ebx
  PRINT TEST_NAME, ": periodic at 100 Hz, halting between ticks", 10
.idle:
  sti
  hlt
  cli
  mov eax, [ticks]
  cmp eax, [shown]
  je .idle
  mov [shown], eax
  xor edx, edx
  mov ecx, HZ
  div ecx
  test edx, edx
  jnz .idle
  PRINT TEST_NAME, ": "
  mov eax, [ticks]
  call putdec
  PRINT " ticks", 10
  jmp .idle

isr_tick:
  inc dword [ticks]
  mov dword [LAPIC_EOI], 0
  iret

section .data
align 4
ticks: dd 0
shown: dd 0
