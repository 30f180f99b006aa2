; Benchmark guest (bench/exit-cost.ts), not a pass/fail test: the cost of a
; CPUID exit (leaf 0) and of a VMCALL exit (HC_VERSION) in guest TSC ticks.
; In Bochs the TSC counts emulated instructions, so the figures repeat exactly.
;
; Command line: name=<label> (printed in the BENCH lines; default exit_cost),
; novmcall (skip the VMCALL part: bare QEMU, no hypervisor).
;
; Each batch is N iterations; the whole batch is timed (rdtsc before/after,
; "total") and so is every iteration (rdtsc pair around the instruction). The
; TSC runs on while another domain has the CPU (slices of 2^21 ticks), so an
; iteration that was preempted is dropped: any delta above twice the batch's
; minimum. The per-exit figure is the mean of the kept deltas minus the mean
; of the empty loop measured the same way (rdtsc pair, same setup, no exit).
; Output, per batch (decimal):
;   BENCH <label> loop <ticks/iter> total <batch ticks> n <N> kept <k> min <ticks>
;   BENCH <label> cpuid <ticks/exit> total <batch ticks> n <N> kept <k> min <ticks>
;   BENCH <label> vmcall <ticks/exit> total <batch ticks> n <N> kept <k> min <ticks>
; then RESULT exit_cost PASS and exit code 0.
%define TEST_NAME "exit_cost"
%include "lib.inc"

N       equ 2000
WARMUP  equ 100

KIND_LOOP   equ 0
KIND_CPUID  equ 1
KIND_VMCALL equ 2

main:
  ; label = value of name=, else "exit_cost"
  mov esi, key_name
  call cmdline_arg
  test eax, eax
  jnz .have_label
  mov eax, default_label
.have_label:
  mov [label], eax
  mov esi, key_novmcall
  call cmdline_arg
  test eax, eax
  setnz byte [novmcall]

  ; warm-up: 100 of each; HC_VERSION must answer the ABI version
  mov ecx, WARMUP
.warm_cpuid:
  push ecx
  xor eax, eax
  xor ecx, ecx
  cpuid
  pop ecx
  dec ecx
  jnz .warm_cpuid
  cmp byte [novmcall], 0
  jne .warm_done
  mov ecx, WARMUP
.warm_vmcall:
  push ecx
  mov eax, HC_VERSION
  call hcall
  pop ecx
  jnc .vmcall_ok
  FAIL_HEX "vmcall faulted (no hypervisor? use novmcall): vector", dword [fault_vec]
.vmcall_ok:
  cmp eax, HYPERCALL_ABI_VERSION
  je .version_ok
  FAIL_HEX "HC_VERSION returned", eax
.version_ok:
  dec ecx
  jnz .warm_vmcall
.warm_done:

  mov eax, KIND_LOOP
  call batch
  mov eax, [mean]
  mov [loop_mean], eax
  mov esi, name_loop
  call report

  mov eax, KIND_CPUID
  call batch
  mov esi, name_cpuid
  call report

  cmp byte [novmcall], 0
  jne .done
  mov eax, KIND_VMCALL
  call batch
  mov esi, name_vmcall
  call report
.done:
  PASS

; ---------------------------------------------------------------------------
; batch: EAX = kind. Runs N timed iterations, fills deltas[], total (64-bit),
; dmin, kept, mean (of the kept deltas). Clobbers all general registers but ESP.
batch:
  push eax
  rdtsc
  mov [t_start], eax
  mov [t_start + 4], edx
  pop eax
  mov edi, deltas
  cmp eax, KIND_CPUID
  je .cpuid
  cmp eax, KIND_VMCALL
  je .vmcall

  ; The three bodies are identical but for the exiting instruction: rdtsc,
  ; keep t0 in EBP (neither CPUID nor the hypercall touches it), set the
  ; leaf/number, [exit], rdtsc, store the delta (32 bits: one iteration is far
  ; below 2^32 ticks).
.loop:
  rdtsc
  mov ebp, eax
  xor eax, eax
  xor ecx, ecx
  rdtsc
  sub eax, ebp
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .loop
  jmp .timed

.cpuid:
  rdtsc
  mov ebp, eax
  xor eax, eax
  xor ecx, ecx
  cpuid
  rdtsc
  sub eax, ebp
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .cpuid
  jmp .timed

.vmcall:
  rdtsc
  mov ebp, eax
  xor eax, eax                        ; HC_VERSION
  xor ecx, ecx
  vmcall
  rdtsc
  sub eax, ebp
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .vmcall

.timed:
  rdtsc
  sub eax, [t_start]
  sbb edx, [t_start + 4]
  mov [total], eax
  mov [total + 4], edx

  ; minimum delta
  mov esi, deltas
  mov ebx, 0xffffffff
.min:
  mov eax, [esi]
  cmp eax, ebx
  jae .min_next
  mov ebx, eax
.min_next:
  add esi, 4
  cmp esi, deltas_end
  jb .min
  mov [dmin], ebx

  ; sum (64-bit in EDX:EBP) and count (ECX) of deltas <= 2 * min
  lea edi, [ebx + ebx]
  xor ebp, ebp
  xor edx, edx
  xor ecx, ecx
  mov esi, deltas
.sum:
  mov eax, [esi]
  cmp eax, edi
  ja .sum_next
  add ebp, eax
  adc edx, 0
  inc ecx
.sum_next:
  add esi, 4
  cmp esi, deltas_end
  jb .sum
  mov [kept], ecx
  ; mean = rounded (EDX:EBP + count/2) / count; EDX < count as long as the
  ; mean fits 32 bits
  mov eax, ecx
  shr eax, 1
  add ebp, eax
  adc edx, 0
  mov eax, ebp
  div ecx
  mov [mean], eax
  ret

; report: ESI = measurement name. Prints one BENCH line from the batch results;
; the per-iteration figure is mean - loop_mean for the exits, mean for the loop.
report:
  PRINT "BENCH "
  push esi
  call put_label
  pop esi
  PRINT " "
  call puts
  PRINT " "
  mov eax, [mean]
  cmp esi, name_loop
  je .per
  sub eax, [loop_mean]
.per:
  call putdec
  PRINT " total "
  mov eax, [total]
  mov edx, [total + 4]
  call putdec64
  PRINT " n "
  mov eax, N
  call putdec
  PRINT " kept "
  mov eax, [kept]
  call putdec
  PRINT " min "
  mov eax, [dmin]
  call putdec
  PRINT 10
  ret

; put_label: prints the label up to a space or NUL
put_label:
  push esi
  push eax
  mov esi, [label]
.next:
  lodsb
  test al, al
  jz .done
  cmp al, ' '
  je .done
  call putc
  jmp .next
.done:
  pop eax
  pop esi
  ret

; putdec64: EDX:EAX unsigned decimal. Keeps all registers.
putdec64:
  pushad
  mov ecx, 10
  xor ebx, ebx                        ; digits pushed
.div:
  mov esi, eax                        ; low
  mov eax, edx
  xor edx, edx
  div ecx                             ; high / 10
  mov edi, eax                        ; new high
  mov eax, esi
  div ecx                             ; (rem:low) / 10
  push edx
  inc ebx
  mov edx, edi
  mov esi, eax
  or esi, edx
  jnz .div
.out:
  pop eax
  add al, '0'
  call putc
  dec ebx
  jnz .out
  popad
  ret

section .rodata
key_name:      db "name=", 0
key_novmcall:  db "novmcall", 0
default_label: db "exit_cost", 0
name_loop:     db "loop", 0
name_cpuid:    db "cpuid", 0
name_vmcall:   db "vmcall", 0

section .data
align 4
label:     dd 0
novmcall:  db 0
align 4
loop_mean: dd 0
mean:      dd 0
dmin:      dd 0
kept:      dd 0
t_start:   dq 0
total:     dq 0

section .bss
alignb 4
deltas:    resd N
deltas_end:
