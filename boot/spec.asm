; Speculative-execution sequences (src/cpu/mitigations.ts chooses which a
; CPU runs; PERCPU_SPEC holds its choice): the retpoline thunk the C's
; indirect branches go through, and the L1D flush before VM entry. The
; return-stack refill and VERW are inline in the VM-entry stub (vmx.asm).

%include "layout.inc"
%include "arch.inc"

global __x86_indirect_thunk_r11, l1d_flush

section .text
bits 64

; clang -mretpoline-external-thunk turns every indirect call and jump of
; the C into a call or jump here, the target in R11. With SPEC_RETPOLINE the
; target is reached by a RET whose prediction is caught in a PAUSE/LFENCE
; loop (Intel's retpoline), so no branch-target-buffer entry a guest
; trained is followed; without it, a plain indirect jump. The flags are
; dead at a call.
__x86_indirect_thunk_r11:
    test dword [gs:PERCPU_SPEC], SPEC_RETPOLINE
    jz .plain
    call .set_target
.capture:
    pause
    lfence
    jmp .capture
.set_target:
    mov [rsp], r11
    ret
.plain:
    jmp r11

; Flushes this CPU's L1 data cache: IA32_FLUSH_CMD with SPEC_L1D_FLUSH_CMD,
; else Linux KVM's software sequence (vmx_l1d_flush): every page of a
; zeroed buffer twice any L1D into the TLB, a serializing CPUID, then every
; line of it, so that only zeros are left. Clobbers RAX, RBX, RCX, RDX.
l1d_flush:
    test dword [gs:PERCPU_SPEC], SPEC_L1D_FLUSH_CMD
    jz .software
    mov ecx, IA32_FLUSH_CMD
    mov eax, FLUSH_CMD_L1D
    xor edx, edx
    wrmsr
    ret
.software:
    mov rbx, l1d_flush_buffer
    xor eax, eax
.tlb:
    movzx ecx, byte [rbx + rax]
    add eax, 4096
    cmp eax, SPEC_L1D_SIZE
    jne .tlb
    xor eax, eax
    cpuid                               ; clobbers EBX
    mov rbx, l1d_flush_buffer
    xor eax, eax
.fill:
    movzx ecx, byte [rbx + rax]
    add eax, 64
    cmp eax, SPEC_L1D_SIZE
    jne .fill
    lfence
    ret

section .bss
align 4096
l1d_flush_buffer: resb SPEC_L1D_SIZE
