; A minimal multiboot1 + multiboot2 kernel (32-bit, no paging) for testing the
; emulator harness without the hypervisor: it prints its command line on COM1,
; echoes what is typed, and on 'q' powers the machine off the way the
; hypervisor does (Bochs: "Shutdown" to port 0x8900; QEMU: isa-debug-exit 0xf4).
bits 32
COM1 equ 0x3f8

section .multiboot progbits alloc noexec nowrite align=8
mb1:
  dd 0x1badb002, 0x00000003, -(0x1badb002 + 0x00000003)
align 8
mb2:
  dd 0xe85250d6, 0, mb2_end - mb2, -(0xe85250d6 + (mb2_end - mb2))
  dw 0, 0
  dd 8
mb2_end:

section .text
global _start
_start:
  mov esp, stack_top
  mov [magic], eax
  mov [info], ebx
  ; 115200 8N1, FIFOs on
  mov dx, COM1 + 1
  xor al, al
  out dx, al
  mov dx, COM1 + 3
  mov al, 0x80
  out dx, al
  mov dx, COM1
  mov al, 1
  out dx, al
  mov dx, COM1 + 1
  xor al, al
  out dx, al
  mov dx, COM1 + 3
  mov al, 3
  out dx, al
  mov dx, COM1 + 2
  mov al, 0xc7
  out dx, al
  mov dx, COM1 + 4
  mov al, 3
  out dx, al

  mov esi, msg_hello
  call puts
  ; find the command line
  mov eax, [magic]
  mov ebx, [info]
  cmp eax, 0x2badb002
  jne .mb2
  mov esi, msg_mb1
  call puts
  test dword [ebx], 4
  jz .nocmd
  mov esi, [ebx + 16]
  call puts
  jmp .nocmd
.mb2:
  cmp eax, 0x36d76289
  jne .nocmd
  push esi
  mov esi, msg_mb2
  call puts
  pop esi
  lea ecx, [ebx + 8]          ; first tag
.tag:
  mov eax, [ecx]
  test eax, eax
  jz .nocmd
  cmp eax, 1
  jne .next
  lea esi, [ecx + 8]
  call puts
  jmp .nocmd
.next:
  mov eax, [ecx + 4]
  add eax, 7
  and eax, ~7
  add ecx, eax
  jmp .tag
.nocmd:
  mov esi, msg_nl
  call puts
  mov esi, msg_ready
  call puts

.loop:                         ; echo until 'q'
  mov dx, COM1 + 5
  in al, dx
  test al, 1
  jz .loop
  mov dx, COM1
  in al, dx
  cmp al, 'q'
  je .quit
  cmp al, 13
  jne .echo
  mov al, 10
.echo:
  call putc
  jmp .loop
.quit:
  mov esi, msg_bye
  call puts
  mov dx, COM1 + 5              ; wait until the transmitter is empty
.drain:
  in al, dx
  test al, 0x40
  jz .drain
  mov esi, msg_shutdown         ; Bochs
  mov dx, 0x8900
.sd:
  lodsb
  test al, al
  jz .sd_done
  out dx, al
  jmp .sd
.sd_done:
  mov dx, 0xf4                  ; QEMU isa-debug-exit: status (0 << 1) | 1
  xor eax, eax
  out dx, eax
  cli
.halt:
  hlt
  jmp .halt

putc:                           ; al
  push edx
  push eax
  mov dx, COM1 + 5
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  pop eax
  mov dx, COM1
  out dx, al
  pop edx
  ret

puts:                           ; esi: NUL-terminated
  lodsb
  test al, al
  jz .done
  call putc
  jmp puts
.done:
  ret

section .rodata
msg_hello: db 10, "fixture: hello", 10, 0
msg_mb1: db "fixture: multiboot1 cmdline=", 0
msg_mb2: db "fixture: multiboot2 cmdline=", 0
msg_nl: db 10, 0
msg_ready: db "fixture: ready> ", 0
msg_bye: db 10, "fixture: bye", 10, 0
msg_shutdown: db "Shutdown", 0

section .bss
align 16
magic: resd 1
info: resd 1
stack: resb 4096
stack_top:
