; The MC146818 RTC as Linux's mc146818_get_time reads it: register D says
; the time is valid (VRT), register B says BCD and 24-hour mode (the PC's
; default), and once update-in-progress (register A bit 7) is clear two
; reads of seconds to year and the century (CMOS 0x32) agree, every field
; valid BCD and in range, the century 20. Over 1.2 s of TSC the clock
; advances as many seconds as the TSC says.
%define TEST_NAME "rtc_reads_consistent_time"
%include "lib.inc"
%include "clock.inc"

REG_A    equ 0x0a
REG_B    equ 0x0b
REG_D    equ 0x0d
CENTURY  equ 0x32
A_UIP    equ 0x80
B_DM     equ 0x04                     ; binary (clear: BCD)
B_24H    equ 0x02
D_VRT    equ 0x80

main:
  mov al, REG_D
  call cmos_read
  test al, D_VRT
  jnz .valid
  FAIL "register D: VRT clear (time not valid)"
.valid:
  mov al, REG_B
  call cmos_read
  and al, B_DM | B_24H
  cmp al, B_24H
  je .mode
  FAIL_HEX "register B not BCD and 24-hour:", eax
.mode:
  mov edi, first
  call read_time
  mov edi, second
  call read_time
  mov esi, first
  mov edi, second
  mov ecx, FIELDS
  repe cmpsb
  je .same
  mov edi, second                     ; a second boundary between the reads: once more
  call read_time
.same:
  ; each field valid BCD and within its range
  xor ebx, ebx
.field:
  movzx eax, byte [second + ebx]
  mov edx, eax
  and edx, 0x0f
  cmp edx, 9
  ja .bad
  cmp eax, 0x9f
  ja .bad
  cmp al, [lo + ebx]
  jb .bad
  cmp al, [hi + ebx]
  ja .bad
  inc ebx
  cmp ebx, FIELDS
  jb .field
  cmp byte [second + 6], 0x20
  je .century
  FAIL_HEX "century (CMOS 0x32) not 20:", dword [second + 6]
.century:
  ; Over at least 1.2 s of TSC the clock advances as the TSC says: the
  ; reads are bracketed by TSC stamps, so time the probe spends descheduled
  ; between them widens the bounds instead of failing it.
  mov edi, second
  mov esi, t_second
  call read_time_stamped
  call tsc_khz
  imul ecx, eax, 1200
  call tsc_wait
  mov edi, third
  mov esi, t_third
  call read_time_stamped
  ; d = third - second in seconds of the day (midnight wraps)
  mov esi, third
  call day_secs
  mov ebx, eax
  mov esi, second
  call day_secs
  sub ebx, eax
  jns .pos
  add ebx, 86400
.pos:
  ; floor(shortest / 1 s) <= d <= floor(longest / 1 s) + 1
  mov esi, t_third                    ; shortest: third's start - second's end
  mov edi, t_second + 8
  call ms_between
  xor edx, edx
  mov ecx, 1000
  div ecx
  cmp ebx, eax
  jb .slow
  mov esi, t_third + 8                ; longest: third's end - second's start
  mov edi, t_second
  call ms_between
  xor edx, edx
  mov ecx, 1000
  div ecx
  inc eax
  cmp ebx, eax
  ja .fast
  PRINT TEST_NAME, ": 20"
  mov al, [second + 5]
  call put_bcd
  PRINT "-"
  mov al, [second + 4]
  call put_bcd
  PRINT "-"
  mov al, [second + 3]
  call put_bcd
  PRINT " "
  mov al, [second + 2]
  call put_bcd
  PRINT ":"
  mov al, [second + 1]
  call put_bcd
  PRINT ":"
  mov al, [second]
  call put_bcd
  PRINT 10
  PASS
.bad:
  FAIL_HEX "a time field is not valid BCD in range, field/value:", ebx
.slow:
  FAIL_HEX "the clock advanced fewer seconds than the TSC did:", ebx
.fast:
  FAIL_HEX "the clock advanced more seconds than the TSC did:", ebx

; read_time: EDI = 7 bytes: seconds, minutes, hours, day, month, year,
; century, read once UIP is clear.
read_time:
  mov ecx, 10000000
.uip:
  mov al, REG_A
  call cmos_read
  test al, A_UIP
  jz .read
  loop .uip
  FAIL "update in progress for ever (register A bit 7)"
.read:
  mov esi, indexes
  mov ecx, FIELDS
.next:
  lodsb
  call cmos_read
  stosb
  loop .next
  ret

; read_time_stamped: read_time into EDI with the TSC before and after it
; at ESI and ESI + 8.
read_time_stamped:
  push esi
  rdtsc
  mov [esi], eax
  mov [esi + 4], edx
  call read_time
  pop esi
  rdtsc
  mov [esi + 8], eax
  mov [esi + 12], edx
  ret

; ms_between: EAX = milliseconds of TSC from the stamp at EDI to the one at
; ESI (later), 0 if it is earlier.
ms_between:
  mov eax, [esi]
  mov edx, [esi + 4]
  sub eax, [edi]
  sbb edx, [edi + 4]
  jb .none
  push eax
  push edx
  call tsc_khz
  mov ecx, eax
  pop edx
  pop eax
  cmp edx, ecx                        ; quotient beyond 32 bits: 49 days
  jae .none
  div ecx
  ret
.none:
  xor eax, eax
  ret

; day_secs: ESI = a time read by read_time; EAX = its second of the day.
day_secs:
  mov al, [esi + 2]
  call bcd_bin
  imul ecx, eax, 3600
  mov al, [esi + 1]
  call bcd_bin
  imul eax, eax, 60
  add ecx, eax
  mov al, [esi]
  call bcd_bin
  add eax, ecx
  ret

; bcd_bin: AL = BCD; EAX = its value.
bcd_bin:
  movzx eax, al
  mov edx, eax
  shr edx, 4
  and eax, 0x0f
  imul edx, edx, 10
  add eax, edx
  ret

; put_bcd: AL = BCD, printed as two digits.
put_bcd:
  push eax
  shr al, 4
  add al, '0'
  call putc
  pop eax
  and al, 0x0f
  add al, '0'
  call putc
  ret

section .rodata
FIELDS equ 7
indexes: db 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, CENTURY
lo:      db 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x19
hi:      db 0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x99

section .bss
first:  resb FIELDS
second: resb FIELDS
third:  resb FIELDS
alignb 8
t_second: resq 2
t_third:  resq 2
