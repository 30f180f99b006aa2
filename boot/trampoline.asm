; The application processors' way from a STARTUP IPI to the microkernel
; (SDM Vol. 3A 9.4.4 "MP Initialization Example", 10.8 "Initializing
; IA-32e Mode").
;
; trampoline_start..trampoline_end is copied by the boot CPU to
; HV_TRAMPOLINE_PA (src/platform/smp.ts) and runs there: real mode at
; CS = HV_TRAMPOLINE_PA >> 4, IP = 0 -> 32-bit protected mode with its own
; small GDT -> long mode on the boot CPU's page tables (TRAMP_CR3), then a
; jump into the image at ap_entry64 with RBX = the CPU's per-CPU block
; (TRAMP_PERCPU). The boot CPU starts one CPU at a time, so the parameters
; are the starting CPU's alone.
;
; ap_entry64 loads the CPU's own GDT (with its own TSS and IST stacks), the
; shared IDT and its own stack, points IA32_GS_BASE at its per-CPU block,
; claims the block (CPU_STATE_STARTING -> ALIVE) and calls apMain with the
; big lock held.

%include "layout.inc"
%include "arch.inc"
%include "x86.inc"

; The trampoline's own GDT.
TSEL_CODE32     equ 0x08
TSEL_DATA       equ 0x10
TSEL_CODE64     equ 0x18

; At HV_TRAMPOLINE_PA: an offset in the copied code as a physical address.
%define AT(label) (HV_TRAMPOLINE_PA + (label) - trampoline_start)

global trampoline_start, trampoline_end, ap_entry64
extern idt_ptr, hv_lock_ticket, hv_lock_wait, hv_lock_release, hv_ap_start

; Never executed where it is linked: only the copy runs.
section .rodata
bits 16
trampoline_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    lgdt [tramp_gdtr - trampoline_start]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword TSEL_CODE32:AT(pm32)

bits 32
pm32:
    mov ax, TSEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    ENABLE_LONG_MODE [HV_TRAMPOLINE_PA + TRAMP_CR3]
    jmp TSEL_CODE64:AT(lm64)

bits 64
lm64:
    mov rbx, [abs HV_TRAMPOLINE_PA + TRAMP_PERCPU]
    jmp [abs HV_TRAMPOLINE_PA + TRAMP_ENTRY]

align 8
tramp_gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08: 32-bit code
    dq 0x00cf92000000ffff               ; 0x10: data
    dq 0x00af9a000000ffff               ; 0x18: 64-bit code
tramp_gdtr:
    dw tramp_gdtr - tramp_gdt - 1
    dd AT(tramp_gdt)
trampoline_end:

section .text
bits 64

; RBX = this CPU's per-CPU block, filled by the boot CPU (stack top, GDTR,
; GDT with its TSS). Interrupts are off and stay off.
ap_entry64:
    mov rsp, [rbx + PERCPU_STACK_TOP]
    lgdt [rbx + PERCPU_GDTR]
    push HOST_SEL_CODE
    lea rax, [rel .cs_loaded]
    push rax
    retfq
.cs_loaded:
    mov ax, HOST_SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov ax, HOST_SEL_TSS
    ltr ax
    lidt [rel idt_ptr]
    mov ecx, IA32_GS_BASE
    mov eax, ebx
    mov rdx, rbx
    shr rdx, 32
    wrmsr
    ; CR0 as the boot CPU has it (entry.asm): caches on, NE, MP.
    mov rax, cr0
    and eax, ~(CR0_CD | CR0_NW | CR0_EM | CR0_TS)
    or eax, CR0_NE | CR0_MP
    mov cr0, rax
    rdtsc
    mov [rbx + PERCPU_UP_TSC], eax
    mov [rbx + PERCPU_UP_TSC + 4], edx

    ; A ticket first, then the claim: the boot CPU holds the lock, sees
    ; ALIVE and yields it, and our ticket is already ahead of its next one.
    ; A CPU it has given up on (FAILED) must not rejoin: it waits its turn,
    ; passes the lock on untouched and halts.
    call hv_lock_ticket
    mov r12d, eax
    mov eax, CPU_STATE_STARTING
    mov ecx, CPU_STATE_ALIVE
    lock cmpxchg [rbx + PERCPU_STATE], ecx
    setz r13b
    mov eax, r12d
    call hv_lock_wait
    test r13b, r13b
    jz .left_out
    mov edi, [rbx + PERCPU_INDEX]
    call hv_ap_start                    ; returns only if the CPU is left out
.left_out:
    call hv_lock_release
.halt:
    cli
    hlt
    jmp .halt
