; The host IDT: one stub per exception (vectors 0-31) and one per interrupt
; vector (32-255): the host vectors of src/arch/layout.ts (I/O APIC inputs,
; the LAPIC timer, the run-queue IPI, the spurious vector), and the others,
; which nothing should raise but which firmware-programmed sources could.
;
; A fault in the hypervisor prints the vector, error code, RIP, CR2, control
; registers, every GPR and a frame-pointer backtrace on COM1, then halts:
; always diagnosable, whoever holds the serial console.
;
; An interrupt stub only records its vector in this CPU's pending bitmap
; (PERCPU_IRQ_PENDING in its per-CPU block, through GS: the CPU that took an
; interrupt is the one that must EOI it) with a locked BTS and returns: no
; EOI, and no call into the microkernel, whose wasm2c code is not reentrant
; (and which this CPU may not even hold the big lock for, in idle_wait). The host runs with
; IF=0 except inside idle_wait and irq_window (boot/hw.asm); the run loop
; takes the recorded vectors with irq_take and EOIs them (src/platform/irq.ts),
; which counts and reports a vector nobody owns: a stray interrupt must not
; bring the hypervisor down.

%include "layout.inc"
%include "x86.inc"

SEL_CODE64      equ 0x08
FIRST_INTERRUPT equ 32                  ; 0-31: exceptions
SPURIOUS        equ HV_VECTOR_SPURIOUS  ; the last vector; its stub records nothing
IST_DF          equ 1
IST_NMI         equ 2
IST_MC          equ 3

global idt_init, idt, idt_ptr
extern serial_putc, serial_puts, serial_hex64, serial_drain

; Vectors for which the CPU pushes an error code (SDM Vol. 3A, Table 6-1).
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

; Records vector %1 in this CPU's pending bitmap. Flags change, which IRETQ
; restores.
%macro IRQ_STUB 1
irq_%1:
    lock bts qword [gs:PERCPU_IRQ_PENDING + ((%1) / 64) * 8], (%1) % 64
    iretq
%endmacro

section .text
bits 64

%assign v 0
%rep 32
exception_%+v:
%if !HAS_ERROR(v)
    push 0
%endif
    push v
    jmp exception_common
%assign v v+1
%endrep

%assign v FIRST_INTERRUPT
%rep SPURIOUS - FIRST_INTERRUPT
IRQ_STUB v
%assign v v+1
%endrep

; The LAPIC's spurious vector needs no EOI and means nothing.
irq_spurious:
    iretq

; Frame on entry, from RSP up: vector, error code, RIP, CS, RFLAGS, RSP, SS.
exception_common:
    push r15
    push r14
    push r13
    push r12
    push r11
    push r10
    push r9
    push r8
    push rbp
    push rdi
    push rsi
    push rdx
    push rcx
    push rbx
    push rax
    mov rbx, rsp                        ; RBX = saved GPRs, in the order below

    lea rdi, [rel msg_exception]
    call serial_puts
    mov rax, [rbx + 15*8]               ; vector
    lea rdi, [rel mnemonics]
    lea rdi, [rdi + rax*8]
    call serial_puts
    lea rdi, [rel msg_vector]
    call serial_puts
    mov rdi, rax
    call print_dec
    lea rdi, [rel msg_error]
    call serial_puts
    mov rdi, [rbx + 16*8]
    call serial_hex64

    lea rdi, [rel msg_rip]
    call serial_puts
    mov rdi, [rbx + 17*8]
    call serial_hex64
    lea rdi, [rel msg_cs]
    call serial_puts
    mov rdi, [rbx + 18*8]
    call serial_hex64
    lea rdi, [rel msg_rflags]
    call serial_puts
    mov rdi, [rbx + 19*8]
    call serial_hex64
    lea rdi, [rel msg_rsp]
    call serial_puts
    mov rdi, [rbx + 20*8]
    call serial_hex64
    lea rdi, [rel msg_ss]
    call serial_puts
    mov rdi, [rbx + 21*8]
    call serial_hex64

    lea rdi, [rel msg_cr2]
    call serial_puts
    mov rdi, cr2
    call serial_hex64
    lea rdi, [rel msg_cr3]
    call serial_puts
    mov rdi, cr3
    call serial_hex64
    lea rdi, [rel msg_cr0]
    call serial_puts
    mov rdi, cr0
    call serial_hex64
    lea rdi, [rel msg_cr4]
    call serial_puts
    mov rdi, cr4
    call serial_hex64

    ; The GPRs, four to a line.
    xor r12d, r12d
.gpr:
    test r12b, 3
    jnz .same_line
    mov dil, 10
    call serial_putc
    jmp .name
.same_line:
    mov dil, ' '
    call serial_putc
.name:
    lea rdi, [rel gpr_names]
    lea rdi, [rdi + r12*4]
    call serial_puts
    mov dil, '='
    call serial_putc
    mov rdi, [rbx + r12*8]
    call serial_hex64
    inc r12
    cmp r12, 15
    jb .gpr

    ; Backtrace through the RBP chain (the C code keeps frame pointers);
    ; every frame must lie above the previous one and be 8-byte aligned.
    lea rdi, [rel msg_backtrace]
    call serial_puts
    mov r13, [rbx + 6*8]                ; saved RBP
    mov r14, rbx
    mov r12d, 16
.frame:
    cmp r13, r14
    jbe .frames_done
    test r13, 7
    jnz .frames_done
    mov rax, r13
    shr rax, 32
    jnz .frames_done                    ; stacks are in the identity-mapped image
    mov dil, ' '
    call serial_putc
    mov rdi, [r13 + 8]
    call serial_hex64
    mov r14, r13
    mov r13, [r13]
    dec r12d
    jnz .frame
.frames_done:
    lea rdi, [rel msg_halted]
    call serial_puts
    call serial_drain
.halt:
    cli
    hlt
    jmp .halt

; RDI = value, printed in decimal. Clobbers RAX, RCX, RDX, RDI.
print_dec:
    mov rax, rdi
    mov ecx, 10
    xor edx, edx
    div rcx
    test rax, rax
    jz .digit
    push rdx
    mov rdi, rax
    call print_dec
    pop rdx
.digit:
    lea edi, [rdx + '0']
    jmp serial_putc

; ECX = vector, RAX = handler: writes that IDT gate. Clobbers RAX, RDI.
set_gate:
    lea rdi, [rel idt]
    push rcx
    shl ecx, 4
    add rdi, rcx
    pop rcx
    IDT_GATE rdi, SEL_CODE64
    ret

; Fills every gate and loads the IDT. Clobbers RAX, RCX, RDX, RDI.
idt_init:
    lea rdx, [rel stub_table]
    xor ecx, ecx
.exception:
    mov rax, [rdx + rcx*8]
    call set_gate
    inc ecx
    cmp ecx, 32
    jb .exception
    lea rdx, [rel irq_table]
    mov ecx, FIRST_INTERRUPT
.irq:
    mov rax, [rdx + rcx*8 - FIRST_INTERRUPT*8]
    call set_gate
    inc ecx
    cmp ecx, HV_VECTOR_SPURIOUS
    jb .irq
    mov ecx, HV_VECTOR_SPURIOUS
    lea rax, [rel irq_spurious]
    call set_gate
    lea rdi, [rel idt]
    mov byte [rdi + 2*16 + 4], IST_NMI
    mov byte [rdi + 8*16 + 4], IST_DF
    mov byte [rdi + 18*16 + 4], IST_MC
    lidt [rel idt_ptr]
    ret

section .rodata
align 8
stub_table:
%assign v 0
%rep 32
    dq exception_%+v
%assign v v+1
%endrep

irq_table:
%assign v FIRST_INTERRUPT
%rep SPURIOUS - FIRST_INTERRUPT
    dq irq_%+v
%assign v v+1
%endrep

; Eight bytes per vector (SDM Vol. 3A, Table 6-1).
align 8
mnemonics:
    db "#DE", 0, 0, 0, 0, 0,  "#DB", 0, 0, 0, 0, 0,  "NMI", 0, 0, 0, 0, 0,  "#BP", 0, 0, 0, 0, 0
    db "#OF", 0, 0, 0, 0, 0,  "#BR", 0, 0, 0, 0, 0,  "#UD", 0, 0, 0, 0, 0,  "#NM", 0, 0, 0, 0, 0
    db "#DF", 0, 0, 0, 0, 0,  "#CSO", 0, 0, 0, 0,    "#TS", 0, 0, 0, 0, 0,  "#NP", 0, 0, 0, 0, 0
    db "#SS", 0, 0, 0, 0, 0,  "#GP", 0, 0, 0, 0, 0,  "#PF", 0, 0, 0, 0, 0,  "#15", 0, 0, 0, 0, 0
    db "#MF", 0, 0, 0, 0, 0,  "#AC", 0, 0, 0, 0, 0,  "#MC", 0, 0, 0, 0, 0,  "#XM", 0, 0, 0, 0, 0
    db "#VE", 0, 0, 0, 0, 0,  "#CP", 0, 0, 0, 0, 0,  "#22", 0, 0, 0, 0, 0,  "#23", 0, 0, 0, 0, 0
    db "#24", 0, 0, 0, 0, 0,  "#25", 0, 0, 0, 0, 0,  "#26", 0, 0, 0, 0, 0,  "#27", 0, 0, 0, 0, 0
    db "#HV", 0, 0, 0, 0, 0,  "#VC", 0, 0, 0, 0, 0,  "#SX", 0, 0, 0, 0, 0,  "#31", 0, 0, 0, 0, 0

; Four bytes per GPR, in the order exception_common pushes them.
gpr_names:
    db "RAX", 0, "RBX", 0, "RCX", 0, "RDX", 0, "RSI", 0, "RDI", 0, "RBP", 0, "R8", 0, 0
    db "R9", 0, 0, "R10", 0, "R11", 0, "R12", 0, "R13", 0, "R14", 0, "R15", 0

msg_exception:  db 10, "hv: EXCEPTION ", 0
msg_vector:     db " (vector ", 0
msg_error:      db ") error code ", 0
msg_rip:        db 10, "RIP=", 0
msg_cs:         db " CS=", 0
msg_rflags:     db " RFLAGS=", 0
msg_rsp:        db 10, "RSP=", 0
msg_ss:         db " SS=", 0
msg_cr2:        db 10, "CR2=", 0
msg_cr3:        db " CR3=", 0
msg_cr0:        db " CR0=", 0
msg_cr4:        db " CR4=", 0
msg_backtrace:  db 10, "backtrace:", 0
msg_halted:     db 10, "hv: halted", 10, 0

section .bss
align 16
idt:    resb IDT_VECTORS * 16

section .data
align 8
idt_ptr:
    dw IDT_VECTORS * 16 - 1
    dq idt
