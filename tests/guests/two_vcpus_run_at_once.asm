; Two vCPUs of one domain run on two CPUs at the same time: vCPU 1 counts
; without end; vCPU 0 samples the count across a short spin of its own and
; counts the samples in which it moved while the TSC advanced too little for
; vCPU 0 to have been descheduled (a slice is 2^21 ticks). On one CPU vCPU 1
; only runs while vCPU 0 does not, so no sample can qualify there. Passes
; after 100 such samples, fails if `mticks=` (default 400) million TSC ticks
; pass first. Module line: vcpus=2.
%define TEST_NAME "two_vcpus_run_at_once"
%include "lib.inc"
%include "vcpus.inc"

SPIN        equ 2000                    ; vCPU 0's spin between two reads
TOGETHER    equ 200000                  ; longer than this: it may have been switched out
WANTED      equ 100

main:
  mov esi, key_mticks
  mov edx, 400
  call cmdline_dec
  mov ecx, 1000000
  mul ecx
  mov [limit], eax
  mov [limit + 4], edx
  rdtsc
  add [limit], eax
  adc [limit + 4], edx
  mov ecx, 2
  call vcpus_start
  test eax, eax
  jz .sample
  FAIL_HEX "HC_VCPU_START failed:", eax
.sample:
  inc dword [samples]
  rdtsc
  mov [t0], eax
  mov [t0 + 4], edx
  mov esi, [counter]
  mov ecx, SPIN
.spin:
  dec ecx
  jnz .spin
  mov edi, [counter]
  rdtsc
  mov ebx, eax
  mov ecx, edx
  sub eax, [t0]
  sbb edx, [t0 + 4]
  jnz .check_limit
  cmp eax, TOGETHER
  ja .check_limit
  cmp esi, edi
  je .check_limit
  inc dword [together]
  cmp dword [together], WANTED
  jb .check_limit
  PRINT TEST_NAME, ": vCPU 1 ran during "
  mov eax, [together]
  call putdec
  PRINT " of vCPU 0's "
  mov eax, [samples]
  call putdec
  PRINT " short spins", 10
  PASS
.check_limit:
  cmp ecx, [limit + 4]
  jb .sample
  ja .late
  cmp ebx, [limit]
  jb .sample
.late:
  FAIL_HEX "vCPU 1 ran during too few of vCPU 0's short spins:", dword [together]

ap_main:
.count:
  inc dword [counter]
  jmp .count

section .data
key_mticks: db "mticks=", 0
align 8
limit:    dq 0
t0:       dq 0
counter:  dd 0
together: dd 0
samples:  dd 0
