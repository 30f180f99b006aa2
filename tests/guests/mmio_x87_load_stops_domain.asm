; Hostile: reaches device MMIO (the I/O APIC's window) with an instruction
; the hypervisor's MMIO decoder does not emulate (x87 FILD). Expected:
; stopped, the bytes named:
;   MMIO read at 0xfec00010 rip 0x...: instruction df 05 ... not emulated (...)
; A RESULT line appears only if the load went through (FAIL).
%define TEST_NAME "mmio_x87_load_stops_domain"
%include "lib.inc"

IOAPIC_WINDOW equ 0xfec00010

main:
  PRINT TEST_NAME, ": fild from the I/O APIC window", 10
  fninit
  fild word [IOAPIC_WINDOW]
  FAIL "an x87 load from MMIO went through"
