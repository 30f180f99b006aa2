; The shell's demonstration guest: prints "counter 1", "counter 2", ... on
; its UART, one line per `delay=` iterations of a delay loop (default
; 4000000), so its progress shows in its console ring and the log, and stops
; while it is paused. After each line it reports bytes typed at its UART
; ("counter: got 0x78"). With `limit=N` it halts (interrupts off: blocked,
; still live) after N lines. It never exits.
%define TEST_NAME "counter"
%include "lib.inc"

COM1_RBR        equ COM1
LSR_DR          equ 0x01
DEFAULT_DELAY   equ 4000000

main:
  mov esi, key_delay
  mov edx, DEFAULT_DELAY
  call cmdline_dec
  test eax, eax
  jnz .delay_ok
  inc eax
.delay_ok:
  mov [delay], eax
  mov esi, key_limit
  xor edx, edx
  call cmdline_dec
  mov [limit], eax
.line:
  inc dword [count]
  PRINT "counter "
  mov eax, [count]
  call putdec
  PRINT 10
  call report_input
  mov eax, [limit]
  test eax, eax
  jz .wait
  cmp eax, [count]
  jbe .halt
.wait:
  mov ecx, [delay]
.spin:
  dec ecx
  jnz .spin
  jmp .line
.halt:
  cli
  hlt
  jmp .halt

; Prints each byte waiting in the UART's receiver.
report_input:
  push eax
  push edx
.next:
  mov dx, COM1_LSR
  in al, dx
  test al, LSR_DR
  jz .done
  mov dx, COM1_RBR
  in al, dx
  movzx eax, al
  PRINT "counter: got 0x"
  shl eax, 24
  push ecx
  mov ecx, 2
.digit:
  rol eax, 4
  push eax
  and eax, 0xf
  mov al, [hex_digits + eax]
  call putc
  pop eax
  dec ecx
  jnz .digit
  pop ecx
  PRINT 10
  jmp .next
.done:
  pop edx
  pop eax
  ret

section .rodata
key_delay: db "delay=", 0
key_limit: db "limit=", 0

section .data
align 4
delay: dd 0
limit: dd 0
count: dd 0
