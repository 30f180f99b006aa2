; kind=realmode: a flat binary loaded at 0x7c00 and entered in real mode at
; 0000:7c00. Checks CR0.PE=0 (smsw), CS=0 and IP=0x7cxx, prints via the UART
; with `out dx, al`, exits via isa-debug-exit. It also carries a boot-sector
; signature so it can be booted bare as a raw disk image.
%define LIB_CONSTANTS_ONLY
%include "lib.inc"

bits 16
org 0x7c00

start:
  cli
  cld
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7c00
  smsw ax
  test al, 1
  jnz fail_pe
  mov ax, cs
  test ax, ax
  jnz fail_cs
  call .here
.here:
  pop ax
  cmp ax, .here
  jne fail_ip
  mov si, msg_pass
  call puts
  xor al, al
  jmp exit

fail_pe:
  mov si, msg_fail_pe
  jmp fail
fail_cs:
  mov si, msg_fail_cs
  jmp fail
fail_ip:
  mov si, msg_fail_ip
fail:
  push si
  mov si, msg_fail
  call puts
  pop si
  call puts
  mov al, 1
exit:
  out DEBUG_EXIT_PORT, al
.hang:
  hlt
  jmp .hang

; puts: DS:SI = NUL-terminated string
puts:
  lodsb
  test al, al
  jz .done
  mov bl, al
  mov cx, 0xffff
  mov dx, COM1_LSR
.wait:
  in al, dx
  test al, LSR_THRE
  jnz .ready
  loop .wait
.ready:
  mov al, bl
  mov dx, COM1
  out dx, al
  jmp puts
.done:
  ret

msg_pass:    db "RESULT real_mode_entry_runs PASS", 10, 0
msg_fail:    db "RESULT real_mode_entry_runs FAIL ", 0
msg_fail_pe: db "CR0.PE is set (not real mode)", 10, 0
msg_fail_cs: db "CS is not 0 at entry", 10, 0
msg_fail_ip: db "not running at 0x7c00", 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
