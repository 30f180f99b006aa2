; IPIs between two vCPUs (SDM Vol. 3A 11.6) as Linux's smp_call_function
; and NMI backtraces send them, vCPU 1 halted between them: fixed to a
; physical and to a logical (flat model) destination, to all but self, to
; all including self, lowest priority to both (exactly one takes it), an
; NMI; and from vCPU 1 back to vCPU 0. Each arrives exactly once where it
; should and nowhere else.
%define TEST_NAME "ipi_reaches_other_vcpu"
%include "lib.inc"
%include "clock.inc"
%include "apic.inc"

VEC_PHYS    equ 0x60
VEC_LOGICAL equ 0x61
VEC_OTHERS  equ 0x62
VEC_ALL     equ 0x63
VEC_LOWEST  equ 0x64
VEC_BACK    equ 0x65
VECS        equ 6
FLAT        equ 0xffffffff
ARRIVALS    equ 8                    ; 4 fixed and the NMI on vCPU 1, 2 on vCPU 0, lowest priority once

; counts[cpu][vector - VEC_PHYS], nmis[cpu]

%macro GATE 2
  mov eax, %1
  mov edx, %2
  call idt_set_gate
%endmacro

main:
  call tsc_khz
  mov [khz], eax
  GATE VEC_PHYS, isr_60
  GATE VEC_LOGICAL, isr_61
  GATE VEC_OTHERS, isr_62
  GATE VEC_ALL, isr_63
  GATE VEC_LOWEST, isr_64
  GATE VEC_BACK, isr_65
  GATE 2, isr_nmi
  call lapic_enable
  mov dword [LAPIC + LAPIC_DFR], FLAT
  mov dword [LAPIC + LAPIC_LDR], 1 << 24
  mov ecx, 2
  call vcpus_start
  test eax, eax
  jz .started
  FAIL_HEX "HC_VCPU_START failed:", eax
.started:
  mov esi, ap_ready
  mov edx, 1
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  jnc .ready
  FAIL "vCPU 1 did not come up"
.ready:
  sti
  mov dword [ap_send], 1              ; vCPU 1, woken by the first IPI: send VEC_BACK to vCPU 0
  mov eax, 1 << 24
  mov edx, DM_FIXED | VEC_PHYS
  call icr_send
  mov eax, 2 << 24                    ; logical: vCPU 1's bit
  mov edx, ICR_LOGICAL | DM_FIXED | VEC_LOGICAL
  call icr_send
  xor eax, eax
  mov edx, ICR_OTHERS | DM_FIXED | VEC_OTHERS
  call icr_send
  xor eax, eax
  mov edx, ICR_ALL | DM_FIXED | VEC_ALL
  call icr_send
  mov eax, 3 << 24                    ; both
  mov edx, ICR_LOGICAL | DM_LOWEST | VEC_LOWEST
  call icr_send
  mov eax, 1 << 24
  mov edx, DM_NMI
  call icr_send
  ; all of them land (vCPU 1 may wait for a CPU first), then none more
  mov esi, arrived
  mov edx, ARRIVALS
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  call await_count
  mov eax, [khz]
  imul ecx, eax, 20
  call tsc_wait
  ; vCPU 1: one of each but VEC_BACK; vCPU 0: VEC_ALL and VEC_BACK
  mov ebx, expected
  xor ecx, ecx
.check:
  mov eax, [counts + ecx * 4]
  cmp ecx, VEC_LOWEST - VEC_PHYS
  je .lowest
  cmp ecx, VEC_LOWEST - VEC_PHYS + VECS
  je .lowest
  cmp al, [ebx + ecx]
  jne .wrong
.next:
  inc ecx
  cmp ecx, 2 * VECS
  jb .check
  mov eax, [counts + (VEC_LOWEST - VEC_PHYS) * 4]
  add eax, [counts + (VEC_LOWEST - VEC_PHYS + VECS) * 4]
  cmp eax, 1
  jne .lowest_wrong
  cmp dword [nmis], 0
  jne .nmi_wrong
  cmp dword [nmis + 4], 1
  jne .nmi_wrong
  PRINT TEST_NAME, ": physical, logical, shorthands, lowest priority, NMI and back, each once", 10
  PASS
.lowest:
  jmp .next
.wrong:
  xor eax, eax
  mov ecx, 0
.pack:
  shl eax, 4
  or al, [counts + ecx*4]
  inc ecx
  cmp ecx, 8
  jb .pack
  FAIL_HEX "an IPI arrived a wrong number of times; (cpu * 6 + vector - 0x60) << 16 | count:", eax
.lowest_wrong:
  FAIL_HEX "lowest priority to both arrived other than once:", eax
.nmi_wrong:
  mov eax, [nmis + 4]
  shl eax, 16
  or eax, [nmis]
  FAIL_HEX "the NMI did not reach vCPU 1 alone, once; vCPU 1's << 16 | vCPU 0's:", eax

ap_main:
  call lapic_enable
  mov dword [LAPIC + LAPIC_DFR], FLAT
  mov dword [LAPIC + LAPIC_LDR], 2 << 24
  mov dword [ap_ready], 1
  sti
.idle:
  cmp dword [ap_send], 1
  jne .halt
  mov dword [ap_send], 2
  mov dword [LAPIC + LAPIC_ICR_HIGH], 0
  mov dword [LAPIC + LAPIC_ICR_LOW], DM_FIXED | VEC_BACK
.halt:
  hlt
  jmp .idle

; count: [counts + (cpu * VECS + EAX) * 4] += 1, then EOI.
%macro ISR 1
isr_%1:
  push eax
  push edx
  mov eax, 0x%1 - VEC_PHYS
  jmp isr_count
%endmacro
ISR 60
ISR 61
ISR 62
ISR 63
ISR 64
ISR 65

isr_count:
  mov edx, [LAPIC + LAPIC_ID]
  shr edx, 24
  imul edx, edx, VECS
  add eax, edx
  lock inc dword [counts + eax * 4]
  lock inc dword [arrived]
  mov dword [LAPIC + LAPIC_EOI], 0
  pop edx
  pop eax
  iret

isr_nmi:
  push edx
  mov edx, [LAPIC + LAPIC_ID]
  shr edx, 24
  lock inc dword [nmis + edx * 4]
  lock inc dword [arrived]
  pop edx
  iret

section .rodata
;          phys logical others all lowest back
expected: db 0, 0, 0, 1, 0, 1            ; vCPU 0
          db 1, 1, 1, 1, 0, 0            ; vCPU 1

section .data
align 4
khz:      dd 0
ap_ready: dd 0
ap_send:  dd 0
counts:   times 2 * VECS dd 0
nmis:     dd 0, 0
arrived:  dd 0

%include "vcpus.inc"
