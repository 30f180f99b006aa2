; Hostile, runs forever: x2APIC mode, its timer periodic at the shortest
; period (initial count 1, divide by 1), and with interrupts on a loop of
; self-IPIs through both x2APIC paths (the SELF IPI MSR and the ICR with
; the self shorthand) and EOIs with nothing in service. The IPI's vector
; outranks the timer's, so both are taken. Every TICK_LINE timer
; interrupts it prints
;   x2apic_self_ipi_flood: ticks <timer interrupts> ipis <n>
%define TEST_NAME "x2apic_self_ipi_flood"
%include "lib.inc"

IA32_APIC_BASE  equ 0x1b
APIC_BASE_EXTD  equ 1 << 10
CPUID_1_ECX_X2APIC equ 1 << 21
X2APIC_EOI      equ 0x80b
X2APIC_SVR      equ 0x80f
X2APIC_ICR      equ 0x830
X2APIC_LVT_TIMER equ 0x832
X2APIC_INITIAL  equ 0x838
X2APIC_DIVIDE   equ 0x83e
X2APIC_SELF_IPI equ 0x83f
DIVIDE_BY_1     equ 0x0b
LVT_PERIODIC    equ 1 << 17
ICR_SELF        equ 1 << 18
VEC_IPI         equ 0x61
VEC_TIMER       equ 0x51
TICK_LINE       equ 1 << 10

; X2W msr, value: wrmsr of a 32-bit value.
%macro X2W 2
  mov ecx, %1
  mov eax, %2
  xor edx, edx
  wrmsr
%endmacro

main:
  mov eax, 1
  cpuid
  test ecx, CPUID_1_ECX_X2APIC
  jnz .has_x2apic
  FAIL "CPUID reports no x2APIC"
.has_x2apic:
  mov eax, VEC_IPI
  mov edx, isr_ipi
  call idt_set_gate
  mov eax, VEC_TIMER
  mov edx, isr_timer
  call idt_set_gate
  mov ecx, IA32_APIC_BASE
  rdmsr
  or eax, APIC_BASE_EXTD
  wrmsr
  X2W X2APIC_SVR, 0x1ff
  X2W X2APIC_DIVIDE, DIVIDE_BY_1
  X2W X2APIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER
  X2W X2APIC_INITIAL, 1
  PRINT TEST_NAME, ": x2APIC timer at count 1, self-IPIs and EOI storms", 10
  sti
.round:
  X2W X2APIC_SELF_IPI, VEC_IPI
  X2W X2APIC_ICR, ICR_SELF | VEC_IPI
  X2W X2APIC_EOI, 0
  jmp .round

isr_ipi:
  inc dword [ipis]
  push eax
  push ecx
  push edx
  X2W X2APIC_EOI, 0
  pop edx
  pop ecx
  pop eax
  iret

isr_timer:
  pushad
  inc dword [ticks]
  test dword [ticks], TICK_LINE - 1
  jnz .eoi
  PRINT TEST_NAME, ": ticks "
  mov eax, [ticks]
  call putdec
  PRINT " ipis "
  mov eax, [ipis]
  call putdec
  PRINT 10
.eoi:
  X2W X2APIC_EOI, 0
  popad
  iret

section .data
align 4
ipis:  dd 0
ticks: dd 0
