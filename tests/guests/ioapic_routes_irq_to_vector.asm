; The I/O APIC (82093AA; version 0x20 as the PIIX3 era's) as Linux's
; io_apic.c drives it: at 0xFEC00000 its version register says 0x20 with 24
; pins, the ID reads back what was written, every pin starts masked. The
; PIT's IRQ 0 on pin 2 (the MADT's override), the 8259s masked: edge, the
; vector arrives in service with its TMR bit clear; level, TMR set and the
; entry's remote IRR set until an EOI, which either the EOI register (of the
; version 0x20 I/O APIC) or the LAPIC's EOI broadcast clears; masked, the pin
; is quiet.
%define TEST_NAME "ioapic_routes_irq_to_vector"
%include "lib.inc"
%include "clock.inc"
%include "apic.inc"

VEC_EDGE   equ 0x42
VEC_LEVEL  equ 0x43
PIN        equ 2
RTE_LOW    equ IOAPIC_REDTBL + 2 * PIN
RTE_HIGH   equ RTE_LOW + 1
EDGES      equ 5
; the vectors' bits in ISR/TMR: register (vector / 32) * 0x10, bit vector % 32
ISR_EDGE   equ LAPIC + LAPIC_ISR + (VEC_EDGE / 32) * 0x10
TMR_EDGE   equ LAPIC + LAPIC_TMR + (VEC_EDGE / 32) * 0x10
TMR_LEVEL  equ LAPIC + LAPIC_TMR + (VEC_LEVEL / 32) * 0x10

main:
  call tsc_khz
  mov [khz], eax
  mov eax, IOAPIC_VER
  call ioapic_read
  and eax, 0x00ff00ff
  cmp eax, 0x00170020
  je .version
  FAIL_HEX "version register: not 0x20 with 24 pins:", eax
.version:
  mov eax, IOAPIC_ID
  call ioapic_read
  mov ebx, eax
  mov eax, IOAPIC_ID
  mov edx, 5 << 24
  call ioapic_write
  call ioapic_read
  and eax, 0x0f000000
  cmp eax, 5 << 24
  je .id
  FAIL_HEX "the ID does not read back:", eax
.id:
  mov eax, IOAPIC_ID
  mov edx, ebx
  call ioapic_write
  xor ebx, ebx
.pin:
  lea eax, [IOAPIC_REDTBL + ebx * 2]
  call ioapic_read
  test eax, RTE_MASKED
  jnz .next_pin
  FAIL_HEX "a pin starts unmasked:", ebx
.next_pin:
  inc ebx
  cmp ebx, 24
  jb .pin

  mov eax, VEC_EDGE
  mov edx, isr_edge
  call idt_set_gate
  mov eax, VEC_LEVEL
  mov edx, isr_level
  call idt_set_gate
  call lapic_enable
  mov al, 0x20
  call pic_init                       ; every 8259 input masked
  mov ax, PIT_HZ / PROBE_HZ
  call pit_rate

  ; edge
  mov eax, RTE_HIGH
  xor edx, edx                        ; destination APIC ID 0
  call ioapic_write
  mov eax, RTE_LOW
  mov edx, VEC_EDGE                   ; fixed, physical, edge, high, unmasked
  call ioapic_write
  sti
  mov esi, edges
  mov edx, EDGES
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jnc .edged
  FAIL_HEX "edge: too few interrupts in 20 s:", dword [edges]
.edged:
  cmp dword [bad_edge], 0
  je .edge_ok
  FAIL_HEX "edge: in the handler ISR clear or TMR set; ISR/TMR bits", dword [bad_edge]
.edge_ok:
  ; masked: quiet
  mov eax, RTE_LOW
  mov edx, VEC_EDGE | RTE_MASKED
  call ioapic_write
  mov eax, [khz]
  imul ecx, eax, 3 * PERIOD_MS
  call tsc_wait                       ; one that was on its way may come
  mov ebx, [edges]
  mov eax, [khz]
  imul ecx, eax, 5 * PERIOD_MS
  call tsc_wait
  cmp ebx, [edges]
  je .masked
  FAIL "a masked pin interrupted"
.masked:
  ; level: the handler takes it and does not EOI
  mov eax, RTE_LOW
  mov edx, VEC_LEVEL | RTE_LEVEL
  call ioapic_write
  mov esi, levels
  mov edx, 1
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jnc .leveled
  FAIL "level: no interrupt"
.leveled:
  cmp dword [level_tmr], 0
  jne .tmr
  FAIL "level: its TMR bit clear in the handler"
.tmr:
  test dword [level_rte], RTE_REMOTE_IRR
  jnz .rirr
  FAIL_HEX "level: remote IRR clear in the handler; entry", dword [level_rte]
.rirr:
  mov eax, [khz]
  imul ecx, eax, 5 * PERIOD_MS
  call tsc_wait
  cmp dword [levels], 1
  je .held
  FAIL_HEX "level: delivered again before any EOI:", dword [levels]
.held:
  ; the EOI register clears remote IRR (masked first: the PIT's line is
  ; high, unmasked the pin would fire again at once)
  cli
  mov eax, RTE_LOW
  mov edx, VEC_LEVEL | RTE_LEVEL | RTE_MASKED
  call ioapic_write
  mov dword [IOAPIC + IOAPIC_EOIR], VEC_LEVEL
  mov eax, RTE_LOW
  call ioapic_read
  test eax, RTE_REMOTE_IRR
  jz .eoir
  FAIL_HEX "the EOI register left remote IRR set:", eax
.eoir:
  mov dword [LAPIC + LAPIC_EOI], 0
  ; again, and the LAPIC's EOI broadcast clears it
  mov eax, RTE_LOW
  mov edx, VEC_LEVEL | RTE_LEVEL
  call ioapic_write
  sti
  mov esi, levels
  mov edx, 2
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jnc .again
  FAIL "level: no interrupt after the EOI register cleared remote IRR"
.again:
  cli
  mov eax, RTE_LOW
  mov edx, VEC_LEVEL | RTE_LEVEL | RTE_MASKED
  call ioapic_write
  mov dword [LAPIC + LAPIC_EOI], 0
  mov eax, RTE_LOW
  call ioapic_read
  test eax, RTE_REMOTE_IRR
  jz .broadcast
  FAIL_HEX "the LAPIC's EOI did not clear remote IRR:", eax
.broadcast:
  PRINT TEST_NAME, ": pin 2 edge and level, remote IRR and EOI right", 10
  PASS

isr_edge:
  push eax
  push edx
  mov eax, [ISR_EDGE]
  and eax, 1 << (VEC_EDGE % 32)
  mov edx, [TMR_EDGE]
  and edx, 1 << (VEC_EDGE % 32)
  xor eax, 1 << (VEC_EDGE % 32)
  or eax, edx
  jz .ok
  mov [bad_edge], eax
.ok:
  inc dword [edges]
  mov dword [LAPIC + LAPIC_EOI], 0
  pop edx
  pop eax
  iret

isr_level:
  push eax
  mov eax, [TMR_LEVEL]
  and eax, 1 << (VEC_LEVEL % 32)
  mov [level_tmr], eax
  mov eax, RTE_LOW
  call ioapic_read
  mov [level_rte], eax
  inc dword [levels]
  pop eax
  iret                                ; no EOI: main gives it

section .data
align 4
khz:       dd 0
edges:     dd 0
bad_edge:  dd 0
levels:    dd 0
level_tmr: dd 0
level_rte: dd 0
