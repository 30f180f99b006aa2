; VMX instructions and the VM-entry stub (SDM Vol. 3C Chapters 28 and 31).
;
; Every wrapper is a SysV function called by wasm2c code as Z_hwZ_<name>
; (instance, ...): RDI is ignored, the arguments are in RSI, RDX, RCX. VMX
; instructions return their status in EAX: 0 VMsucceed, 1 VMfailInvalid
; (CF=1), 2 VMfailValid (ZF=1, the VMCS's VM-instruction error field says why).

%include "layout.inc"
%include "arch.inc"

%include "import.inc"

; EAX = VMX status from the flags of the instruction just executed.
%macro vmx_status 0
    mov eax, 0
    mov ecx, 1
    cmovc eax, ecx
    mov ecx, 2
    cmovz eax, ecx
%endmacro

; RSB_FILL: 32 calls whose return addresses are traps, so that no RET
; predicts from what a guest left in the return-stack buffer (Linux's
; __FILL_RETURN_BUFFER; the LFENCE stops a mispredicted loop exit). Clobbers ECX.
RSB_ENTRIES     equ 32
%macro RSB_FILL 0
    mov ecx, RSB_ENTRIES / 2
%%loop:
    call %%one
    int3
%%one:
    call %%two
    int3
%%two:
    add rsp, 16
    dec ecx
    jnz %%loop
    lfence
%endmacro

global vm_exit, vm_exit_floor
extern hv_lock_acquire, hv_lock_release, l1d_flush

section .text
bits 64

import vmxon                            ; (region pa) -> status
    push rsi
    vmxon [rsp]
    vmx_status
    pop rsi
    ret

import vmxoff                           ; () -> status
    vmxoff
    vmx_status
    ret

import vmclear                          ; (vmcs pa) -> status
    push rsi
    vmclear [rsp]
    vmx_status
    pop rsi
    ret

import vmptrld                          ; (vmcs pa) -> status
    push rsi
    vmptrld [rsp]
    vmx_status
    pop rsi
    ret

import vmread                           ; (field) -> value
    vmread rax, rsi
    ret

import vmwrite                          ; (field, value) -> status
    vmwrite rsi, rdx
    vmx_status
    ret

import invept                           ; (type, eptp) -> status
    push 0
    push rdx                            ; descriptor: EPTP, reserved
    invept rsi, [rsp]
    vmx_status
    add rsp, 16
    ret

import invvpid                          ; (type, vpid, linear address) -> status
    push rcx
    push rdx                            ; descriptor: VPID, linear address
    invvpid rsi, [rsp]
    vmx_status
    add rsp, 16
    ret

; (regs) -> status. Loads the guest's GPRs and CR2 from the register block
; at wasm address RSI and enters the guest. A VM exit lands in vm_exit with
; RSP = HOST_RSP, where the block's address was left; vm_exit saves the
; guest's registers and returns 0 from this function. A VMfail returns its
; status instead. Preserves the SysV callee-saved registers.
; The big lock (smp.asm) is let go just before VM entry and taken again
; after the exit (or the VMfail), before any microkernel code runs: while
; this CPU is in the guest, the others may run the microkernel. The
; register block and the VMCS are this vCPU's, which runs on one CPU only.
import vmenter
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov rax, HV_DIRECT_MAP
    add rsi, rax
    push rsi                            ; [HOST_RSP] = the register block
    cmp rsp, [rsi + VCPU_HOST_RSP]
    je .rsp_current
    mov [rsi + VCPU_HOST_RSP], rsp
    mov eax, HOST_RSP
    vmwrite rax, rsp
.rsp_current:
    mov rax, [rsi + VCPU_CR2]
    mov cr2, rax
    mov dword [gs:PERCPU_IN_GUEST], 1
    call hv_lock_release
    ; Speculation (src/cpu/mitigations.ts): the guest's IA32_SPEC_CTRL, the
    ; L1D flush if another domain's or the host's data may be in it, then
    ; VERW last, after which only the guest's own registers are loaded.
    mov ebx, [gs:PERCPU_SPEC]
    test ebx, SPEC_CTRL
    jz .spec_ctrl_done
    mov eax, [rsi + VCPU_SPEC_CTRL]
    cmp eax, [gs:PERCPU_HOST_SPEC_CTRL]
    je .spec_ctrl_done
    mov ecx, IA32_SPEC_CTRL
    xor edx, edx
    wrmsr
.spec_ctrl_done:
    test ebx, SPEC_L1D_FLUSH
    jz .l1d_done
    cmp dword [gs:PERCPU_L1D_DIRTY], 0
    je .l1d_done
    mov dword [gs:PERCPU_L1D_DIRTY], 0
    call l1d_flush                      ; clobbers EBX
    mov ebx, [gs:PERCPU_SPEC]
.l1d_done:
    test ebx, SPEC_VERW
    jz .verw_done
    verw [rel verw_selector]            ; MD_CLEAR: overwrites the CPU's buffers
.verw_done:
    cmp qword [rsi + VCPU_LAUNCHED], 0  ; flags survive the loads below
    mov rax, [rsi + VCPU_RAX]
    mov rcx, [rsi + VCPU_RCX]
    mov rdx, [rsi + VCPU_RDX]
    mov rbx, [rsi + VCPU_RBX]
    mov rbp, [rsi + VCPU_RBP]
    mov rdi, [rsi + VCPU_RDI]
    mov r8, [rsi + VCPU_R8]
    mov r9, [rsi + VCPU_R9]
    mov r10, [rsi + VCPU_R10]
    mov r11, [rsi + VCPU_R11]
    mov r12, [rsi + VCPU_R12]
    mov r13, [rsi + VCPU_R13]
    mov r14, [rsi + VCPU_R14]
    mov r15, [rsi + VCPU_R15]
    mov rsi, [rsi + VCPU_RSI]
    je .launch
    vmresume
    jmp vmenter_failed
.launch:
    vmlaunch
vmenter_failed:
    vmx_status
    mov dword [gs:PERCPU_IN_GUEST], 0
    mov r8d, eax
    call hv_lock_acquire
    mov eax, r8d
    pop rsi
    jmp vmenter_return

; HOST_RIP. RSP = HOST_RSP: the register block's address on top of the
; callee-saved registers vmenter pushed.
vm_exit:
    push rax
    mov rax, [rsp + 8]
    mov [rax + VCPU_RCX], rcx
    mov [rax + VCPU_RDX], rdx
    mov [rax + VCPU_RBX], rbx
    mov [rax + VCPU_RBP], rbp
    mov [rax + VCPU_RSI], rsi
    mov [rax + VCPU_RDI], rdi
    mov [rax + VCPU_R8], r8
    mov [rax + VCPU_R9], r9
    mov [rax + VCPU_R10], r10
    mov [rax + VCPU_R11], r11
    mov [rax + VCPU_R12], r12
    mov [rax + VCPU_R13], r13
    mov [rax + VCPU_R14], r14
    mov [rax + VCPU_R15], r15
    pop qword [rax + VCPU_RAX]
    mov rcx, cr2
    mov [rax + VCPU_CR2], rcx
    mov qword [rax + VCPU_LAUNCHED], 1
    add rsp, 8
    ; GS base is HOST_GS_BASE: this CPU's block. Before the first RET: the
    ; return-stack refill, then the host's IA32_SPEC_CTRL.
    mov ebx, [gs:PERCPU_SPEC]
    test ebx, SPEC_RSB_FILL
    jz .rsb_done
    RSB_FILL
.rsb_done:
    test ebx, SPEC_CTRL
    jz .spec_ctrl_done
    mov rsi, rax
    mov eax, [gs:PERCPU_HOST_SPEC_CTRL]
    cmp eax, [rsi + VCPU_SPEC_CTRL]
    je .spec_ctrl_done
    mov ecx, IA32_SPEC_CTRL
    xor edx, edx
    wrmsr
.spec_ctrl_done:
    mov dword [gs:PERCPU_IN_GUEST], 0
    call hv_lock_acquire
    xor eax, eax
vmenter_return:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

; The floor for the exit-cost benchmark (bench/): a minimal hand-written
; exit handler, the HOST_RIP of domains started with `exit=floor`. It handles
; CPUID (unfiltered) and the HC_VERSION hypercall without leaving assembly:
; emulate, advance RIP by VM_EXIT_INSTRUCTION_LEN, VMRESUME. Every other exit
; takes the normal path, with the stack exactly as vm_exit expects it. It
; touches nothing but the VMCS and the guest's registers: no big lock.
vm_exit_floor:
    push rax
    push rdx
    mov edx, VM_EXIT_REASON
    vmread rax, rdx
    cmp eax, EXIT_REASON_CPUID
    je .cpuid
    cmp eax, EXIT_REASON_VMCALL
    jne .normal
    cmp qword [rsp + 8], HC_VERSION     ; the guest's RAX
    jne .normal
    pop rdx
    pop rax
    mov eax, HYPERCALL_ABI_VERSION
    jmp .next
.cpuid:
    pop rdx
    pop rax
    cpuid
.next:
    push rax
    push rdx
    mov edx, GUEST_RIP
    vmread rax, rdx
    push rcx
    mov ecx, VM_EXIT_INSTRUCTION_LEN
    vmread rcx, rcx
    add rax, rcx
    vmwrite rdx, rax
    pop rcx
    pop rdx
    pop rax
    vmresume
    jmp vmenter_failed                  ; the guest's registers are lost: it stops
.normal:
    pop rdx
    pop rax
    jmp vm_exit

section .rodata
; VERW's operand: the host's data segment, as Linux uses __KERNEL_DS; the
; memory form is what clears the buffers.
verw_selector: dw HOST_SEL_DATA
