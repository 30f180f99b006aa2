; SMP start-up as Linux's wakeup_secondary_cpu_via_init does it (SDM Vol.
; 3A 8.4.4, 11.6.1): with vcpus=2 the second vCPU waits for a SIPI; INIT
; (assert, then de-assert), 10 ms, STARTUP twice with the trampoline's page
; as vector: the second vCPU runs the real-mode trampoline at vector x
; 0x1000 once (the second STARTUP finds it running and is ignored) and
; reads its APIC ID 1 from CPUID. The ICR's delivery status clears and the
; ESR stays 0. INIT again puts it back to waiting; a STARTUP runs the
; trampoline a second time.
%define TEST_NAME "init_sipi_starts_second_vcpu"
%include "lib.inc"
%include "clock.inc"
%include "apic.inc"

TRAMPOLINE equ 0x8000                 ; page 8: STARTUP vector 0x08
AP_COUNT   equ 0x7f00                 ; what the trampoline writes
AP_ID      equ 0x7f04

main:
  call tsc_khz
  mov [khz], eax
  call lapic_enable
  mov esi, trampoline
  mov edi, TRAMPOLINE
  mov ecx, trampoline_end - trampoline
  rep movsb
  mov dword [AP_COUNT], 0
  mov dword [AP_ID], 0xffffffff
  mov dword [LAPIC + LAPIC_ESR], 0
  call start_ap
  mov edx, 1
  call await_ap
  jnc .ran
  FAIL "the second vCPU did not run the trampoline after INIT and STARTUP"
.ran:
  mov eax, [khz]
  imul ecx, eax, 10
  call tsc_wait
  cmp dword [AP_COUNT], 1
  je .once
  FAIL_HEX "the trampoline ran more than once (a STARTUP to a running vCPU):", dword [AP_COUNT]
.once:
  cmp dword [AP_ID], 1
  je .id
  FAIL_HEX "the second vCPU's CPUID APIC ID is not 1:", dword [AP_ID]
.id:
  mov dword [LAPIC + LAPIC_ESR], 0
  mov eax, [LAPIC + LAPIC_ESR]
  test eax, eax
  jz .esr
  FAIL_HEX "ESR after the start-up:", eax
.esr:
  ; INIT and STARTUP again
  call start_ap
  mov edx, 2
  call await_ap
  jnc .again
  FAIL "after a second INIT, STARTUP did not run the trampoline again"
.again:
  PRINT TEST_NAME, ": vCPU 1 started twice through INIT and STARTUP", 10
  PASS

; start_ap: INIT assert and de-assert to APIC ID 1, 10 ms, two STARTUPs
; 200 us apart.
start_ap:
  mov eax, ICR_ASSERT | ICR_LEVEL | DM_INIT
  call icr_to_1
  mov eax, ICR_LEVEL | DM_INIT
  call icr_to_1
  mov eax, [khz]
  imul ecx, eax, 10
  call tsc_wait
  mov eax, DM_STARTUP | (TRAMPOLINE >> 12)
  call icr_to_1
  mov eax, [khz]
  imul ecx, eax, 200
  push eax
  mov eax, ecx
  xor edx, edx
  mov ecx, 1000
  div ecx
  mov ecx, eax
  pop eax
  call tsc_wait
  mov eax, DM_STARTUP | (TRAMPOLINE >> 12)
  call icr_to_1
  ret

; icr_to_1: EAX = ICR low, sent to APIC ID 1; waits for delivery status.
icr_to_1:
  push edx
  mov edx, eax
  mov eax, 1 << 24
  call icr_send
  pop edx
  ret

; await_ap: EDX = the count to wait for; CF set after AWAIT_MS without.
await_ap:
  mov esi, AP_COUNT
  mov ecx, [khz]
  imul ecx, ecx, AWAIT_MS
  jmp await_count

; Real mode, CS = 0x0800: count a run, record the APIC ID, halt.
bits 16
trampoline:
  cli
  xor ax, ax
  mov ds, ax
  mov eax, 1
  cpuid
  shr ebx, 24
  mov [AP_ID], ebx
  lock inc dword [AP_COUNT]
.halt:
  hlt
  jmp .halt                           ; relative: runs anywhere
trampoline_end:
bits 32

section .data
align 4
khz: dd 0
