; The privileged instructions the microkernel imports (src/arch/hw.ts), one
; function each (the calling convention: boot/import.inc). A pointer
; argument is a wasm address, which is a physical address, reached through
; the direct map.

%include "layout.inc"
%include "import.inc"

extern hv_lock_acquire, hv_lock_release ; boot/smp.asm

section .text
bits 64

common_imports                  ; inb, inl, outb, outl, rdtsc

import inw                      ; (port) -> u16
    mov edx, esi
    in ax, dx
    movzx eax, ax
    ret

import outw                     ; (port, value)
    mov eax, edx
    mov edx, esi
    out dx, ax
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

; Host interrupts (boot/idt.asm records them in this CPU's PERCPU_IRQ_PENDING).
; The host runs with IF=0; these are the only places interrupts are let in.

; () : sleeps until an interrupt was taken, without the big lock (smp.asm):
; the other CPUs run the microkernel meanwhile. Returns holding it again.
import idle_wait
    call hv_lock_release
    sti                                 ; its one-instruction shadow covers HLT:
    hlt                                 ; no interrupt slips in between
    cli
    call hv_lock_acquire
    ret

import irq_window                       ; () : takes what is pending at the LAPIC
    sti
    nop                                 ; interrupts are recognised after it
    cli
    ret

import irq_take                         ; () -> lowest vector this CPU recorded, cleared; -1 if none
    xor ecx, ecx
.word:
    mov rax, [gs:PERCPU_IRQ_PENDING + rcx*8]
    test rax, rax
    jnz .found
    inc ecx
    cmp ecx, 4
    jb .word
    mov eax, -1
    ret
.found:
    bsf rax, rax
    lock btr [gs:PERCPU_IRQ_PENDING + rcx*8], rax
    shl ecx, 6
    add eax, ecx
    ret

; (address, bits): OR into the u64 at a wasm address, atomically with
; respect to other CPUs (a guest's vCPU may exchange the word meanwhile).
import locked_or64
    mov rax, HV_DIRECT_MAP
    lock or [rax + rsi], rdx
    ret

; Copies / zeroes `n` quadwords at wasm addresses (the direct map), eight
; bytes a step: pages of guest memory and EPT tables, where REP MOVSB's
; byte steps would be eight times the count on a CPU without fast short
; string moves (and in an emulator).
import copy_qwords                      ; (dst, src, n), 32-bit each
    mov esi, esi
    mov edx, edx
    mov ecx, ecx
    mov rax, HV_DIRECT_MAP
    lea rdi, [rax + rsi]
    lea rsi, [rax + rdx]
    rep movsq
    ret

import zero_qwords                      ; (dst, n), 32-bit each
    mov esi, esi
    mov edx, edx
    mov rax, HV_DIRECT_MAP
    lea rdi, [rax + rsi]
    mov rcx, rdx
    xor eax, eax
    rep stosq
    ret

; () : does not return. A fault with an empty IDT is a triple fault: the
; CPU shuts down, which the chipset turns into a reset.
import triple_fault
    lidt [rel empty_idt]
    int3
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

section .data
align 8
empty_idt:
    dw 0
    dq 0
