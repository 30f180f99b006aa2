; String I/O as the CPU executes it (SDM Vol. 2B INS/OUTS, REP): REP OUTSB
; of a line to COM1 reaches the domain's console (the suite looks for it);
; REP INSB of fw_cfg's signature reads "QEMU", forwards and, with DF set,
; backwards, ECX, ESI/EDI stepped as the CPU steps them; REP INSD of the
; PM timer reads a dword per iteration; REP OUTSW to the CMOS index port
; goes out as two byte cycles (index at 0x70, data at 0x71); a count of 0
; does nothing; with a 16-bit address size only CX and DI count.
%define TEST_NAME "string_io_rep_outsb"
%include "lib.inc"
%include "clock.inc"

FW_SEL   equ 0x510
FW_DATA  equ 0x511
PM_TMR   equ 0x608
LOW_BUF  equ 0x7000                   ; below 64 KiB, for a16
CMOS_FREE equ 0x40                    ; a CMOS byte no one uses

main:
  ; REP OUTSB to the UART
  mov esi, line
  mov ecx, line_end - line
  mov dx, COM1
  cld
  rep outsb
  test ecx, ecx
  jnz .outsb_count
  cmp esi, line_end
  jne .outsb_count
  ; REP INSB forwards
  call select_signature
  mov edi, sig
  mov ecx, 4
  mov dx, FW_DATA
  rep insb
  test ecx, ecx
  jnz .insb_count
  cmp edi, sig + 4
  jne .insb_count
  cmp dword [sig], 'QEMU'
  jne .insb_data
  ; backwards
  call select_signature
  mov edi, sig_back + 3
  mov ecx, 4
  mov dx, FW_DATA
  std
  rep insb
  cld
  cmp edi, sig_back - 1
  jne .back_count
  cmp dword [sig_back], 'UMEQ'
  jne .back_data
  ; a count of 0
  mov dword [sig_back], 0
  mov edi, sig_back
  xor ecx, ecx
  rep insb
  cmp edi, sig_back
  jne .zero
  cmp dword [sig_back], 0
  jne .zero
  ; REP INSD of the PM timer
  mov edi, ticks
  mov ecx, 16
  mov dx, PM_TMR
  rep insd
  cmp edi, ticks + 64
  jne .insd_count
  mov ebx, 1
.mono:
  mov eax, [ticks + ebx * 4]
  sub eax, [ticks + ebx * 4 - 4]
  js .insd_back
  inc ebx
  cmp ebx, 16
  jb .mono
  mov eax, [ticks + 60]
  cmp eax, [ticks]
  je .insd_stuck
  ; REP OUTSW to 0x70: index then data
  mov esi, cmos_word
  mov ecx, 1
  mov dx, 0x70
  rep outsw
  mov al, CMOS_FREE
  call cmos_read
  cmp al, 0x5a
  jne .outsw
  ; a16: CX and DI only
  call select_signature
  mov edi, LOW_BUF
  mov ecx, 0x00010004                 ; CX = 4; bits 31:16 stay
  mov dx, FW_DATA
  a16 rep insb
  cmp ecx, 0x00010000
  jne .a16
  cmp edi, LOW_BUF + 4
  jne .a16
  cmp dword [LOW_BUF], 'QEMU'
  jne .a16
  PASS
.outsb_count:
  FAIL "REP OUTSB left ECX or ESI wrong"
.insb_count:
  FAIL "REP INSB left ECX or EDI wrong"
.insb_data:
  FAIL_HEX "REP INSB of fw_cfg's signature read", dword [sig]
.back_count:
  FAIL "REP INSB with DF set left EDI wrong"
.back_data:
  FAIL_HEX "REP INSB with DF set read", dword [sig_back]
.zero:
  FAIL "REP INSB with ECX 0 did something"
.insd_count:
  FAIL "REP INSD left EDI wrong"
.insd_back:
  FAIL_HEX "REP INSD of the PM timer went back at", ebx
.insd_stuck:
  FAIL "REP INSD of the PM timer read one value 16 times"
.outsw:
  FAIL_HEX "REP OUTSW to 0x70 did not write CMOS 0x40 through 0x71:", eax
.a16:
  FAIL_HEX "a16 REP INSB did not count in CX and DI; ECX", ecx

select_signature:
  mov dx, FW_SEL
  xor eax, eax
  out dx, ax
  ret

section .rodata
line: db TEST_NAME, ": rep outsb reaches the console", 10
line_end:
cmos_word: db CMOS_FREE, 0x5a

section .data
align 4
sig:      dd 0
sig_back: dd 0
ticks:    times 16 dd 0
