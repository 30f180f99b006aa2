; Benchmark guest (bench/idle-cost.ts), with the control right: reads every
; CPU's busy and idle TSC ticks (HC_CPU_INFO) at from= and again at to=
; (millions of TSC ticks) and prints, per CPU,
;   BENCH cpu <n> busy <ticks> idle <ticks> of <ticks>
; for the interval (decimal), then passes. Pinned to one CPU (cpus=), it
; shows what the others cost while they have nothing to run.
%define TEST_NAME "cpu_idle_report"
%include "lib.inc"

MAX_CPUS equ 16

main:
  mov eax, HC_HOST_INFO
  mov edi, host
  call hcall
  test eax, eax
  jz .have_host
  FAIL_HEX "HC_HOST_INFO failed:", eax
.have_host:
  mov eax, [host + HOSTINFO_CPUS_FOUND]
  cmp eax, MAX_CPUS
  jbe .count_ok
  mov eax, MAX_CPUS
.count_ok:
  mov [cpus], eax
  mov esi, key_from
  call wait_until
  rdtsc
  mov [t0], eax
  mov [t0 + 4], edx
  mov edi, before
  call read_all
  mov esi, key_to
  call wait_until
  rdtsc
  sub eax, [t0]
  mov [dt], eax                       ; < 2^32 ticks: a few seconds of Bochs
  mov edi, after
  call read_all
  xor ebx, ebx
.print:
  cmp ebx, [cpus]
  jae .done
  PRINT "BENCH cpu "
  mov eax, ebx
  call putdec
  PRINT " busy "
  mov edx, ebx
  shl edx, 4
  mov eax, [after + edx]
  sub eax, [before + edx]
  call putdec
  PRINT " idle "
  mov edx, ebx
  shl edx, 4
  mov eax, [after + edx + 8]
  sub eax, [before + edx + 8]
  call putdec
  PRINT " of "
  mov eax, [dt]
  call putdec
  PRINT 10
  inc ebx
  jmp .print
.done:
  PASS

; wait_until: ESI = key of a value in millions of TSC ticks; spins until then.
wait_until:
  mov edx, 0
  call cmdline_dec
  mov ecx, 1000000
  mul ecx
  mov ecx, edx
  mov ebx, eax
.spin:
  rdtsc
  cmp edx, ecx
  jb .spin
  ja .out
  cmp eax, ebx
  jb .spin
.out:
  ret

; read_all: EDI = table of [busy u64, idle u64] per CPU.
read_all:
  xor ebx, ebx
.next:
  cmp ebx, [cpus]
  jae .out
  push edi
  mov eax, HC_CPU_INFO
  mov esi, info
  mov edi, ebx
  call hcall
  pop edi
  test eax, eax
  jz .ok
  FAIL_HEX "HC_CPU_INFO failed:", eax
.ok:
  mov edx, ebx
  shl edx, 4
  add edx, edi
  mov eax, [info + CPUINFO_BUSY_TICKS]
  mov [edx], eax
  mov eax, [info + CPUINFO_BUSY_TICKS + 4]
  mov [edx + 4], eax
  mov eax, [info + CPUINFO_IDLE_TICKS]
  mov [edx + 8], eax
  mov eax, [info + CPUINFO_IDLE_TICKS + 4]
  mov [edx + 12], eax
  inc ebx
  jmp .next
.out:
  ret

section .data
key_from: db "from=", 0
key_to:   db "to=", 0
align 8
t0:   dq 0
dt:   dd 0
cpus: dd 0

section .bss
alignb 8
host:   resb HOSTINFO_SIZE
info:   resb CPUINFO_SIZE
before: resb 16 * MAX_CPUS
after:  resb 16 * MAX_CPUS
