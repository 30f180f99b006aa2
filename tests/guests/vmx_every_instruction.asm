; Hostile: every VMX instruction (SDM Vol. 3C 32: VMXON, VMXOFF, VMCLEAR,
; VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, INVEPT, INVVPID,
; VMFUNC) and SMX's GETSEC, in 32-bit protected mode and again in 64-bit
; mode with 64-bit operands: each must raise #UD in the guest, as on a CPU
; without VMX (vmx_instruction_injects_ud checks the first eleven in
; 32-bit mode only).
%define TEST_NAME "vmx_every_instruction"
%include "lib.inc"
%include "paging.inc"

; UD n, instruction: expects #UD, else fails naming instruction n.
%macro UD 2+
  xor eax, eax
  xor ecx, ecx
  TRY %2
  mov dword [which], %1
  cmp dword [fault_vec], VEC_UD
  jne %%missing
  inc dword [count]
  jmp %%done
%%missing:
%if __BITS__ == 64
  jmp no_ud64
%else
  jmp no_ud
%endif
%%done:
%endmacro

main:
  UD 12, vmfunc
  UD 13, getsec
  call paging_identity
  ENTER_LONG_MODE
  mov rbx, 0xffff800000000000         ; a canonical pointer no memory backs
  UD 1, vmxon [region_pa]
  UD 2, vmxoff
  UD 3, vmclear [region_pa]
  UD 4, vmptrld [region_pa]
  UD 5, vmptrst [scratch]
  UD 6, vmread rax, rcx
  UD 7, vmwrite rcx, rax
  UD 8, vmlaunch
  UD 9, vmresume
  UD 10, invept rax, [descriptor]
  UD 11, invvpid rax, [descriptor]
  UD 12, vmfunc
  UD 13, getsec
  UD 1, vmxon [rbx]
  UD 6, vmread [rbx], rcx
  UD 10, invept rbx, [rbx]
  TO_COMPAT
  cmp dword [count], 18
  je .all
  FAIL_HEX "wrong #UD count", dword [count]
.all:
  PRINT TEST_NAME, ": 18 VMX and SMX instructions raised #UD in 32- and 64-bit mode", 10
  PASS

no_ud:
  FAIL_HEX "no #UD for instruction (1 vmxon .. 11 invvpid, 12 vmfunc, 13 getsec) in 32-bit mode:", dword [which]

bits 64
no_ud64:
  TO_COMPAT
  FAIL_HEX "no #UD for instruction (1 vmxon .. 11 invvpid, 12 vmfunc, 13 getsec) in 64-bit mode:", dword [which]

section .data
align 16
region_pa:  dd vmx_region, 0
scratch:    dq 0
descriptor: dq 0, 0
count:      dd 0
which:      dd 0
section .bss
alignb 4096
vmx_region: resb 4096
