; Early serial output on COM1 (115200 8N1, polled), for the boot stub's own
; messages and for the exception dump, which must not depend on the microkernel.

COM1        equ 0x3f8
UART_LSR    equ 5
LSR_THRE    equ 0x20
LSR_TEMT    equ 0x40

global serial_init32, serial_puts32
global serial_putc, serial_puts, serial_hex64, serial_drain

section .text
bits 32

; Clobbers EAX, EDX.
serial_init32:
    mov dx, COM1 + 1        ; IER: no interrupts
    xor al, al
    out dx, al
    mov dx, COM1 + 3        ; LCR: DLAB
    mov al, 0x80
    out dx, al
    mov dx, COM1            ; divisor 1 = 115200 baud
    mov al, 1
    out dx, al
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3        ; 8N1
    mov al, 0x03
    out dx, al
    mov dx, COM1 + 2        ; FIFOs on and cleared
    mov al, 0x07
    out dx, al
    mov dx, COM1 + 4        ; DTR, RTS, OUT2
    mov al, 0x0b
    out dx, al
    ret

; ESI = NUL-terminated string. Clobbers EAX, EDX, ESI.
serial_puts32:
.next:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, COM1 + UART_LSR
.wait:
    in al, dx
    test al, LSR_THRE
    jz .wait
    mov al, ah
    mov dx, COM1
    out dx, al
    jmp .next
.done:
    ret

bits 64

; DIL = byte. Writes CR before LF. Clobbers nothing.
serial_putc:
    push rax
    push rdx
    cmp dil, 10
    jne .byte
    mov al, 13
    call .out
.byte:
    mov al, dil
    call .out
    pop rdx
    pop rax
    ret
.out:                       ; AL = byte
    push rax
    mov dx, COM1 + UART_LSR
.wait:
    in al, dx
    test al, LSR_THRE
    jz .wait
    pop rax
    mov dx, COM1
    out dx, al
    ret

; RDI = NUL-terminated string. Clobbers nothing.
serial_puts:
    push rsi
    push rdi
    mov rsi, rdi
.next:
    movzx edi, byte [rsi]
    test dil, dil
    jz .done
    call serial_putc
    inc rsi
    jmp .next
.done:
    pop rdi
    pop rsi
    ret

; RDI = value, printed as 0x and 16 hex digits. Clobbers nothing.
serial_hex64:
    push rcx
    push rdi
    push rsi
    mov rsi, rdi
    mov dil, '0'
    call serial_putc
    mov dil, 'x'
    call serial_putc
    mov ecx, 16
.digit:
    rol rsi, 4
    mov edi, esi
    and edi, 0xf
    cmp dil, 10
    jb .dec
    add dil, 'a' - 10 - '0'
.dec:
    add dil, '0'
    call serial_putc
    loop .digit
    pop rsi
    pop rdi
    pop rcx
    ret

; Waits until the transmitter is empty: emulators drop what is still queued
; when the machine powers off. Clobbers nothing.
serial_drain:
    push rax
    push rdx
    mov dx, COM1 + UART_LSR
.wait:
    in al, dx
    test al, LSR_TEMT
    jz .wait
    pop rdx
    pop rax
    ret
