; A DomU (no `control=1`) calls every management, console and host
; hypercall, and HC_EVENT_SETUP with the serial console flag, with arguments
; that would be valid for a control domain (its own id 1.. and a buffer in
; its memory), and gets -EPERM from each; the buffer stays untouched and the
; basic calls still work afterwards.
%define TEST_NAME "management_hypercall_eperm"
%include "lib.inc"

EPERM_RET equ -EPERM
SENTINEL  equ 0x5a5a5a5a

; MGMT nr, rdi, rsi, rdx, "what": expects -EPERM.
%macro MGMT 5
  mov eax, %1
  mov edi, %2
  mov esi, %3
  mov edx, %4
  call hcall
  jnc %%called
  FAIL_HEX "vmcall faulted: vector", dword [fault_vec]
%%called:
  cmp eax, EPERM_RET
  je %%ok
  FAIL_HEX %5, eax
%%ok:
%endmacro

main:
  mov edi, buf
  mov ecx, BUF_DWORDS
  mov eax, SENTINEL
  rep stosd
  ; Domain ids 1 and 2 exist in the suite; 1 is not this domain's id unless
  ; it comes first, and either way the answer must be -EPERM.
  MGMT HC_DOMAIN_LIST, buf, 4, 0, "HC_DOMAIN_LIST(buf, 4, 0) did not return -EPERM:"
  MGMT HC_DOMAIN_INFO, 1, buf, 0, "HC_DOMAIN_INFO(1, buf, 0) did not return -EPERM:"
  MGMT HC_DOMAIN_INFO, 0xffffffff, buf, 0, "HC_DOMAIN_INFO(0xffffffff, buf, 0) did not return -EPERM:"
  MGMT HC_DOMAIN_PAUSE, 1, 0, 0, "HC_DOMAIN_PAUSE(1, 0, 0) did not return -EPERM:"
  MGMT HC_DOMAIN_UNPAUSE, 1, 0, 0, "HC_DOMAIN_UNPAUSE(1, 0, 0) did not return -EPERM:"
  MGMT HC_DOMAIN_DESTROY, 2, 0, 0, "HC_DOMAIN_DESTROY(2, 0, 0) did not return -EPERM:"
  MGMT HC_CONSOLE_READ, 1, 0, buf, "HC_CONSOLE_READ(1, 0, buf) did not return -EPERM:"
  MGMT HC_LOG_READ, 0, buf, 64, "HC_LOG_READ(0, buf, 64) did not return -EPERM:"
  MGMT HC_LOG_READ, 0, 0xfffffff0, 0x20, "HC_LOG_READ(0, 0xfffffff0, 0x20) did not return -EPERM:"
  MGMT HC_EVENT_SETUP, buf, 0x40, EVSETUP_FLAG_CONSOLE, "HC_EVENT_SETUP(buf, 0x40, EVSETUP_FLAG_CONSOLE) did not return -EPERM:"
  MGMT HC_CONSOLE_INPUT, 1, buf, 4, "HC_CONSOLE_INPUT(1, buf, 4) did not return -EPERM:"
  MGMT HC_HOST_INFO, buf, 0, 0, "HC_HOST_INFO(buf) did not return -EPERM:"
  MGMT HC_CPU_INFO, 0, buf, 0, "HC_CPU_INFO(0, buf) did not return -EPERM:"
  ; Refused, or the whole suite would end here.
  MGMT HC_HOST_POWER, HOST_POWER_OFF, 0, 0, "HC_HOST_POWER(HOST_POWER_OFF) did not return -EPERM:"
  MGMT HC_HOST_POWER, HOST_REBOOT, 0, 0, "HC_HOST_POWER(HOST_REBOOT) did not return -EPERM:"
  ; Nothing was written to the buffer.
  mov esi, buf
  mov ecx, BUF_DWORDS
.check:
  cmp dword [esi], SENTINEL
  je .next
  FAIL_HEX "a refused call wrote the buffer at", esi
.next:
  add esi, 4
  loop .check
  ; The basic calls still work.
  mov eax, HC_VERSION
  call hcall
  cmp eax, HYPERCALL_ABI_VERSION
  je .version_ok
  FAIL_HEX "HC_VERSION after the refused calls returned", eax
.version_ok:
  mov eax, HC_COUNT
  call hcall
  cmp eax, ENOSYS_RET
  je .count_ok
  FAIL_HEX "HC_COUNT (unknown) did not return -ENOSYS:", eax
.count_ok:
  PASS

section .bss
BUF_DWORDS equ 1024
alignb 4096
buf: resd BUF_DWORDS
