; RDMSR/WRMSR of MSRs outside the allowlist inject #GP(0): an unknown MSR
; (0x1234) and a VMX capability MSR (IA32_VMX_BASIC 0x480).
%define TEST_NAME "msr_unknown_injects_gp"
%include "lib.inc"

; EXPECT_GP "what": checks the last TRY took #GP with error code 0
%macro EXPECT_GP 1
  cmp dword [fault_vec], VEC_GP
  je %%gp
  FAIL_HEX %1, dword [fault_vec]
%%gp:
  cmp dword [fault_err], 0
  je %%zero
  FAIL_HEX %1, dword [fault_err]
%%zero:
  inc dword [count]
%endmacro

main:
  ; Self-test of the catcher, no hypervisor involved: loading a selector
  ; beyond the GDT limit is #GP(selector).
  mov ax, 0x0ff8
  TRY mov es, ax
  cmp dword [fault_vec], VEC_GP
  jne .selftest_failed
  cmp dword [fault_err], 0x0ff8
  je .selftest_ok
.selftest_failed:
  FAIL_HEX "catcher self-test: no #GP(0xff8) loading selector 0xff8, vector", dword [fault_vec]
.selftest_ok:
  PRINT TEST_NAME, ": catcher self-test: #GP(0xff8) caught", 10
  mov ecx, 0x1234
  TRY rdmsr
  EXPECT_GP "rdmsr 0x1234: no #GP(0), vector/error"
  mov ecx, 0x1234
  xor eax, eax
  xor edx, edx
  TRY wrmsr
  EXPECT_GP "wrmsr 0x1234: no #GP(0), vector/error"
  mov ecx, 0x480
  TRY rdmsr
  EXPECT_GP "rdmsr IA32_VMX_BASIC: no #GP(0), vector/error"
  mov ecx, 0x480
  xor eax, eax
  xor edx, edx
  TRY wrmsr
  EXPECT_GP "wrmsr IA32_VMX_BASIC: no #GP(0), vector/error"
  PRINT TEST_NAME, ": #GP(0) count "
  mov eax, [count]
  call putdec
  PRINT 10
  PASS

section .data
count: dd 0
