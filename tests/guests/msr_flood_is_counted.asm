; Hostile: reads and writes 100,000 distinct MSRs the hypervisor has no
; model of (0x40001000 up, as a guest probing for a hypervisor's MSRs
; might). Each must be #GP(0), as on a CPU without them; the hypervisor
; logs the first few once each and only counts the rest, so neither its log
; nor its heap grows (tests/integration/heap.test.ts reads `mem` around it).
%define TEST_NAME "msr_flood_is_counted"
%include "lib.inc"

FIRST equ 0x40001000
COUNT equ 100000

main:
  mov dword [msr], FIRST
.next:
  mov ecx, [msr]
  test ecx, 1
  jnz .write
  TRY rdmsr
  jmp .check
.write:
  xor eax, eax
  xor edx, edx
  TRY wrmsr
.check:
  cmp dword [fault_vec], VEC_GP
  je .gp
  FAIL_HEX "no #GP for unknown MSR", dword [msr]
.gp:
  inc dword [msr]
  cmp dword [msr], FIRST + COUNT
  jb .next
  PRINT TEST_NAME, ": 100000 unknown MSRs, each #GP(0)", 10
  PASS

section .data
msr: dd 0
