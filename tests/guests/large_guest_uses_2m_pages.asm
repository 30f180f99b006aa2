; Run with mem=64M. The guest cannot see its EPT page sizes; it touches memory
; at every 2 MiB boundary (and the last dword of each 2 MiB block) from 2 MiB
; to the end of the last whole 2 MiB block, then reads everything back. The runner checks the
; hypervisor's line
;   hv: domain <id> (large_guest_uses_2m_pages) memory 64 MiB: <n> x 2M pages, <m> x 4K pages
; with n >= 31.
%define TEST_NAME "large_guest_uses_2m_pages"
%include "lib.inc"

TWO_MB equ 0x200000

main:
  call guest_mem_size
  cmp eax, 64 * 1024 * 1024
  jae .big_enough
  FAIL_HEX "memory size below 64 MiB:", eax
.big_enough:
  and eax, ~(TWO_MB - 1)               ; whole 2 MiB blocks only
  mov [memsize], eax
  mov ebx, TWO_MB
.write:
  mov eax, ebx
  xor eax, 0x5a5aa5a5
  mov [ebx], eax
  not eax
  mov [ebx + TWO_MB - 4], eax
  add ebx, TWO_MB
  cmp ebx, [memsize]
  jb .write
  mov ebx, TWO_MB
.read:
  mov eax, ebx
  xor eax, 0x5a5aa5a5
  cmp [ebx], eax
  jne .bad
  not eax
  cmp [ebx + TWO_MB - 4], eax
  jne .bad
  add ebx, TWO_MB
  cmp ebx, [memsize]
  jb .read
  PRINT TEST_NAME, ": touched every 2 MiB block up to 0x"
  mov eax, [memsize]
  call puthex
  PRINT 10
  PASS
.bad:
  FAIL_HEX "memory did not keep what was written in the 2 MiB block at", ebx

section .data
memsize: dd 0
