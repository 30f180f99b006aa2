; The privileged instructions the microkernel imports (src/arch/hw.ts), one
; function each. wasm2c calls an import `Z_hwZ_<name>` with the module
; instance first, so these are SysV functions that ignore RDI and take their
; arguments from RSI, RDX, RCX. A pointer argument is a wasm address, which
; is a physical address, reached through the direct map.

%include "layout.inc"

%macro import 1
global Z_hwZ_%1
Z_hwZ_%1:
%endmacro

section .text
bits 64

import inb                      ; (port) -> u8
    mov edx, esi
    in al, dx
    movzx eax, al
    ret

import inw                      ; (port) -> u16
    mov edx, esi
    in ax, dx
    movzx eax, ax
    ret

import inl                      ; (port) -> u32
    mov edx, esi
    in eax, dx
    ret

import outb                     ; (port, value)
    mov eax, edx
    mov edx, esi
    out dx, al
    ret

import outw                     ; (port, value)
    mov eax, edx
    mov edx, esi
    out dx, ax
    ret

import outl                     ; (port, value)
    mov eax, edx
    mov edx, esi
    out dx, eax
    ret

import rdmsr                    ; (msr) -> u64
    mov ecx, esi
    rdmsr
    shl rdx, 32
    or rax, rdx
    ret

import wrmsr                    ; (msr, value)
    mov ecx, esi
    mov eax, edx
    shr rdx, 32
    wrmsr
    ret

import cpuid                    ; (leaf, subleaf, out): EAX, EBX, ECX, EDX at out
    push rbx
    mov r8, HV_DIRECT_MAP
    add r8, rcx
    mov eax, esi
    mov ecx, edx
    cpuid
    mov [r8], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    ret

import rdtsc                    ; () -> u64
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret

import read_cr0
    mov rax, cr0
    ret

import read_cr3
    mov rax, cr3
    ret

import read_cr4
    mov rax, cr4
    ret

import write_cr0                ; (value)
    mov cr0, rsi
    ret

import write_cr4                ; (value)
    mov cr4, rsi
    ret

import halt_forever
    cli
.halt:
    hlt
    jmp .halt

; XSAVE state of the guests. The host itself never touches x87/SSE/AVX
; state (the microkernel is built without floating point).
import xsave                            ; (area, mask)
    mov rax, HV_DIRECT_MAP
    add rsi, rax
    mov eax, edx
    shr rdx, 32
    xsave [rsi]
    ret

import xrstor                           ; (area, mask)
    mov rax, HV_DIRECT_MAP
    add rsi, rax
    mov eax, edx
    shr rdx, 32
    xrstor [rsi]
    ret

import xgetbv                           ; (index) -> value
    mov ecx, esi
    xgetbv
    shl rdx, 32
    or rax, rdx
    ret

import xsetbv                           ; (index, value)
    mov ecx, esi
    mov eax, edx
    shr rdx, 32
    xsetbv
    ret
