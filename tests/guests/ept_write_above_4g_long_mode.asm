; Hostile: IA-32e mode, then a 2 MiB page at physical 0x8_0000_0000 (32
; GiB: far above its memory, below the 36-bit MAXPHYADDR its CPUID shows,
; so the guest's own walk does not fault) mapped at virtual 0x40000000 and
; written with a 64-bit store. Expected: stopped with
;   EPT violation at 0x800000000 (write)
; (a RESULT line appears only if the write went through: FAIL).
%define TEST_NAME "ept_write_above_4g_long_mode"
%include "lib.inc"
%include "paging.inc"

WINDOW      equ 0x40000000
WINDOW_PDE  equ WINDOW >> 21

main:
  call paging_identity
  mov dword [pd + WINDOW_PDE * 8], PDE_2M   ; physical 0x8_0000_0000
  mov dword [pd + WINDOW_PDE * 8 + 4], 0x8
  PRINT TEST_NAME, ": entering IA-32e mode; writing physical 0x800000000", 10
  ENTER_LONG_MODE
  mov rax, 0xdeadbeefdeadbeef
  mov [WINDOW], rax
  TO_COMPAT
  FAIL "write to physical 32 GiB went through"
