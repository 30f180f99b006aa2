; CPUID leaf 1 must not advertise VMX (ECX bit 5) to a guest.
%define TEST_NAME "cpuid_hides_vmx"
%include "lib.inc"

main:
  mov eax, 1
  xor ecx, ecx
  cpuid
  test ecx, 1 << 5
  jz .hidden
  FAIL_HEX "CPUID.1:ECX.VMX[5] is set, ECX =", ecx
.hidden:
  PASS
