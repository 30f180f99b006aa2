; Hostile: reads and writes the MSRs that would let a guest reach the
; host: VT-x's IA32_FEATURE_CONTROL and capability MSRs, the microcode
; trigger, SMBASE, the MTRRs, DEBUGCTL, the speculation controls, and the
; emulated ones with values the CPU refuses (IA32_APIC_BASE, SYSENTER, PAT,
; EFER, FMASK). Each must get the hypervisor's defined answer: #GP(0), or
; for an emulated one the value it keeps.
%define TEST_NAME "msr_privileged_writes"
%include "lib.inc"

IA32_FEATURE_CONTROL equ 0x3a
IA32_APIC_BASE       equ 0x1b
IA32_SPEC_CTRL       equ 0x48
IA32_PRED_CMD        equ 0x49
IA32_BIOS_UPDT_TRIG  equ 0x79
IA32_SMBASE          equ 0x9e
IA32_FLUSH_CMD       equ 0x10b
IA32_SYSENTER_ESP    equ 0x175
IA32_SYSENTER_EIP    equ 0x176
IA32_DEBUGCTL        equ 0x1d9
IA32_MTRR_PHYSBASE0  equ 0x200
IA32_MTRR_FIX64K     equ 0x250
IA32_PAT             equ 0x277
IA32_MTRR_DEF_TYPE   equ 0x2ff
IA32_VMX_BASIC       equ 0x480
IA32_VMX_VMFUNC      equ 0x491
IA32_EFER            equ 0xc0000080
IA32_FMASK           equ 0xc0000084
APIC_BASE_BSP_EN     equ 0xfee00900
PAT_RESET_LO         equ 0x00070406

; RD msr: rdmsr under TRY. WR msr, low, high: wrmsr under TRY.
%macro RD 1
  mov ecx, %1
  TRY rdmsr
%endmacro
%macro WR 3
  mov ecx, %1
  mov eax, %2
  mov edx, %3
  TRY wrmsr
%endmacro

; GP "what": the last TRY took #GP(0).
%macro GP 1
  call check_gp
  jz %%ok
  FAIL_HEX %1, dword [fault_vec]
%%ok:
%endmacro

; NOFAULT "what": the last TRY did not fault.
%macro NOFAULT 1
  cmp dword [fault_vec], NO_FAULT
  je %%ok
  FAIL_HEX %1, dword [fault_vec]
%%ok:
%endmacro

; READS msr, low, high, "what": rdmsr reads exactly high:low.
%macro READS 4
  RD %1
  NOFAULT %4
  cmp eax, %2
  jne %%bad
  cmp edx, %3
  je %%ok
%%bad:
  FAIL_HEX %4, eax
%%ok:
%endmacro

; OPTIONAL msr, "what": an MSR the hypervisor may pass through or refuse:
; writing 0 is #GP(0) or accepted, a reserved bit (63) is #GP(0).
%macro OPTIONAL 2
  WR %1, 0, 0
  cmp dword [fault_vec], NO_FAULT
  je %%taken
  GP %2
%%taken:
  WR %1, 0, 0x80000000
  GP %2
%endmacro

main:
  ; VT-x stays locked off and invisible.
  READS IA32_FEATURE_CONTROL, 1, 0, "IA32_FEATURE_CONTROL does not read locked, VMX off:"
  WR IA32_FEATURE_CONTROL, 5, 0
  GP "wrmsr IA32_FEATURE_CONTROL (locked) did not #GP(0): vector"
  mov dword [msr], IA32_VMX_BASIC
.vmx_caps:
  RD [msr]
  GP "rdmsr of a VMX capability MSR did not #GP(0): vector"
  inc dword [msr]
  cmp dword [msr], IA32_VMX_VMFUNC
  jbe .vmx_caps
  ; Microcode, SMM, MTRRs, DEBUGCTL: not the guest's.
  WR IA32_BIOS_UPDT_TRIG, buf, 0
  GP "wrmsr IA32_BIOS_UPDT_TRIG did not #GP(0): vector"
  RD IA32_SMBASE
  GP "rdmsr IA32_SMBASE did not #GP(0): vector"
  WR IA32_MTRR_PHYSBASE0, 6, 0
  GP "wrmsr IA32_MTRR_PHYSBASE0 did not #GP(0): vector"
  WR IA32_MTRR_FIX64K, 0x06060606, 0x06060606
  GP "wrmsr IA32_MTRR_FIX64K_00000 did not #GP(0): vector"
  WR IA32_MTRR_DEF_TYPE, 0xc06, 0
  NOFAULT "wrmsr IA32_MTRR_DEF_TYPE faulted: vector"
  READS IA32_MTRR_DEF_TYPE, 0, 0, "IA32_MTRR_DEF_TYPE does not read 0 (MTRRs off) after a write:"
  WR IA32_DEBUGCTL, 0xffffffff, 0xffffffff
  GP "wrmsr IA32_DEBUGCTL all ones did not #GP(0): vector"
  ; Speculation controls: passed through or refused, never reserved bits.
  OPTIONAL IA32_SPEC_CTRL, "IA32_SPEC_CTRL: vector"
  OPTIONAL IA32_PRED_CMD, "IA32_PRED_CMD: vector"
  OPTIONAL IA32_FLUSH_CMD, "IA32_FLUSH_CMD: vector"
  RD IA32_FLUSH_CMD
  GP "rdmsr IA32_FLUSH_CMD (write-only) did not #GP(0): vector"
  ; IA32_APIC_BASE: reserved bits, x2APIC with the APIC off, BSP read-only.
  READS IA32_APIC_BASE, APIC_BASE_BSP_EN, 0, "IA32_APIC_BASE does not read 0xfee00900:"
  WR IA32_APIC_BASE, APIC_BASE_BSP_EN, 0x10
  GP "IA32_APIC_BASE bit 36 (above MAXPHYADDR) did not #GP(0): vector"
  WR IA32_APIC_BASE, 0xfee00000 | (1 << 10), 0
  GP "IA32_APIC_BASE x2APIC with EN clear did not #GP(0): vector"
  WR IA32_APIC_BASE, 0xfee00800, 0
  NOFAULT "IA32_APIC_BASE write clearing BSP faulted: vector"
  READS IA32_APIC_BASE, APIC_BASE_BSP_EN, 0, "IA32_APIC_BASE.BSP did not stay set:"
  ; SYSENTER: non-canonical refused, canonical kept.
  WR IA32_SYSENTER_ESP, 0, 0x80000000
  GP "non-canonical IA32_SYSENTER_ESP did not #GP(0): vector"
  WR IA32_SYSENTER_EIP, 0, 0x00008000
  GP "non-canonical IA32_SYSENTER_EIP did not #GP(0): vector"
  WR IA32_SYSENTER_EIP, 0x12345678, 0xffffffff
  NOFAULT "canonical IA32_SYSENTER_EIP faulted: vector"
  READS IA32_SYSENTER_EIP, 0x12345678, 0xffffffff, "IA32_SYSENTER_EIP did not read back:"
  ; PAT: memory type 2 (reserved) refused, the old value kept.
  WR IA32_PAT, 0x00070402, 0x00070406
  GP "IA32_PAT with memory type 2 did not #GP(0): vector"
  READS IA32_PAT, PAT_RESET_LO, PAT_RESET_LO, "IA32_PAT changed by a refused write:"
  ; EFER: a reserved bit; FMASK: its reserved upper half.
  WR IA32_EFER, 2, 0
  GP "IA32_EFER bit 1 did not #GP(0): vector"
  WR IA32_FMASK, 0x200, 1
  GP "IA32_FMASK bits 63:32 did not #GP(0): vector"
  PRINT TEST_NAME, ": every privileged MSR got its defined answer", 10
  PASS

; check_gp: ZF=1 when the last TRY took #GP with error code 0.
check_gp:
  cmp dword [fault_vec], VEC_GP
  jne .out
  cmp dword [fault_err], 0
.out:
  ret

section .bss
msr: resd 1
buf: resb 64
