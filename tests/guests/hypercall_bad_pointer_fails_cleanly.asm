; HC_CONSOLE_WRITE validates guest pointers and lengths: a buffer beyond guest
; memory -> -EFAULT, len 0xffffffff or 4097 -> -EINVAL, a buffer straddling the
; end of memory -> -EFAULT, a buffer whose end wraps past 4 GiB in 32-bit
; arithmetic (0xfffffff0 + 0x20) -> -EFAULT; then a valid write still works.
%define TEST_NAME "hypercall_bad_pointer_fails_cleanly"
%include "lib.inc"

; WRITE gpa, len, expected, "what"
%macro WRITE 4
  mov eax, HC_CONSOLE_WRITE
  mov edi, %1
  mov esi, %2
  call hcall
  jnc %%called
  FAIL_HEX "vmcall faulted: vector", dword [fault_vec]
%%called:
  cmp eax, %3
  je %%ok
  FAIL_HEX %4, eax
%%ok:
%endmacro

main:
  call guest_mem_size
  test eax, eax
  jnz .have_mem
  FAIL "no memory size in the multiboot info"
.have_mem:
  mov ebx, eax                        ; ebx = guest memory size
  WRITE ebx, 1, EFAULT_RET, "write at gpa = memory size did not return -EFAULT:"
  WRITE 0x40000000, 16, EFAULT_RET, "write at gpa 1 GiB did not return -EFAULT:"
  WRITE msg, 0xffffffff, EINVAL_RET, "write with len 0xffffffff did not return -EINVAL:"
  WRITE msg, HC_CONSOLE_WRITE_MAX + 1, EINVAL_RET, "write with len 4097 did not return -EINVAL:"
  lea ecx, [ebx - 8]
  WRITE ecx, 16, EFAULT_RET, "write straddling the end of memory did not return -EFAULT:"
  WRITE 0xfffffff0, 0x20, EFAULT_RET, "write at 0xfffffff0 len 0x20 (wraps in 32 bits) did not return -EFAULT:"
  WRITE msg, msg_len, msg_len, "valid write did not return its length:"
  PASS

section .rodata
msg: db TEST_NAME, ": console_write after the bad calls works", 10
msg_len equ $ - msg
