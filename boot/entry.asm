; From the boot loader to the microkernel.
;
; Entered in 32-bit protected mode, paging off, EAX = multiboot magic, EBX =
; multiboot information (multiboot1 or 2). Checks for long mode, maps the
; first 4 GiB twice with 2 MiB pages (identity for this image, and at
; HV_DIRECT_MAP for the wasm linear memory), enters 64-bit mode with our own
; GDT, TSS and IDT, points IA32_GS_BASE at the boot CPU's per-CPU block, takes
; the big lock (smp.asm) and calls hv_start(handoff) in the runtime shim.

%include "layout.inc"
%include "arch.inc"
%include "x86.inc"

SEL_CODE64      equ 0x08
SEL_DATA        equ 0x10
SEL_TSS         equ 0x18

global entry32, handoff, gdt_tss, tss
extern serial_init32, serial_puts32, serial_puts, idt_init, hv_start, idt, vm_exit, vm_exit_floor
extern hv_lock_acquire, trampoline_start, trampoline_end, ap_entry64
extern _native_end, _bss_start, _bss_end

section .text.entry32
bits 32

entry32:
    cli
    cld
    mov esp, boot_stack_top
    mov [handoff + HANDOFF_MB_MAGIC], eax
    mov [handoff + HANDOFF_MB_INFO], ebx
    rdtsc
    mov [handoff + HANDOFF_ENTRY_TSC], eax
    mov [handoff + HANDOFF_ENTRY_TSC + 4], edx
    ; The bss (page tables, stacks, and the wasm data and heap, which the
    ; wasm module assumes zeroed) is zeroed here: not every loader does it.
    mov edi, _bss_start
    mov ecx, _bss_end
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd
    call serial_init32

    ; CPUID exists when EFLAGS.ID can be toggled.
    pushfd
    pop eax
    mov ecx, eax
    xor eax, RFLAGS_ID
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    cmp eax, ecx
    je .no_long_mode
    mov eax, CPUID_LEAF_EXT_MAX
    cpuid
    cmp eax, CPUID_LEAF_EXT_FEATURES
    jb .no_long_mode
    mov eax, CPUID_LEAF_EXT_FEATURES
    cpuid
    test edx, CPUID_80000001_EDX_LM
    jz .no_long_mode

    ; PML4[0] (identity) and PML4[256] (HV_DIRECT_MAP) share one PDPT whose
    ; four entries cover 0-4 GiB with 2 MiB pages. Memory types come from the
    ; firmware's MTRRs (MMIO holes are UC there).
    mov eax, pdpt + (PTE_P | PTE_RW)
    mov [pml4], eax
    mov [pml4 + ((HV_DIRECT_MAP >> 39) & 511) * 8], eax
    mov edi, pdpt
    mov eax, pd + (PTE_P | PTE_RW)
    mov ecx, HV_MAPPED_BYTES >> 30
.pdpte:
    mov [edi], eax
    add eax, 4096
    add edi, 8
    loop .pdpte
    mov edi, pd
    mov eax, PTE_P | PTE_RW | PTE_PS
    xor edx, edx                        ; high half of the physical address
    mov ecx, (HV_MAPPED_BYTES >> 21)
.pde:
    mov [edi], eax
    mov [edi + 4], edx
    add eax, 1 << 21
    adc edx, 0
    add edi, 8
    loop .pde

    ENABLE_LONG_MODE pml4
    lgdt [gdt_ptr]
    jmp SEL_CODE64:entry64

.no_long_mode:
    mov esi, msg_no_long_mode
    call serial_puts32
.halt32:
    hlt
    jmp .halt32

bits 64
entry64:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top

    ; TSS: its base is known only at link time, so the descriptor's split
    ; base field is filled here (SDM Vol. 3A, 8.2.3, 64-bit TSS descriptor).
    mov rax, tss
    mov [gdt_tss + 2], ax
    shr rax, 16
    mov [gdt_tss + 4], al
    mov [gdt_tss + 7], ah
    shr rax, 16
    mov [gdt_tss + 8], eax
    mov rax, ist_df_top
    mov [tss + 0x24], rax               ; IST1: double fault
    mov rax, ist_nmi_top
    mov [tss + 0x2c], rax               ; IST2: NMI
    mov rax, ist_mc_top
    mov [tss + 0x34], rax               ; IST3: machine check
    mov ax, SEL_TSS
    ltr ax
    call idt_init

    ; The boot CPU's per-CPU block (index 0); the other CPUs' are made by
    ; src/platform/smp.ts.
    mov rax, bsp_percpu
    mov [rax + PERCPU_SELF], rax
    mov qword [rax + PERCPU_STACK_TOP], boot_stack_top
    mov qword [rax + PERCPU_GDT], gdt
    mov qword [rax + PERCPU_TSS], tss
    mov dword [rax + PERCPU_STATE], CPU_STATE_ALIVE
    mov ecx, IA32_GS_BASE
    mov rdx, rax
    shr rdx, 32
    wrmsr

    ; Caches on (some firmware leaves CD/NW set); NE as VMX requires
    ; (IA32_VMX_CR0_FIXED0); MP so that WAIT honours TS.
    mov rax, cr0
    and eax, ~(CR0_CD | CR0_NW | CR0_EM | CR0_TS)
    or eax, CR0_NE | CR0_MP
    mov cr0, rax

    mov qword [handoff + HANDOFF_IMAGE_END], _native_end
    mov qword [handoff + HANDOFF_GDT], gdt
    mov qword [handoff + HANDOFF_IDT], idt
    mov qword [handoff + HANDOFF_TSS], tss
    mov qword [handoff + HANDOFF_VMEXIT], vm_exit
    mov qword [handoff + HANDOFF_VMEXIT_FLOOR], vm_exit_floor
    mov qword [handoff + HANDOFF_TRAMPOLINE], trampoline_start
    mov qword [handoff + HANDOFF_TRAMPOLINE_END], trampoline_end
    mov qword [handoff + HANDOFF_AP_ENTRY], ap_entry64
    call hv_lock_acquire
    mov edi, handoff
    call hv_start
    mov rdi, msg_returned
    call serial_puts
.halt64:
    cli
    hlt
    jmp .halt64

section .rodata
msg_no_long_mode:
    db 10, "hv: this CPU has no long mode (x86-64). The hypervisor needs a", 10
    db "hv: 64-bit Intel CPU with VT-x. Halting.", 10, 0
msg_returned:
    db 10, "hv: the microkernel returned; halted", 10, 0

section .data
align 16
gdt:
    dq 0
    dq 0x00af9a000000ffff               ; 0x08: 64-bit code, DPL 0
    dq 0x00cf92000000ffff               ; 0x10: data, DPL 0
gdt_tss:                                ; 0x18: 64-bit TSS, base filled in
    dw tss_end - tss - 1
    dw 0
    db 0, 0x89, 0, 0
    dd 0, 0
gdt_end:
gdt_ptr:
    dw gdt_end - gdt - 1
    dq gdt

align 16
tss:
    times 0x66 db 0
    dw tss_end - tss                    ; no I/O permission bitmap
tss_end:

align 8
handoff:
    times HANDOFF_SIZE db 0

section .bss
align 4096
bsp_percpu: resb PERCPU_SIZE
pml4:   resb 4096
pdpt:   resb 4096
pd:     resb 4096 * (HV_MAPPED_BYTES >> 30)
align 16
boot_stack:     resb HV_BOOT_STACK_SIZE
boot_stack_top:
ist_df:         resb HV_IST_STACK_SIZE
ist_df_top:
ist_nmi:        resb HV_IST_STACK_SIZE
ist_nmi_top:
ist_mc:         resb HV_IST_STACK_SIZE
ist_mc_top:
