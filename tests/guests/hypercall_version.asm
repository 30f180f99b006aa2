; HC_VERSION returns the ABI version; unknown numbers return -ENOSYS.
%define TEST_NAME "hypercall_version"
%include "lib.inc"

main:
  mov eax, HC_VERSION
  call hcall
  jnc .v
  FAIL_HEX "vmcall faulted: vector", dword [fault_vec]
.v:
  cmp eax, HYPERCALL_ABI_VERSION
  je .version_ok
  FAIL_HEX "HC_VERSION returned", eax
.version_ok:
  mov eax, HC_COUNT
  call hcall
  cmp eax, ENOSYS_RET
  je .count_ok
  FAIL_HEX "hypercall HC_COUNT (unknown) did not return -ENOSYS:", eax
.count_ok:
  mov eax, 0x7fffffff
  call hcall
  cmp eax, ENOSYS_RET
  je .big_ok
  FAIL_HEX "hypercall 0x7fffffff did not return -ENOSYS:", eax
.big_ok:
  PASS
