; PIT channel 2 behind port 0x61, as Linux's pit_calibrate_tsc and
; pit_hpet_ptimer_calibrate_cpu use it: GATE2 on (bit 0), the speaker off
; (bit 1), mode 0 with a count for 50 ms; OUT2 (bit 5) reads low until the
; count runs out, then high, 50 ms of the TSC later within 0.5 %. With
; GATE2 off counting stops: OUT2 stays low past the count's time; turned on
; again the count goes on and OUT2 rises. The rise is bracketed by TSC
; stamps, the start of the count too; a try the probe was descheduled
; across is loose and tried again, as Linux's calibration retries.
%define TEST_NAME "pit_channel2_gates_port61"
%include "lib.inc"
%include "clock.inc"

PORT_B      equ 0x61
B_GATE2     equ 0x01
B_SPEAKER   equ 0x02
B_OUT2      equ 0x20
PIT_CMD     equ 0x43
PIT_CH2     equ 0x42
CH2_MODE0   equ 0xb0                  ; counter 2, LSB then MSB, mode 0, binary
PIT_HZ      equ 1193182
LATCH       equ PIT_HZ / 20           ; 50 ms
TRIES       equ 32
GAP         equ 20000                 ; TSC ticks: a few exits, far less than a slice

main:
  call tsc_khz
  mov [khz], eax
  ; gate on, speaker off, then the count
  in al, PORT_B
  and al, ~B_SPEAKER
  or al, B_GATE2
  out PORT_B, al
  call expected_ticks
  mov dword [tries], TRIES
.try:
  rdtsc
  mov ebx, eax                        ; s0: before the count is written
  call program
  rdtsc
  mov [s1], eax                       ; s1: after
  mov esi, eax                        ; TSC before the last read that saw OUT2 low
  in al, PORT_B
  test al, B_OUT2
  jz .low
  FAIL "OUT2 high right after a mode 0 count"
.low:
  mov ecx, 0x7fffffff
.wait:
  rdtsc
  mov edi, eax
  in al, PORT_B
  test al, B_OUT2
  jnz .high
  mov esi, edi
  loop .wait
  FAIL "OUT2 never rose"
.high:
  rdtsc                               ; after the read that saw it high
  ; OUT2 rose after ESI and by EAX; the count says at its start (between
  ; s0 = EBX and s1) + expected, within D = 0.4 % + 200 (a port read). Both
  ; bounds hold however long the probe was descheduled; they are tight
  ; only when it ran across the rise and the start, so such a try is needed.
  mov edx, eax
  sub edx, ebx
  mov [took], edx
  mov ecx, [expected]
  shr ecx, 8
  add ecx, 200                        ; ECX = D
  ; early: EAX < s0 + expected - D
  mov edx, eax
  sub edx, ebx
  add edx, ecx
  cmp edx, [expected]
  jb .off
  ; late: ESI >= s1 + expected + D
  mov edx, esi
  sub edx, [s1]
  sub edx, ecx
  cmp edx, [expected]
  jge .off
  ; tight? the wider bracket, kept at its least over the tries
  sub eax, esi
  mov edx, [s1]
  sub edx, ebx
  cmp eax, edx
  jae .wider
  mov eax, edx
.wider:
  cmp eax, [tightest]
  jae .kept
  mov [tightest], eax
.kept:
  cmp eax, GAP
  jbe .timed
  dec dword [tries]
  jnz .try
  FAIL_HEX "descheduled at the start or the end of the count in every try; the tightest bracket in TSC ticks:", dword [tightest]
.timed:
  ; GATE2 off: no counting
  in al, PORT_B
  and al, ~(B_SPEAKER | B_GATE2)
  out PORT_B, al
  call program
  mov eax, [khz]
  imul ecx, eax, 70                   ; 70 ms, past the count
  call tsc_wait
  in al, PORT_B
  test al, B_OUT2
  jz .held
  FAIL "OUT2 rose with GATE2 off"
.held:
  in al, PORT_B
  or al, B_GATE2
  out PORT_B, al
  mov eax, [khz]
  imul ecx, eax, 60
  call tsc_wait
  in al, PORT_B
  test al, B_OUT2
  jnz .resumed
  FAIL "OUT2 did not rise 60 ms after GATE2 came back on"
.resumed:
  PRINT TEST_NAME, ": OUT2 high by "
  mov eax, [took]
  call putdec
  PRINT " TSC ticks, expected "
  mov eax, [expected]
  call putdec
  PRINT 10
  PASS
.off:
  FAIL_HEX "OUT2 rose off the 50 ms mark by more than 0.4 %: TSC ticks", dword [took]

; expected_ticks: [expected] = (LATCH + 1) clocks at PIT_HZ in TSC ticks,
; kHz * 1000 * (LATCH + 1) / PIT_HZ, as q * 1000 + r * 1000 / PIT_HZ with
; q, r = kHz * (LATCH + 1) divmod PIT_HZ.
expected_ticks:
  mov eax, [khz]
  mov ecx, LATCH + 1
  mul ecx
  mov ecx, PIT_HZ
  div ecx
  imul ebx, eax, 1000
  mov eax, edx
  mov ecx, 1000
  mul ecx
  mov ecx, PIT_HZ
  div ecx
  add eax, ebx
  mov [expected], eax
  ret

; program: counter 2 in mode 0 with LATCH.
program:
  mov al, CH2_MODE0
  out PIT_CMD, al
  mov al, LATCH & 0xff
  out PIT_CH2, al
  mov al, LATCH >> 8
  out PIT_CH2, al
  ret

section .data
align 4
khz:      dd 0
tries:    dd 0
took:     dd 0
expected: dd 0
s1:       dd 0
tightest: dd 0xffffffff
