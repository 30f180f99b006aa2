; Domain 0's entry, its IDT and its privileged-instruction imports (dom0/hw.ts).
;
; The hypervisor's domain builder enters an ELF64 without a multiboot header
; in 64-bit mode: CR3 = identity map of the first 4 GiB (its PML4 at
; guest-physical 0x1000), the builder's GDT (code64 0x08, data 0x10),
; RDI = RBX = guest-physical multiboot2 information. We take our own stack,
; add one PML4 entry that aliases the same 4 GiB at DOM0_ALIAS (the wasm
; linear memory base: wasm address == guest-physical address, never a C null
; pointer), and call the runtime shim's hv_start.
;
; Imports follow boot/import.inc (SysV, RDI the ignored instance). A wasm
; address argument is a guest-physical address: used through DOM0_ALIAS.

DOM0_ALIAS      equ 0xffff800000000000
ALIAS_PML4_SLOT equ (DOM0_ALIAS >> 39) & 511
STACK_SIZE      equ 0x10000
SEL_CODE64      equ 0x08                ; the builder's GDT (GUEST_GDT_GPA)

%include "import.inc"
%include "x86.inc"

extern hv_start
extern serial_puts, serial_hex64, serial_drain
global _start

section .text
bits 64

_start:
    cli
    cld
    lea rsp, [rel stack_top]
    mov r12, rbx                    ; multiboot2 information (guest-physical)
    ; Alias: PML4[slot] = PML4[0] (the PDPT of the identity map).
    mov rax, cr3
    and rax, ~0xfff
    mov rdx, [rax]
    mov [rax + ALIAS_PML4_SLOT * 8], rdx
    mov cr3, rax
    mov rdi, r12
    call hv_start
.hang:
    hlt
    jmp .hang

common_imports                      ; inb, inl, outb, outl, rdtsc

; (port, wasm address, words): `rep insw` into the buffer through
; DOM0_ALIAS. The address is a u32 (its register's upper half is undefined
; in SysV): zero-extended. DF is clear (SysV, and _start's cld).
import insw
    mov edi, edx                    ; RDI = buffer
    mov rax, DOM0_ALIAS
    add rdi, rax
    mov edx, esi                    ; DX = port
    mov ecx, ecx                    ; RCX = words
    rep insw
    ret

import outsw                        ; (port, wasm address, words): `rep outsw`, the same way
    mov eax, edx                    ; the buffer, zero-extended
    mov edx, esi                    ; DX = port
    mov rsi, DOM0_ALIAS
    add rsi, rax                    ; RSI = buffer
    mov ecx, ecx                    ; RCX = words
    rep outsw
    ret

; (crc, wasm address, bytes) -> crc: SSE4.2's CRC32 (CRC-32C), eight
; bytes an instruction, then the tail a byte at a time; the register raw
; (the caller inverts).
import crc32c
    mov eax, esi                    ; EAX = crc
    mov edx, edx
    mov rsi, DOM0_ALIAS
    add rsi, rdx                    ; RSI = buffer
    mov ecx, ecx                    ; RCX = bytes
.qwords:
    cmp rcx, 8
    jb .bytes
    crc32 rax, qword [rsi]
    add rsi, 8
    sub rcx, 8
    jmp .qwords
.bytes:
    test rcx, rcx
    jz .done
    crc32 eax, byte [rsi]
    inc rsi
    dec rcx
    jmp .bytes
.done:
    ret

import cpu_has_sse42                ; () -> bool: CPUID.1:ECX.SSE4_2 (bit 20)
    push rbx                        ; CPUID writes EBX, callee-saved
    mov eax, 1
    xor ecx, ecx
    cpuid
    pop rbx
    mov eax, ecx
    shr eax, 20
    and eax, 1
    ret

import vmcall                       ; (nr, a0, a1, a2, a3) -> i64
    mov eax, esi                    ; RAX = nr
    mov rdi, rdx                    ; RDI = a0
    mov rsi, rcx                    ; RSI = a1
    mov rdx, r8                     ; RDX = a2
    mov r10, r9                     ; R10 = a3
    vmcall
    ret

import halt_forever
    cli
.h: hlt
    jmp .h

import irq_disable                  ; cli
    cli
    ret

import irq_enable                   ; sti
    sti
    ret

; STI's one-instruction shadow makes `sti; hlt` atomic: an interrupt that
; became pending while IF was 0 wakes the HLT instead of being taken before
; it. Returns with interrupts enabled, after the handler ran.
import wait_interrupt
    sti
    hlt
    ret

import xchg64                       ; (wasm address, value) -> old value; locked
    mov rax, DOM0_ALIAS
    add rsi, rax
    mov rax, rdx
    xchg [rsi], rax
    ret

; (event vector): fills the 32 exception gates and the event gate, loads the
; IDT. Other vectors stay not-present (an unexpected one reports as #NP).
import idt_init
    lea rdi, [rel idt]
    lea rdx, [rel stub_table]
    xor ecx, ecx
.gate:
    mov rax, [rdx + rcx*8]
    call set_gate
    inc ecx
    cmp ecx, 32
    jb .gate
    movzx ecx, sil
    lea rax, [rel event_stub]
    call set_gate
    lidt [rel idt_ptr]
    ret

; RAX = handler, ECX = vector, RDI = idt. Clobbers RAX, R8.
set_gate:
    mov r8, rcx
    shl r8, 4
    add r8, rdi
    IDT_GATE r8, SEL_CODE64
    ret

; The event vector: the pending bits are in the event page; the main loop
; takes them after HLT returns. Nothing to acknowledge (a virtual injection).
event_stub:
    iretq

; Exceptions: a fault in Domain 0 is a Domain 0 bug. Report the vector,
; error code, RIP and CR2 on COM1 and stop (interrupts off, HLT: the
; hypervisor blocks the vCPU).
%assign v 0
%rep 32
exception_%+v:
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
%else
    push 0
%endif
    push v
    jmp exception_common
%assign v v+1
%endrep

; Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS
exception_common:
    cli
    lea rdi, [rel msg_exception]
    call serial_puts
    mov rdi, [rsp]
    call serial_hex64
    lea rdi, [rel msg_error]
    call serial_puts
    mov rdi, [rsp + 8]
    call serial_hex64
    lea rdi, [rel msg_rip]
    call serial_puts
    mov rdi, [rsp + 16]
    call serial_hex64
    lea rdi, [rel msg_rsp]
    call serial_puts
    mov rdi, [rsp + 40]
    call serial_hex64
    lea rdi, [rel msg_cr2]
    call serial_puts
    mov rdi, cr2
    call serial_hex64
    lea rdi, [rel msg_halted]
    call serial_puts
    call serial_drain
.h: hlt
    jmp .h

section .rodata
align 8
stub_table:
%assign v 0
%rep 32
    dq exception_%+v
%assign v v+1
%endrep

msg_exception:  db 10, "dom0: EXCEPTION vector ", 0
msg_error:      db " error code ", 0
msg_rip:        db " at RIP=", 0
msg_rsp:        db " RSP=", 0
msg_cr2:        db " CR2=", 0
msg_halted:     db 10, "dom0: halted", 10, 0

section .data
align 8
idt_ptr:
    dw IDT_VECTORS * 16 - 1
    dq idt

section .bss
align 16
idt:
    resb IDT_VECTORS * 16
stack:
    resb STACK_SIZE
stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
