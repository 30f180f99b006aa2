; Hostile: jumps to guest-physical 0x10000000 (256 MiB), far beyond its
; memory. Expected: stopped with
;   EPT violation at 0x10000000 (fetch)
; A RESULT line appears only if it came back (FAIL).
%define TEST_NAME "ept_fetch_outside_memory"
%include "lib.inc"

TARGET equ 0x10000000

main:
  PRINT TEST_NAME, ": jumping to guest-physical 0x10000000", 10
  mov eax, TARGET
  call eax
  FAIL "came back from a call beyond its memory"
