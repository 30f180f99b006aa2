; kind=flat64: a flat binary loaded at 0x100000 and entered in 64-bit long
; mode at 0x100000 with identity page tables, RSP below 0x80000 and RBX = the
; multiboot2 info. Checks CR0.PG, CR4.PAE, RSP, walks the multiboot2 tags to
; the end tag (printing the command line), then 64-bit hypercalls: HC_VERSION,
; and HC_CONSOLE_WRITE with a gpa whose 64-bit sum with the length wraps
; (0xfffffffffffffff0 + 0x20) and one above 4 GiB (-EFAULT), then a valid one.
; No IDT: any exception here is a triple fault (a failure the runner sees).
%define LIB_CONSTANTS_ONLY
%include "lib.inc"

bits 64
org 0x100000

%macro PUTS 1                         ; PUTS label
  lea rsi, [rel %1]
  call puts
%endmacro
%macro FAIL64 1
  lea rsi, [rel %1]
  jmp fail
%endmacro

start:
  cli
  cld
  mov [rel info], rbx
  mov [rel entry_rsp], rsp
  mov rax, cr0
  bt rax, 31
  jc .pg
  FAIL64 msg_no_pg
.pg:
  mov rax, cr4
  bt rax, 5
  jc .pae
  FAIL64 msg_no_pae
.pae:
  cmp qword [rel entry_rsp], 0x80000
  jbe .rsp
  FAIL64 msg_bad_rsp
.rsp:
  ; multiboot2 info: total_size, reserved, then 8-aligned tags to type 0
  mov rbx, [rel info]
  test rbx, 7
  jnz .bad_info
  mov eax, [rbx]
  cmp eax, 16
  jb .bad_info
  lea r12, [rbx + rax]                ; end of the info
  lea rcx, [rbx + 8]
.tag:
  cmp rcx, r12
  jae .bad_info
  mov eax, [rcx]
  test eax, eax
  jz .tags_done
  cmp eax, 1
  jne .next_tag
  PUTS msg_cmdline
  lea rsi, [rcx + 8]
  call puts
  PUTS msg_nl
.next_tag:
  mov eax, [rcx + 4]
  cmp eax, 8
  jb .bad_info
  add eax, 7
  and eax, ~7
  add rcx, rax
  jmp .tag
.bad_info:
  FAIL64 msg_bad_info
.tags_done:

  mov eax, HC_VERSION
  vmcall
  cmp rax, HYPERCALL_ABI_VERSION
  je .version
  FAIL64 msg_bad_version
.version:
  mov eax, HC_CONSOLE_WRITE
  mov rdi, 0xfffffffffffffff0
  mov esi, 0x20
  vmcall
  cmp rax, EFAULT_RET
  je .wrap
  FAIL64 msg_bad_wrap
.wrap:
  mov eax, HC_CONSOLE_WRITE
  mov rdi, 1 << 40
  mov esi, 1
  vmcall
  cmp rax, EFAULT_RET
  je .high
  FAIL64 msg_bad_high
.high:
  mov eax, HC_CONSOLE_WRITE
  lea rdi, [rel msg_console]
  mov esi, msg_console_len
  vmcall
  cmp rax, msg_console_len
  je .valid
  FAIL64 msg_bad_valid
.valid:
  PUTS msg_pass
  xor eax, eax
  jmp exit

fail:                                 ; RSI = reason
  push rsi
  PUTS msg_fail
  pop rsi
  call puts
  mov al, 1
exit:
  out DEBUG_EXIT_PORT, al
.hang:
  hlt
  jmp .hang

; puts: RSI = NUL-terminated string
puts:
  push rax
  push rcx
  push rdx
.next:
  lodsb
  test al, al
  jz .done
  mov ah, al
  mov ecx, 100000
  mov dx, COM1_LSR
.wait:
  in al, dx
  test al, LSR_THRE
  jnz .ready
  dec ecx
  jnz .wait
.ready:
  mov al, ah
  mov dx, COM1
  out dx, al
  jmp .next
.done:
  pop rdx
  pop rcx
  pop rax
  ret

msg_pass:        db "RESULT long_mode_entry_runs PASS", 10, 0
msg_fail:        db "RESULT long_mode_entry_runs FAIL ", 0
msg_no_pg:       db "CR0.PG is clear", 10, 0
msg_no_pae:      db "CR4.PAE is clear", 10, 0
msg_bad_rsp:     db "RSP above 0x80000 at entry", 10, 0
msg_bad_info:    db "RBX does not point to a well-formed multiboot2 info", 10, 0
msg_bad_version: db "HC_VERSION did not return 0x00010000", 10, 0
msg_bad_wrap:    db "console_write at 0xfffffffffffffff0 len 0x20 (wraps) did not return -EFAULT", 10, 0
msg_bad_high:    db "console_write at 1 TiB did not return -EFAULT", 10, 0
msg_bad_valid:   db "valid console_write did not return its length", 10, 0
msg_cmdline:     db "long_mode_entry_runs: cmdline: ", 0
msg_nl:          db 10, 0
msg_console:     db "long_mode_entry_runs: console_write from 64-bit mode works", 10
msg_console_len  equ $ - msg_console
                 db 0
align 8
info:      dq 0
entry_rsp: dq 0
