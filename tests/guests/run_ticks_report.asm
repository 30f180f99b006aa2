; For the scheduler tests, with the control right: waits (yielding) until
; its TSC passes end= (millions of ticks), then prints the run time the
; hypervisor accounted to each domain 1..domains= (HC_DOMAIN_INFO), one
; "RUN <id> <ticks, hex>" line each, and passes.
%define TEST_NAME "run_ticks_report"
%include "lib.inc"

main:
  mov esi, key_end
  mov edx, 0
  call cmdline_dec
  mov ecx, 1000000
  mul ecx
  mov [t_end], eax
  mov [t_end + 4], edx
  mov esi, key_domains
  mov edx, 1
  call cmdline_dec
  mov [domains], eax
.wait:
  call hc_yield
  rdtsc
  cmp edx, [t_end + 4]
  jb .wait
  ja .report
  cmp eax, [t_end]
  jb .wait
.report:
  mov ebx, 1
.next:
  cmp ebx, [domains]
  ja .done
  mov eax, HC_DOMAIN_INFO
  mov edi, ebx
  mov esi, info
  call hcall
  test eax, eax
  jz .have
  FAIL_HEX "HC_DOMAIN_INFO failed:", eax
.have:
  PRINT TEST_NAME, ": RUN "
  mov eax, ebx
  call putdec
  PRINT " "
  mov eax, [info + DOMINFO_RUN_TICKS]
  mov edx, [info + DOMINFO_RUN_TICKS + 4]
  call puthex64
  PRINT 10
  inc ebx
  jmp .next
.done:
  PASS

section .data
key_end:     db "end=", 0
key_domains: db "domains=", 0
align 8
t_end:   dq 0
domains: dd 1

section .bss
alignb 8
info: resb DOMINFO_SIZE
