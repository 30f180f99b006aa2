; Hostile, runs forever: an interrupt storm from the hypervisor's own
; timer: HC_TIMER_SET with a deadline already past, re-armed from the
; event handler itself, with interrupts on, so the vCPU takes one event
; after another. Every EVENT_LINE events it prints
;   event_timer_storm: events <n>
%define TEST_NAME "event_timer_storm"
%include "lib.inc"

VEC_EVENT  equ 0x40
EVENT_LINE equ 1 << 12

main:
  mov eax, VEC_EVENT
  mov edx, isr_event
  mov edi, event_page
  call events_on
  PRINT TEST_NAME, ": re-arming a timer already due from its own event", 10
  call arm
  sti
.spin:
  hlt
  jmp .spin

; arm: HC_TIMER_SET(1): due at once. A failing call is a FAIL.
arm:
  mov eax, HC_TIMER_SET
  mov edi, 1
  xor esi, esi
  call hcall
  test eax, eax
  jz .armed
  FAIL_HEX "HC_TIMER_SET(1) returned", eax
.armed:
  ret

isr_event:
  pushad
  xor eax, eax                        ; take the pending bits
  xchg [event_page + EVPAGE_PENDING], eax
  inc dword [events]
  test dword [events], EVENT_LINE - 1
  jnz .rearm
  PRINT TEST_NAME, ": events "
  mov eax, [events]
  call putdec
  PRINT 10
.rearm:
  call arm
  popad
  iret

section .data
align 4
events: dd 0
section .bss
alignb 4096
event_page: resb 4096
