; Hostile: reads guest-physical memory 16 MiB beyond the end of its memory.
; Expected: the hypervisor stops the domain with
;   hv: domain <id> (ept_outside_memory_stops_domain) stopped: EPT violation at 0x<mem+16M> (read) rip 0x...
; This guest prints a RESULT line only if the read succeeded (FAIL).
%define TEST_NAME "ept_outside_memory_stops_domain"
%include "lib.inc"

main:
  call guest_mem_size
  test eax, eax
  jnz .have_mem
  FAIL "no memory size in the multiboot info"
.have_mem:
  lea ebx, [eax + 16 * 1024 * 1024]
  PRINT TEST_NAME, ": reading guest-physical 0x"
  mov eax, ebx
  call puthex
  PRINT 10
  mov eax, [ebx]
  FAIL_HEX "read beyond guest memory succeeded at", ebx
