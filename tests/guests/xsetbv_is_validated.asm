; XSETBV is checked as the CPU would check it: #GP(0) for an XCR other than 0,
; for XCR0 without x87, for AVX without SSE and for a state component the
; CPU does not offer; a valid XCR0 takes effect (XGETBV reads it back).
%define TEST_NAME "xsetbv_is_validated"
%include "lib.inc"

CR4_OSFXSR     equ 1 << 9
CR4_OSXMMEXCPT equ 1 << 10
CR4_OSXSAVE    equ 1 << 18
CPUID_1_ECX_XSAVE equ 1 << 26

; EXPECT_GP "reason", xcr index, value low, value high
%macro EXPECT_GP 4
  mov ecx, %2
  mov eax, %3
  mov edx, %4
  TRY xsetbv
  cmp dword [fault_vec], VEC_GP
  je %%gp
  FAIL_HEX %1, dword [fault_vec]
%%gp:
  cmp dword [fault_err], 0
  je %%ok
  FAIL_HEX "#GP with a non-zero error code", dword [fault_err]
%%ok:
%endmacro

main:
  mov eax, 1
  cpuid
  test ecx, CPUID_1_ECX_XSAVE
  jnz .has_xsave
  FAIL "CPUID reports no XSAVE"
.has_xsave:
  mov eax, cr4
  or eax, CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE
  mov cr4, eax

  EXPECT_GP "XCR1 did not raise #GP: vector", 1, 1, 0
  EXPECT_GP "XCR0 without x87 did not raise #GP: vector", 0, 2, 0
  EXPECT_GP "XCR0 with AVX but not SSE did not raise #GP: vector", 0, 5, 0
  EXPECT_GP "XCR0 bit 62 did not raise #GP: vector", 0, 3, 0x40000000

  ; x87|SSE is valid everywhere XSAVE is.
  xor ecx, ecx
  mov eax, 3
  xor edx, edx
  TRY xsetbv
  cmp dword [fault_vec], NO_FAULT
  je .set
  FAIL_HEX "XCR0 = 3 faulted: vector", dword [fault_vec]
.set:
  xor ecx, ecx
  xgetbv
  cmp eax, 3
  je .readback
  FAIL_HEX "XGETBV after XSETBV 3 read", eax
.readback:
  PRINT TEST_NAME, ": 4 bad XCR0 values refused, XCR0 = 3 accepted", 10
  PASS
