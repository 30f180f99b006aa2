; Hostile: VMCALL with every number from 0 to HC_COUNT + 64 and the
; extremes of EAX (0x7fffffff, 0x80000000, 0xffffffff), from a DomU with
; no rights, each with the same arguments (EDI = a sentinel buffer, ESI =
; EDX = 0). The answer to each is defined (src/hypercall/dispatch.ts):
; HC_VERSION the ABI version, HC_CONSOLE_WRITE of 0 bytes and HC_YIELD 0,
; HC_EVENT_SETUP (vector 0) -EINVAL, HC_VCPU_START (index = the buffer's
; address) -ESRCH, HC_TIMER_SET (no event page) -EINVAL, every other call
; below HC_COUNT -EPERM, every number from HC_COUNT on -ENOSYS; the buffer
; stays untouched. HC_SHUTDOWN (3) is left out: it would end the domain.
%define TEST_NAME "hypercall_every_number"
%include "lib.inc"

SENTINEL   equ 0xa5a5a5a5
BUF_DWORDS equ 1024
EPERM_RET  equ -EPERM
ESRCH_RET  equ -ESRCH
LAST       equ HC_COUNT + 64

main:
  mov edi, buf
  mov ecx, BUF_DWORDS
  mov eax, SENTINEL
  rep stosd
  xor ebx, ebx                        ; the number
.next:
  cmp ebx, HC_SHUTDOWN
  je .skip
  call expected
  mov [want], eax
  call call_nr
  cmp eax, [want]
  je .skip
  mov [got], eax
  call fail_prefix
  PRINT "hypercall "
  mov eax, ebx
  call putdec
  PRINT " returned 0x"
  mov eax, [got]
  call puthex
  PRINT " instead of 0x"
  mov eax, [want]
  call puthex
  jmp fail_end
.skip:
  cmp ebx, LAST
  je .extremes
  inc ebx
  jmp .next
.extremes:
  mov ebx, 0x7fffffff
  call extreme
  mov ebx, 0x80000000
  call extreme
  mov ebx, 0xffffffff
  call extreme
  mov esi, buf
  mov ecx, BUF_DWORDS
.check:
  cmp dword [esi], SENTINEL
  je .unchanged
  FAIL_HEX "a hypercall wrote the buffer at", esi
.unchanged:
  add esi, 4
  loop .check
  PRINT TEST_NAME, ": numbers 0 to HC_COUNT + 64 and 3 extremes, each its defined answer", 10
  PASS

; extreme: EBX = a number far above HC_COUNT, which must be -ENOSYS.
extreme:
  call call_nr
  cmp eax, ENOSYS_RET
  je .ok
  FAIL_HEX "a number far above HC_COUNT did not return -ENOSYS:", ebx
.ok:
  ret

; call_nr: EAX = the result of hypercall EBX(buf, 0, 0). A faulting
; VMCALL is a FAIL.
call_nr:
  mov eax, ebx
  mov edi, buf
  xor esi, esi
  xor edx, edx
  call hcall
  jnc .called
  FAIL_HEX "vmcall faulted: vector", dword [fault_vec]
.called:
  ret

; expected: EAX = the defined answer to number EBX (below LAST) with these arguments.
expected:
  mov eax, HYPERCALL_ABI_VERSION
  cmp ebx, HC_VERSION
  je .out
  xor eax, eax
  cmp ebx, HC_CONSOLE_WRITE
  je .out
  cmp ebx, HC_YIELD
  je .out
  mov eax, EINVAL_RET
  cmp ebx, HC_EVENT_SETUP
  je .out
  cmp ebx, HC_TIMER_SET
  je .out
  mov eax, ESRCH_RET
  cmp ebx, HC_VCPU_START
  je .out
  mov eax, ENOSYS_RET
  cmp ebx, HC_COUNT
  jae .out
  mov eax, EPERM_RET
.out:
  ret

section .bss
alignb 4096
buf:  resd BUF_DWORDS
want: resd 1
got:  resd 1
