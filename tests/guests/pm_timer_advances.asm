; The ACPI PM timer (ACPI 6.0, 4.8.2.1): the 32-bit counter at PM_TMR_BLK
; (0x608, what the domain's FADT says, TMR_VAL_EXT set) counts at
; 3.579545 MHz. 1000 reads in a row never go back; over one second of the
; TSC (its rate from CPUID 0x40000010) it advances within 0.1 % of
; 3 579 545, as Linux's acpi_pm clocksource and its TSC calibration need.
; The second is tried up to TRIES times, as Linux's calibration retries:
; time the probe spends descheduled between a PM read and its TSC stamp
; only spoils that one.
%define TEST_NAME "pm_timer_advances"
%include "lib.inc"
%include "clock.inc"

PM_TMR      equ 0x608
PM_TMR_HZ   equ 3579545
TRIES       equ 8

main:
  call tsc_khz
  mov [khz], eax
  ; monotonic: each read minus the one before is below 2^31
  mov dx, PM_TMR
  in eax, dx
  mov ebx, eax
  mov ecx, 1000
.mono:
  in eax, dx
  mov esi, eax
  sub esi, ebx
  js .backwards
  mov ebx, eax
  loop .mono
  ; one second of TSC
  mov dword [tries], TRIES
.try:
  mov dx, PM_TMR
  in eax, dx
  mov [pm0], eax
  rdtsc
  mov [t0], eax
  mov eax, [khz]
  imul ecx, eax, 1000
  call tsc_wait
  mov dx, PM_TMR
  in eax, dx
  mov [pm1], eax
  rdtsc
  sub eax, [t0]                       ; the TSC ticks it took (< 2^32)
  ; expected = ticks * PM_TMR_HZ / (kHz * 1000)
  mov ecx, PM_TMR_HZ
  mul ecx
  mov ecx, [khz]
  imul ecx, ecx, 1000
  div ecx
  mov [expected], eax
  mov eax, [pm1]
  sub eax, [pm0]
  mov [got], eax
  sub eax, [expected]
  jns .abs
  neg eax
.abs:
  mov ecx, [expected]
  shr ecx, 10                         ; 0.1 % (1/1024)
  cmp eax, ecx
  jbe .timed
  dec dword [tries]
  jnz .try
  jmp .off
.timed:
  PRINT TEST_NAME, ": "
  mov eax, [got]
  call putdec
  PRINT " PM ticks over 1 s of TSC, expected "
  mov eax, [expected]
  call putdec
  PRINT 10
  PASS
.backwards:
  FAIL_HEX "the PM timer went back by", esi
.off:
  FAIL_HEX "the PM timer is off by more than 0.1 % over 1 s in every try: got", dword [got]

section .data
align 4
khz:      dd 0
tries:    dd 0
t0:       dd 0
pm0:      dd 0
pm1:      dd 0
got:      dd 0
expected: dd 0
