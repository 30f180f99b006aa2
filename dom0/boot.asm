; Domain 0's entry and its privileged-instruction imports (dom0/hw.ts).
;
; The hypervisor's domain builder enters an ELF64 without a multiboot header
; in 64-bit mode: CR3 = identity map of the first 4 GiB (its PML4 at
; guest-physical 0x1000), RDI = RBX = guest-physical multiboot2 information.
; We take our own stack, add one PML4 entry that aliases the same 4 GiB at
; DOM0_ALIAS (the wasm linear memory base: wasm address == guest-physical
; address, never a C null pointer), and call the runtime shim's hv_start.
;
; Imports are SysV functions `Z_hwZ_<name>(instance, ...)`: RDI (the
; instance) is ignored, the arguments are in RSI, RDX, RCX, R8, R9.

DOM0_ALIAS      equ 0xffff800000000000
ALIAS_PML4_SLOT equ (DOM0_ALIAS >> 39) & 511
STACK_SIZE      equ 0x10000

%macro import 1
global Z_hwZ_%1
Z_hwZ_%1:
%endmacro

extern hv_start
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

import inb                          ; (port) -> u8
    mov edx, esi
    in al, dx
    movzx eax, al
    ret

import outb                         ; (port, value)
    mov eax, edx
    mov edx, esi
    out dx, al
    ret

import vmcall                       ; (nr, a0, a1, a2, a3) -> i64
    mov eax, esi                    ; RAX = nr
    mov rdi, rdx                    ; RDI = a0
    mov rsi, rcx                    ; RSI = a1
    mov rdx, r8                     ; RDX = a2
    mov r10, r9                     ; R10 = a3
    vmcall
    ret

import rdtsc                        ; () -> u64
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret

import halt_forever
    cli
.h: hlt
    jmp .h

section .bss
align 16
stack:
    resb STACK_SIZE
stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
