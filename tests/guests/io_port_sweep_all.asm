; Hostile: every one of the 65,536 I/O ports read as a byte and as a
; dword (the last dwords wrap at 64 KiB), then written with a zero byte
; (but its own UART and the isa-debug-exit port: a zero reaches nothing
; that resets or powers off). Every read that touches no port of the
; virtual PC must float, all ones at its width; afterwards the UART still
; works and the domain lives.
%define TEST_NAME "io_port_sweep_all"
%include "lib.inc"

main:
  ; map: one byte per port, 1 where a device of the PC decodes it
  ; (src/domain/pc.ts, src/lifecycle/builder.ts)
  mov esi, assigned
.range:
  movzx ebx, word [esi]
  movzx ecx, word [esi + 2]
  test ecx, ecx
  jz .mapped
.mark:
  mov byte [map + ebx], 1
  inc ebx
  loop .mark
  add esi, 4
  jmp .range
.mapped:
  PRINT TEST_NAME, ": reading every port as a byte and a dword", 10
  xor ebx, ebx
.read:
  mov edx, ebx
  in al, dx
  cmp byte [map + ebx], 0
  jne .byte_done
  cmp al, 0xff
  je .byte_done
  FAIL_HEX "an unassigned port does not read 0xff as a byte:", ebx
.byte_done:
  in eax, dx
  call dword_unassigned
  jnz .dword_done
  cmp eax, 0xffffffff
  je .dword_done
  FAIL_HEX "an unassigned port does not read all ones as a dword:", ebx
.dword_done:
  inc ebx
  cmp ebx, 0x10000
  jb .read
  PRINT TEST_NAME, ": writing 0 to every port", 10
  xor ebx, ebx
.write:
  mov edx, ebx
  cmp edx, DEBUG_EXIT_PORT
  jb .out
  cmp edx, DEBUG_EXIT_PORT + 3
  jbe .next
  cmp edx, COM1
  jb .out
  cmp edx, COM1 + 7
  jbe .next
.out:
  xor eax, eax
  out dx, al
.next:
  inc ebx
  cmp ebx, 0x10000
  jb .write
  mov dx, 0x1234
  in eax, dx
  cmp eax, 0xffffffff
  je .floats
  FAIL_HEX "port 0x1234 does not float after the sweep:", eax
.floats:
  PRINT TEST_NAME, ": 65536 ports read twice and written, the UART still works", 10
  PASS

; dword_unassigned: ZF=1 when none of ports EBX..EBX+3 (mod 64 KiB) is
; decoded. Keeps all registers.
dword_unassigned:
  push eax
  push ecx
  xor eax, eax
  xor ecx, ecx
.byte:
  push ebx
  add ebx, ecx
  and ebx, 0xffff
  or al, [map + ebx]
  pop ebx
  inc ecx
  cmp ecx, 4
  jb .byte
  test al, al
  pop ecx
  pop eax
  ret

section .rodata
align 2
assigned:                                ; base, count
  dw 0x20, 2, 0xa0, 2, 0x4d0, 2          ; 8259s, ELCR
  dw 0x40, 4, 0x61, 1                    ; PIT, port B
  dw 0x60, 1, 0x64, 1, 0x92, 1           ; 8042, port A
  dw 0x70, 2                             ; RTC
  dw DEBUG_EXIT_PORT, 4                  ; isa-debug-exit
  dw COM1, 8                             ; UART
  dw 0x510, 2                            ; fw_cfg
  dw 0x600, 12                           ; ACPI PM1a, PM timer
  dw 0xcf8, 8                            ; PCI configuration, reset control
  dw 0, 0

section .bss
map: resb 0x10000
