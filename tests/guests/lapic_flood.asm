; Not a test by itself: a hostile neighbour for the virtual PC's probes that
; floods its LAPIC: the timer periodic at the shortest period (initial count
; 1, divide by 1), then for ever a self-IPI through the ICR, an NMI to all
; including itself, and EOI storms (four EOIs per interrupt, most with no
; vector in service), with interrupts enabled. The hypervisor must keep it
; to its share and the other domains unharmed. Every TICK_LINE timer
; interrupts (from the handler: with every LAPIC access emulated in Bochs,
; handling one takes longer than the shortest period, so the loop itself
; may starve) it prints
;   lapic_flood: ticks <timer interrupts> rounds <n>
%define TEST_NAME "lapic_flood"
%include "lib.inc"

LAPIC           equ 0xfee00000
LAPIC_EOI       equ LAPIC + 0x0b0
LAPIC_SVR       equ LAPIC + 0x0f0
LAPIC_ICR_LOW   equ LAPIC + 0x300
LAPIC_LVT_TIMER equ LAPIC + 0x320
LAPIC_INITIAL   equ LAPIC + 0x380
LAPIC_DIVIDE    equ LAPIC + 0x3e0
DIVIDE_BY_1     equ 0x0b
LVT_PERIODIC    equ 1 << 17
ICR_SELF        equ 1 << 18
ICR_ALL         equ 2 << 18
ICR_NMI         equ 0x400
VEC_IPI         equ 0x50
VEC_TIMER       equ 0x51
TICK_LINE       equ 1 << 10

main:
  mov eax, VEC_IPI
  mov edx, isr_ipi
  call idt_set_gate
  mov eax, VEC_TIMER
  mov edx, isr_timer
  call idt_set_gate
  mov eax, 2
  mov edx, isr_nmi
  call idt_set_gate
  mov dword [LAPIC_SVR], 0x1ff
  mov dword [LAPIC_DIVIDE], DIVIDE_BY_1
  mov dword [LAPIC_LVT_TIMER], LVT_PERIODIC | VEC_TIMER
  mov dword [LAPIC_INITIAL], 1
  PRINT TEST_NAME, ": timer at count 1, self-IPIs, NMIs and EOI storms", 10
  sti
.round:
  mov dword [LAPIC_ICR_LOW], ICR_SELF | VEC_IPI
  mov dword [LAPIC_ICR_LOW], ICR_ALL | ICR_NMI
  mov dword [LAPIC_EOI], 0
  mov dword [LAPIC_EOI], 0
  inc dword [rounds]
  jmp .round

isr_ipi:
  mov dword [LAPIC_EOI], 0
  mov dword [LAPIC_EOI], 0
  iret

isr_timer:
  inc dword [ticks]
  test dword [ticks], TICK_LINE - 1
  jnz .eoi
  pushad
  PRINT TEST_NAME, ": ticks "
  mov eax, [ticks]
  call putdec
  PRINT " rounds "
  mov eax, [rounds]
  call putdec
  PRINT 10
  popad
.eoi:
  mov dword [LAPIC_EOI], 0
  mov dword [LAPIC_EOI], 0
  iret

isr_nmi:
  iret

section .data
align 4
rounds: dd 0
ticks:  dd 0
