; Hostile: writes its last dword of RAM (which must read back), then the
; dword just past the end of its memory. Expected: stopped with
;   EPT violation at 0x<mem> (write)
; A RESULT line appears only if the write past the end went through (FAIL).
%define TEST_NAME "ept_write_past_memory"
%include "lib.inc"

PATTERN equ 0x5eed1e55

main:
  call guest_mem_size
  test eax, eax
  jnz .have_mem
  FAIL "no memory size in the multiboot info"
.have_mem:
  mov ebx, eax
  mov dword [ebx - 4], PATTERN
  cmp dword [ebx - 4], PATTERN
  je .last_ok
  FAIL_HEX "its own last dword did not read back at", ebx
.last_ok:
  PRINT TEST_NAME, ": writing guest-physical 0x"
  mov eax, ebx
  call puthex
  PRINT 10
  mov dword [ebx], PATTERN
  FAIL_HEX "write past the end of memory succeeded at", ebx
