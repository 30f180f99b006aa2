; CPUID.1:ECX.hypervisor[31] is set and leaf 0x40000000 returns the maximum
; hypervisor leaf in EAX and the signature "tshvTSHVtshv" in EBX, ECX, EDX.
%define TEST_NAME "cpuid_hypervisor_leaf"
%include "lib.inc"

main:
  mov eax, 1
  xor ecx, ecx
  cpuid
  test ecx, 1 << 31
  jnz .present
  FAIL_HEX "CPUID.1:ECX.hypervisor[31] is clear, ECX =", ecx
.present:
  mov eax, 0x40000000
  xor ecx, ecx
  cpuid
  mov [sig], ebx
  mov [sig + 4], ecx
  mov [sig + 8], edx
  cmp eax, 0x40000000
  jae .max_ok
  FAIL_HEX "leaf 0x40000000 EAX (max leaf) below 0x40000000:", eax
.max_ok:
  cmp ebx, 'tshv'
  jne .bad_sig
  cmp ecx, 'TSHV'
  jne .bad_sig
  cmp edx, 'tshv'
  jne .bad_sig
  PASS
.bad_sig:
  call fail_prefix
  PRINT "signature is not tshvTSHVtshv: EBX ECX EDX = 0x"
  mov eax, [sig]
  call puthex
  PRINT " 0x"
  mov eax, [sig + 4]
  call puthex
  PRINT " 0x"
  mov eax, [sig + 8]
  call puthex
  jmp fail_end

section .bss
sig: resd 3
