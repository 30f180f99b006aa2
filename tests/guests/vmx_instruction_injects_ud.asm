; Every VMX instruction executed by a guest raises #UD in the guest.
%define TEST_NAME "vmx_instruction_injects_ud"
%include "lib.inc"

N_INSNS equ 11

; EXPECT_UD "name", instruction
%macro EXPECT_UD 2+
  xor eax, eax
  xor ecx, ecx
  TRY %2
  cmp dword [fault_vec], VEC_UD
  je %%ud
  FAIL_HEX %1, dword [fault_vec]
%%ud:
  inc dword [count]
%endmacro

main:
  EXPECT_UD "vmxon did not raise #UD: vector", vmxon [region_pa]
  EXPECT_UD "vmxoff did not raise #UD: vector", vmxoff
  EXPECT_UD "vmclear did not raise #UD: vector", vmclear [region_pa]
  EXPECT_UD "vmptrld did not raise #UD: vector", vmptrld [region_pa]
  EXPECT_UD "vmptrst did not raise #UD: vector", vmptrst [scratch]
  EXPECT_UD "vmread did not raise #UD: vector", vmread eax, ecx
  EXPECT_UD "vmwrite did not raise #UD: vector", vmwrite ecx, eax
  EXPECT_UD "vmlaunch did not raise #UD: vector", vmlaunch
  EXPECT_UD "vmresume did not raise #UD: vector", vmresume
  EXPECT_UD "invept did not raise #UD: vector", invept eax, [descriptor]
  EXPECT_UD "invvpid did not raise #UD: vector", invvpid eax, [descriptor]
  cmp dword [count], N_INSNS
  je .all
  FAIL_HEX "wrong #UD count", dword [count]
.all:
  PRINT TEST_NAME, ": 11 VMX instructions raised #UD", 10
  PASS

section .data
align 16
region_pa:  dd vmx_region, 0
scratch:    dq 0
descriptor: dq 0, 0
count:      dd 0
section .bss
alignb 4096
vmx_region: resb 4096
