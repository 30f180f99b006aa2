; The LAPIC's two interfaces (SDM Vol. 3A 11.4.4, 11.12) as Linux's
; x2apic_enable and the xAPIC paths see them: CPUID says x2APIC;
; IA32_APIC_BASE says enabled, BSP, at 0xFEE00000. The x2APIC MSRs #GP in
; xAPIC mode. Switched to x2APIC the ID, version, TPR and SVR read through
; the MSRs what they did through MMIO, the LDR is the derived logical ID;
; read-only and xAPIC-only registers #GP, so does a nonzero EOI; self-IPIs
; through SELF IPI and the ICR arrive; x2APIC -> xAPIC directly #GP.
; Disabled then enabled again (which real LAPICs allow) the xAPIC answers
; at its base with its registers as at reset; relocated, at the new base.
%define TEST_NAME "x2apic_and_xapic_agree"
%include "lib.inc"
%include "apic.inc"

CPUID1_X2APIC equ 1 << 21
VEC_SELF      equ 0x50
VEC_ICR       equ 0x51
NEW_BASE      equ 0xfeb00000
TPR_VALUE     equ 0x20

%macro GP 2                            ; GP {insn}, "what": it must #GP
  TRY %1
  cmp dword [fault_vec], VEC_GP
  je %%ok
  FAIL %2
%%ok:
%endmacro

main:
  mov eax, 1
  cpuid
  test ecx, CPUID1_X2APIC
  jnz .has
  FAIL "CPUID.1:ECX.x2APIC clear"
.has:
  mov ecx, IA32_APIC_BASE
  rdmsr
  mov [base], eax
  and eax, ~0xfff
  cmp eax, LAPIC
  je .at
  FAIL_HEX "IA32_APIC_BASE not at 0xFEE00000:", dword [base]
.at:
  mov eax, [base]
  and eax, APIC_BASE_EN | APIC_BASE_BSP | APIC_BASE_EXTD
  cmp eax, APIC_BASE_EN | APIC_BASE_BSP
  je .xapic
  FAIL_HEX "IA32_APIC_BASE not enabled xAPIC BSP:", dword [base]
.xapic:
  call lapic_enable
  mov eax, [LAPIC + LAPIC_ID]
  shr eax, 24
  mov [id], eax
  mov eax, [LAPIC + LAPIC_VERSION]
  mov [version], eax
  mov dword [LAPIC + LAPIC_TPR], TPR_VALUE
  mov eax, [LAPIC + LAPIC_SVR]
  mov [svr], eax
  mov ecx, X2APIC_MSR + (LAPIC_VERSION >> 4)
  GP rdmsr, "an x2APIC MSR did not #GP in xAPIC mode"

  ; to x2APIC
  mov ecx, IA32_APIC_BASE
  mov eax, [base]
  or eax, APIC_BASE_EXTD
  xor edx, edx
  wrmsr
  mov ecx, X2APIC_MSR + (LAPIC_ID >> 4)
  rdmsr
  cmp eax, [id]
  je .id
  FAIL_HEX "x2APIC ID differs from the xAPIC ID:", eax
.id:
  mov ecx, X2APIC_MSR + (LAPIC_VERSION >> 4)
  rdmsr
  cmp eax, [version]
  je .version
  FAIL_HEX "x2APIC version differs:", eax
.version:
  mov ecx, X2APIC_MSR + (LAPIC_TPR >> 4)
  rdmsr
  cmp eax, TPR_VALUE
  je .tpr
  FAIL_HEX "the TPR did not survive the switch:", eax
.tpr:
  mov ecx, X2APIC_MSR + (LAPIC_SVR >> 4)
  rdmsr
  cmp eax, [svr]
  je .svr
  FAIL_HEX "SVR differs:", eax
.svr:
  mov ecx, X2APIC_MSR + (LAPIC_LDR >> 4)
  rdmsr
  mov ebx, [id]                       ; cluster id >> 4 in 31:16, 1 << (id & 15)
  mov ecx, ebx
  and ecx, 0xf
  mov edx, 1
  shl edx, cl
  shr ebx, 4
  shl ebx, 16
  or ebx, edx
  cmp eax, ebx
  je .ldr
  FAIL_HEX "the x2APIC LDR is not the derived logical ID:", eax
.ldr:
  xor eax, eax
  xor edx, edx
  mov ecx, X2APIC_MSR + (LAPIC_TPR >> 4)
  wrmsr
  mov ecx, X2APIC_MSR + (LAPIC_ID >> 4)
  GP wrmsr, "a write of the x2APIC ID did not #GP"
  mov ecx, X2APIC_MSR + (LAPIC_DFR >> 4)
  GP rdmsr, "a read of the DFR (none in x2APIC) did not #GP"
  mov ecx, X2APIC_MSR + (LAPIC_EOI >> 4)
  mov eax, 1
  GP wrmsr, "a nonzero EOI did not #GP"

  ; self-IPIs
  mov eax, VEC_SELF
  mov edx, isr_self
  call idt_set_gate
  mov eax, VEC_ICR
  mov edx, isr_icr
  call idt_set_gate
  sti
  mov ecx, X2APIC_SELF_IPI
  mov eax, VEC_SELF
  xor edx, edx
  wrmsr
  mov ecx, X2APIC_MSR + (LAPIC_ICR_LOW >> 4)
  mov eax, ICR_SELF | VEC_ICR
  xor edx, edx
  wrmsr
  mov ecx, 100000
.wait:
  cmp dword [self], 1
  jne .spin
  cmp dword [icr], 1
  je .ipis
.spin:
  pause
  loop .wait
  FAIL "a self-IPI through SELF IPI or the ICR did not arrive"
.ipis:
  cli
  ; x2APIC -> xAPIC directly
  mov ecx, IA32_APIC_BASE
  mov eax, [base]
  xor edx, edx
  GP wrmsr, "x2APIC -> xAPIC without disabling did not #GP"

  ; disabled, then xAPIC again
  mov ecx, IA32_APIC_BASE
  mov eax, [base]
  and eax, ~(APIC_BASE_EN | APIC_BASE_EXTD)
  xor edx, edx
  wrmsr
  mov eax, [base]
  wrmsr
  mov eax, [LAPIC + LAPIC_VERSION]
  cmp eax, [version]
  je .back
  FAIL_HEX "re-enabled, the xAPIC version reads", eax
.back:
  mov eax, [LAPIC + LAPIC_SVR]
  cmp eax, VEC_SPURIOUS
  je .reset_svr
  FAIL_HEX "re-enabled, SVR not as at reset:", eax
.reset_svr:
  mov eax, [LAPIC + LAPIC_TPR]
  test eax, eax
  jz .reset_tpr
  FAIL_HEX "re-enabled, TPR not as at reset:", eax
.reset_tpr:
  ; relocated
  mov ecx, IA32_APIC_BASE
  mov eax, [base]
  and eax, 0xfff
  or eax, NEW_BASE
  xor edx, edx
  wrmsr
  mov eax, [NEW_BASE + LAPIC_VERSION]
  cmp eax, [version]
  je .moved
  FAIL_HEX "relocated, the version at the new base reads", eax
.moved:
  mov eax, [base]
  wrmsr
  mov eax, [LAPIC + LAPIC_VERSION]
  cmp eax, [version]
  je .home
  FAIL_HEX "moved back, the version reads", eax
.home:
  PRINT TEST_NAME, ": ID "
  mov eax, [id]
  call putdec
  PRINT ", version 0x"
  mov eax, [version]
  call puthex
  PRINT " through both; switches, re-enable and relocation right", 10
  PASS

isr_self:
  inc dword [self]
x2apic_eoi:
  push ecx
  push eax
  push edx
  mov ecx, X2APIC_MSR + (LAPIC_EOI >> 4)
  xor eax, eax
  xor edx, edx
  wrmsr
  pop edx
  pop eax
  pop ecx
  iret

isr_icr:
  inc dword [icr]
  jmp x2apic_eoi

section .data
align 4
base:    dd 0
id:      dd 0
version: dd 0
svr:     dd 0
self:    dd 0
icr:     dd 0
