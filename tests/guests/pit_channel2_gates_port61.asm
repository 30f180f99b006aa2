; PIT channel 2 behind port 0x61, as Linux's pit_calibrate_tsc and
; pit_hpet_ptimer_calibrate_cpu use it: GATE2 on (bit 0), the speaker off
; (bit 1), mode 0 with a count for 50 ms; OUT2 (bit 5) reads low until the
; count runs out, then high, 50 ms of the TSC later within 0.5 %. With
; GATE2 off counting stops: OUT2 stays low past the count's time; turned on
; again the count goes on and OUT2 rises. A timing is tried up to TRIES
; times, as Linux's calibration retries: time the probe spends descheduled
; in a measurement only makes that one late.
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
TRIES       equ 8

main:
  call tsc_khz
  mov [khz], eax
  ; gate on, speaker off, then the count
  in al, PORT_B
  and al, ~B_SPEAKER
  or al, B_GATE2
  out PORT_B, al
  mov dword [tries], TRIES
.try:
  call program
  in al, PORT_B
  test al, B_OUT2
  jz .low
  FAIL "OUT2 high right after a mode 0 count"
.low:
  rdtsc
  mov ebx, eax
  mov ecx, 0x7fffffff
.wait:
  in al, PORT_B
  test al, B_OUT2
  jnz .high
  loop .wait
  FAIL "OUT2 never rose"
.high:
  rdtsc
  sub eax, ebx
  mov [took], eax
  ; expected TSC ticks: (LATCH + 1) clocks at PIT_HZ = kHz * 1000 * (LATCH + 1) / PIT_HZ
  ; as q * 1000 + r * 1000 / PIT_HZ with q, r = kHz * (LATCH + 1) divmod PIT_HZ
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
  mov eax, [took]
  sub eax, [expected]
  jns .abs
  neg eax
.abs:
  mov ecx, [expected]
  shr ecx, 8                          ; 0.4 %
  add ecx, 200                        ; the port reads between two polls
  cmp eax, ecx
  jbe .timed
  dec dword [tries]
  jnz .try
  jmp .off
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
  PRINT TEST_NAME, ": OUT2 after "
  mov eax, [took]
  call putdec
  PRINT " TSC ticks, expected "
  mov eax, [expected]
  call putdec
  PRINT 10
  PASS
.off:
  FAIL_HEX "OUT2 rose off the 50 ms mark by more than 0.4 % in every try: TSC ticks", dword [took]

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
