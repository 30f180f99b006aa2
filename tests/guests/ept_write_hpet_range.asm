; Hostile: writes the HPET's registers (0xFED00000: the PC has no HPET, so
; no device claims it). Expected: stopped with
;   EPT violation at 0xfed000f0 (write)
; (the main counter; a RESULT line only if the write went through: FAIL).
%define TEST_NAME "ept_write_hpet_range"
%include "lib.inc"

HPET_COUNTER equ 0xfed000f0

main:
  PRINT TEST_NAME, ": writing the HPET main counter", 10
  mov dword [HPET_COUNTER], 0xffffffff
  FAIL "write to the HPET range went through"
