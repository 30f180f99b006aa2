; Hostile: hypercalls from 64-bit mode with edge arguments, each with its
; defined answer: numbers and lengths whose low 32 bits are valid (a
; hypervisor that truncated them would act), addresses that wrap at 2^64,
; end one byte past memory, are unaligned, or name the hypervisor's own
; physical range (16 MiB and up), the LAPIC or the I/O APIC (device
; ranges, not memory), another domain through management calls (-EPERM,
; even with ids whose low half names a live domain), bad event pages,
; vectors and flags, an event page at 0, vCPU indexes, and timer
; deadlines in the past, far future and at 2^64 - 1. Interrupts stay off: events raised stay pending.
%define TEST_NAME "hypercall_edge_arguments"
%include "lib.inc"
%include "paging.inc"

EPERM_RET equ -EPERM
ESRCH_RET equ -ESRCH
HIGH      equ 0x100000000             ; bit 32: gone if truncated to 32 bits

; HC nr, a0, a1, a2, expected: one 64-bit call; a different result FAILs
; with the call's text.
%macro HC 5
[section .rodata]
%%what: db "HC(", %str(%1), ", ", %str(%2), ", ", %str(%3), ", ", %str(%4), ")", 0
__SECT__
  mov rax, %1
  mov rdi, %2
  mov rsi, %3
  mov rdx, %4
  xor r10d, r10d
  call hcall64
  mov rcx, %5
  mov dword [what], %%what
  mov [got], rax
  jc wrong                            ; CF survives the moves
  cmp rax, rcx
  jne wrong
  inc dword [calls]
%endmacro

main:
  call guest_mem_size
  mov [mem], eax
  mov ebx, eax
  mov byte [ebx - 1], 10              ; the last byte of memory: a newline
  call paging_identity
  ENTER_LONG_MODE
  mov ebx, [mem]                      ; zero-extended
  mov r13d, msg                       ; r13 = msg + 4 GiB, r14 = buf + 4 GiB
  bts r13, 32
  mov r14d, buf
  bts r14, 32
  ; numbers
  HC HIGH | HC_VERSION, 0, 0, 0, ENOSYS_RET
  HC -1, 0, 0, 0, ENOSYS_RET
  HC HIGH | HC_DOMAIN_LIST, buf, 4, 0, ENOSYS_RET
  ; console write: lengths, wrapping, the end of memory, unaligned
  HC HC_CONSOLE_WRITE, msg, HIGH | msg_len, 0, EINVAL_RET
  HC HC_CONSOLE_WRITE, msg, -1, 0, EINVAL_RET
  HC HC_CONSOLE_WRITE, r13, msg_len, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, -16, 32, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, -1, 1, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, 0x7fffffffffffffff, 2, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, rbx, 1, 0, EFAULT_RET
  lea r12, [rbx - 1]
  HC HC_CONSOLE_WRITE, r12, 2, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, 0x1000000, 16, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, 0x10000000, 16, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, 0xfee00000, 16, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, 0xfec00000, 16, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, 0xffff800000000000, 16, 0, EFAULT_RET
  HC HC_CONSOLE_WRITE, msg + 1, msg_len - 1, 0, msg_len - 1
  HC HC_CONSOLE_WRITE, r12, 1, 0, 1
  ; another domain: management calls, ids whose low half is a live domain's
  HC HC_DOMAIN_MEM_READ, HIGH | 1, 0, buf, EPERM_RET
  HC HC_DOMAIN_MEM_WRITE, 2, 0, buf, EPERM_RET
  HC HC_DOMAIN_DESTROY, HIGH | 2, 0, 0, EPERM_RET
  HC HC_DOMAIN_PAUSE, -1, 0, 0, EPERM_RET
  HC HC_CONSOLE_READ, 1, -1, -1, EPERM_RET
  ; event pages: beyond memory, truncating, unaligned, vectors, flags
  HC HC_EVENT_SETUP, r14, 0x40, 0, EFAULT_RET
  HC HC_EVENT_SETUP, buf + 1, 0x40, 0, EFAULT_RET
  HC HC_EVENT_SETUP, rbx, 0x40, 0, EFAULT_RET
  HC HC_EVENT_SETUP, -4096, 0x40, 0, EFAULT_RET
  HC HC_EVENT_SETUP, buf, HIGH | 0x40, 0, EINVAL_RET
  HC HC_EVENT_SETUP, buf, 31, 0, EINVAL_RET
  HC HC_EVENT_SETUP, buf, 256, 0, EINVAL_RET
  HC HC_EVENT_SETUP, buf, 0x40, HIGH, EINVAL_RET
  HC HC_EVENT_SETUP, buf, 0x40, EVSETUP_FLAG_CONSOLE, EPERM_RET
  HC HC_TIMER_SET, 1, 0, 0, EINVAL_RET            ; no event page yet
  HC HC_EVENT_SETUP, 0, 0x40, 0, 0                ; page 0 is a page like any other
  HC HC_TIMER_SET, 1, 0, 0, 0
  lea r12, [rbx - 4096]
  HC HC_EVENT_SETUP, r12, 0x40, 0, 0              ; the last page of memory
  ; timers: the past, far future, 2^64 - 1, off
  HC HC_TIMER_SET, 1, 0, 0, 0
  HC HC_TIMER_SET, -1, 0, 0, 0
  HC HC_TIMER_SET, 0x7fffffffffffffff, 0, 0, 0
  HC HC_TIMER_SET, 0, 0, 0, 0
  ; vCPUs: indexes whose low half is 0, a record past the end of memory
  HC HC_VCPU_START, HIGH, buf, 0, ESRCH_RET
  HC HC_VCPU_START, -1, buf, 0, ESRCH_RET
  HC HC_VCPU_START, 1, buf, 0, ESRCH_RET
  HC HC_VCPU_START, 0, -16, 0, EFAULT_RET
  ; still answering
  HC HC_VERSION, -1, -1, -1, HYPERCALL_ABI_VERSION
  TO_COMPAT
  PRINT TEST_NAME, ": "
  mov eax, [calls]
  call putdec
  PRINT " edge calls, each its defined answer", 10
  PASS

bits 64
wrong:
  TO_COMPAT
  call fail_prefix
  mov esi, [what]
  call puts
  cmp dword [fault_vec], NO_FAULT
  je .returned
  PRINT " faulted"
  jmp fail_end
.returned:
  PRINT " returned 0x"
  mov eax, [got]
  mov edx, [got + 4]
  call puthex64
  jmp fail_end

section .rodata
msg: db TEST_NAME, ": an unaligned console write works", 10
msg_len equ $ - msg

section .bss
alignb 4096
buf:     resb 4096
alignb 8
got:     resq 1
mem:     resd 1
what:    resd 1
calls:   resd 1
