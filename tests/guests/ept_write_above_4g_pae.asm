; Hostile: PAE paging (the PDPTEs checked by the hypervisor on MOV to CR0),
; then a 2 MiB page whose physical address is 4 GiB (beyond anything a
; 32-bit address reaches, and beyond its memory) mapped at virtual
; 0x40000000 and written. Expected: stopped with
;   EPT violation at 0x100000000 (write)
; (a hypervisor that truncated the address to 32 bits would find RAM at 0
; instead; a RESULT line appears only if the write went through: FAIL).
%define TEST_NAME "ept_write_above_4g_pae"
%include "lib.inc"
%include "paging.inc"

WINDOW      equ 0x40000000
WINDOW_PDE  equ WINDOW >> 21

main:
  call paging_identity
  mov dword [pd + WINDOW_PDE * 8], PDE_2M   ; physical 0x1_0000_0000
  mov dword [pd + WINDOW_PDE * 8 + 4], 1
  ENTER_PAE
  mov eax, cr0
  test eax, CR0_PG
  jnz .paging
  FAIL "CR0.PG clear after enabling PAE paging"
.paging:
  ; the identity map works (this code runs) and reads RAM
  cmp dword [mb_magic], MB1_MAGIC
  je .mapped
  FAIL "the identity map does not read the multiboot magic back"
.mapped:
  PRINT TEST_NAME, ": PAE paging on; writing physical 0x100000000", 10
  mov dword [WINDOW], 0xdeadbeef
  FAIL "write to physical 4 GiB went through"
