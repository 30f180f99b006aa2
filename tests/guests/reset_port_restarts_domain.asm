; A guest resets its machine the ways a PC offers, as Linux's reboot=
; methods do, chosen by `method=` on its command line: 1 the PIIX reset
; control register (0xCF9 <- 0x06, the FADT's reset register), 2 the 8042's
; pulse-reset command (0x64 <- 0xFE, once its input buffer is empty), 3 the
; fast reset of port 0x92 (bit 0 from 0 to 1). Each is a reboot of this
; domain alone (on_reboot=restart: built again and run again, which resets
; again, until the hypervisor's bound on restarts in a burst keeps it
; stopped). Before the reset it prints
;   reset_port_restarts_domain: resetting through <method>
; and no RESULT line: a reset that does not take is a FAIL.
%define TEST_NAME "reset_port_restarts_domain"
%include "lib.inc"

KBC_STATUS  equ 0x64
KBC_IBF     equ 0x02
PORT_A      equ 0x92
RESET_CTL   equ 0xcf9

main:
  mov esi, key_method
  mov edx, 0
  call cmdline_dec
  cmp eax, 1
  je .cf9
  cmp eax, 2
  je .kbd
  cmp eax, 3
  je .port92
  FAIL "no method=1|2|3 on the command line"
.cf9:
  PRINT TEST_NAME, ": resetting through 0xcf9", 10
  mov dx, RESET_CTL
  mov al, 0x02                        ; SYS_RST alone: no reset yet
  out dx, al
  mov al, 0x06                        ; RST_CPU 0 -> 1: the reset
  out dx, al
  jmp .still_here
.kbd:
  PRINT TEST_NAME, ": resetting through the 8042", 10
  mov ecx, 100000
.wait_ibf:
  in al, KBC_STATUS
  test al, KBC_IBF
  jz .pulse
  loop .wait_ibf
  FAIL "the 8042's input buffer stays full"
.pulse:
  mov al, 0xfe
  out KBC_STATUS, al
  jmp .still_here
.port92:
  PRINT TEST_NAME, ": resetting through port 0x92", 10
  in al, PORT_A
  and al, 0xfe
  out PORT_A, al                      ; bit 0 low first: the reset is its rising edge
  or al, 1
  out PORT_A, al
.still_here:
  FAIL "still running after the reset"

section .rodata
key_method: db "method=", 0
