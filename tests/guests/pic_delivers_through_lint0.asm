; The 8259A pair (8259A data sheet; the PIIX's ELCR) in the PC's virtual-
; wire mode, as Linux's i8259.c and a kernel without ACPI run it: the BSP's
; LVT LINT0 is ExtINT; the PIT's IRQ 0 through the master arrives at ICW2's
; vector, in service (OCW3 read ISR) until a non-specific EOI, its IRR bit
; raised again while in service and the next one held back; the IMR reads
; back and masking IRQ 0 makes it quiet; so does masking LINT0 (the I/O
; APIC's pin 2 is masked throughout). The ELCR keeps IRQ 0, 1, 2 edge. Then
; auto-EOI (ICW4 AEOI): no EOI needed, nothing stays in service.
%define TEST_NAME "pic_delivers_through_lint0"
%include "lib.inc"
%include "clock.inc"
%include "apic.inc"

VEC_BASE equ 0x30
ELCR1    equ 0x4d0
TICKS    equ 5

main:
  call tsc_khz
  mov [khz], eax
  mov eax, VEC_BASE
  mov edx, isr_irq0
  call idt_set_gate
  mov eax, VEC_BASE + 7               ; the master's spurious IRQ 7
  mov edx, isr_spurious7
  call idt_set_gate
  call lapic_enable
  mov eax, [LAPIC + LAPIC_LVT_LINT0]
  and eax, LVT_MASKED | (7 << 8)
  cmp eax, DM_EXTINT
  je .virtual_wire
  FAIL_HEX "the BSP's LVT LINT0 is not an unmasked ExtINT:", eax
.virtual_wire:
  mov al, VEC_BASE
  call pic_init
  ; ELCR: IRQ 0, 1 and 2 cannot be level
  mov dx, ELCR1
  mov al, 0xff
  out dx, al
  in al, dx
  test al, 0x07
  jz .elcr
  FAIL_HEX "ELCR: IRQ 0-2 set level:", eax
.elcr:
  mov al, 0x00
  out dx, al
  ; IMR reads back
  mov al, 0xfe
  out PIC1_DATA, al
  in al, PIC1_DATA
  cmp al, 0xfe
  je .imr
  FAIL_HEX "the master's IMR does not read back:", eax
.imr:
  mov ax, PIT_HZ / PROBE_HZ
  call pit_rate
  sti
  mov esi, ticks
  mov edx, TICKS
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jnc .ticked
  FAIL_HEX "too few IRQ 0 interrupts in 20 s:", dword [ticks]
.ticked:
  cmp dword [not_in_service], 0
  je .isr
  FAIL "IRQ 0 not in service (OCW3 read ISR) in its handler"
.isr:
  ; in service without an EOI: the next IRQ 0 waits in IRR
  mov dword [hold], 1
  mov eax, [ticks]
  inc eax
  mov edx, eax
  mov esi, ticks
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jc .no_held
  mov eax, [khz]
  imul ecx, eax, 5 * PERIOD_MS
  call tsc_wait                       ; 5 periods
  cli
  mov ebx, [ticks]
  mov al, PIC_READ_IRR
  out PIC1_CMD, al
  in al, PIC1_CMD
  test al, 1
  jnz .pending
  FAIL "IRQ 0 not in IRR while in service"
.pending:
  mov al, PIC_READ_ISR
  out PIC1_CMD, al
  in al, PIC1_CMD
  test al, 1
  jnz .still
  FAIL "IRQ 0 left service without an EOI"
.still:
  sti
  mov eax, [khz]
  imul ecx, eax, 5 * PERIOD_MS
  call tsc_wait
  cmp ebx, [ticks]
  je .held
  FAIL "IRQ 0 delivered again while in service"
.held:
  mov dword [hold], 0
  mov al, PIC_EOI
  out PIC1_CMD, al
  mov eax, [ticks]
  add eax, 2
  mov edx, eax
  mov esi, ticks
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jnc .eoi
  FAIL "no IRQ 0 after the EOI"
.eoi:
  ; IMR: quiet
  mov al, 0xff
  out PIC1_DATA, al
  call quiet
  jnc .imr_quiet
  FAIL "IRQ 0 masked in the IMR still interrupted"
.imr_quiet:
  ; LINT0 masked: quiet
  mov dword [LAPIC + LAPIC_LVT_LINT0], LVT_MASKED | DM_EXTINT
  mov al, 0xfe
  out PIC1_DATA, al
  call quiet
  jnc .lint0_quiet
  FAIL "IRQ 0 still interrupted with LINT0 masked"
.lint0_quiet:
  mov dword [LAPIC + LAPIC_LVT_LINT0], DM_EXTINT
  ; auto-EOI: the handler sends none
  cli
  mov al, 0x11
  out PIC1_CMD, al
  mov al, VEC_BASE
  out PIC1_DATA, al
  mov al, 0x04
  out PIC1_DATA, al
  mov al, 0x03                        ; ICW4: 8086 mode, AEOI
  out PIC1_DATA, al
  mov al, 0xfe
  out PIC1_DATA, al
  mov dword [aeoi], 1
  mov dword [not_in_service], 0
  sti
  mov eax, [ticks]
  add eax, TICKS
  mov edx, eax
  mov esi, ticks
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jnc .auto
  FAIL "auto-EOI: too few IRQ 0 interrupts"
.auto:
  cmp dword [in_service], 0
  je .aeoi_ok
  FAIL "auto-EOI: IRQ 0 in service in its handler"
.aeoi_ok:
  PRINT TEST_NAME, ": IRQ 0 through LINT0, in service until EOI, masks and auto-EOI right", 10
  PASS
.no_held:
  FAIL "no IRQ 0 to hold in service"

; quiet: CF set if IRQ 0 interrupted in 5 periods (after 2 for one on its way).
quiet:
  mov eax, [khz]
  imul ecx, eax, 2 * PERIOD_MS
  call tsc_wait
  mov ebx, [ticks]
  mov eax, [khz]
  imul ecx, eax, 5 * PERIOD_MS
  call tsc_wait
  cmp ebx, [ticks]
  je .yes
  stc
  ret
.yes:
  clc
  ret

isr_irq0:
  push eax
  inc dword [ticks]
  mov al, PIC_READ_ISR
  out PIC1_CMD, al
  in al, PIC1_CMD
  and eax, 1
  cmp dword [aeoi], 0
  jne .aeoi
  xor eax, 1
  or [not_in_service], eax
  cmp dword [hold], 0
  jne .out
  mov al, PIC_EOI
  out PIC1_CMD, al
  jmp .out
.aeoi:
  or [in_service], eax
.out:
  pop eax
  iret

isr_spurious7:
  iret

section .data
align 4
khz:            dd 0
ticks:          dd 0
hold:           dd 0
aeoi:           dd 0
not_in_service: dd 0
in_service:     dd 0
