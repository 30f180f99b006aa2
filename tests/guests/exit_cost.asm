; Benchmark guest (bench/exit-cost.ts), not a pass/fail test: the cost of a
; CPUID exit (leaf 0) and of a VMCALL exit (HC_VERSION) in guest TSC ticks.
; In Bochs the TSC counts emulated instructions, so the figures repeat exactly.
;
; Command line: name=<label> (printed in the BENCH lines; default exit_cost),
; novmcall (skip the VMCALL part: bare QEMU, no hypervisor), lapic (also the
; LAPIC's costs, for bench/apic-cost.ts: a register read, a TPR write, a
; self-IPI from the ICR write to the handler's EOI and return, and the
; TSC-deadline timer's lateness, from the deadline to the handler's first
; instruction, with the vCPU spinning and with it halted), ipi (with
; vcpus=2 and lapic: a fixed IPI from vCPU 0 to vCPU 1 until vCPU 0 sees
; vCPU 1's handler run, with vCPU 1 halted and with it spinning).
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
; and with `lapic` the same for apic_read, tpr_write, self_ipi (loop
; subtracted), timer_running and timer_halted (ticks late, nothing
; subtracted), with `ipi` ipi_halted and ipi_running (loop subtracted);
; then RESULT exit_cost PASS and exit code 0.
%define TEST_NAME "exit_cost"
%include "lib.inc"
%include "clock.inc"

N       equ 2000
WARMUP  equ 100
SETTLE_TICKS equ 2000000             ; half a second of Bochs's TSC at its default ips

KIND_LOOP   equ 0
KIND_CPUID  equ 1
KIND_VMCALL equ 2
KIND_APIC_READ equ 3
KIND_TPR_WRITE equ 4
KIND_SELF_IPI  equ 5
KIND_TIMER_RUN equ 6
KIND_TIMER_HLT equ 7
KIND_IPI_HLT   equ 8
KIND_IPI_RUN   equ 9

LAPIC           equ 0xfee00000
LAPIC_VERSION   equ LAPIC + 0x030
LAPIC_TPR       equ LAPIC + 0x080
LAPIC_EOI       equ LAPIC + 0x0b0
LAPIC_SVR       equ LAPIC + 0x0f0
LAPIC_ICR_LOW   equ LAPIC + 0x300
LAPIC_ICR_HIGH  equ LAPIC + 0x310
ICR_DEST_SHIFT  equ 24
LAPIC_LVT_TIMER equ LAPIC + 0x320
SVR_ENABLE      equ 0x100
ICR_SELF        equ 1 << 18           ; destination shorthand: self
LVT_TSC_DEADLINE equ 2 << 17
IA32_TSC_DEADLINE equ 0x6e0
VEC_IPI         equ 0x40
VEC_TIMER       equ 0x41
VEC_REMOTE      equ 0x42
TIMER_AHEAD     equ 5000              ; the deadline, ticks after the rdtsc that sets it

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

  ; A wait first: the hypervisor's boot log, still going out on the serial
  ; port at the UART's pace, would be timed with the exits.
  mov ecx, SETTLE_TICKS
  call tsc_wait

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
  mov esi, key_lapic
  call cmdline_arg
  test eax, eax
  jz .done
  call lapic_costs
.done:
  PASS

; lapic_costs: the LAPIC's batches (xAPIC MMIO at the default base, paging off).
lapic_costs:
  mov eax, VEC_IPI
  mov edx, isr_ipi
  call idt_set_gate
  mov eax, VEC_TIMER
  mov edx, isr_timer
  call idt_set_gate
  mov dword [LAPIC_SVR], SVR_ENABLE | 0xff
  mov dword [LAPIC_LVT_TIMER], LVT_TSC_DEADLINE | VEC_TIMER
  mov eax, [LAPIC_VERSION]
  cmp al, 0x14
  je .version_ok
  FAIL_HEX "no xAPIC at 0xfee00000: version register", eax
.version_ok:
  mov eax, KIND_APIC_READ
  call batch
  mov esi, name_apic_read
  call report
  mov eax, KIND_TPR_WRITE
  call batch
  mov esi, name_tpr_write
  call report
  mov eax, KIND_SELF_IPI
  call batch
  mov esi, name_self_ipi
  call report
  mov byte [raw], 1
  mov eax, KIND_TIMER_RUN
  call batch
  mov esi, name_timer_running
  call report
  mov eax, KIND_TIMER_HLT
  call batch
  mov esi, name_timer_halted
  call report
  mov byte [raw], 0
  mov esi, key_ipi
  call cmdline_arg
  test eax, eax
  jz .no_ipi
  call ipi_costs
.no_ipi:
  ret

; ipi_costs: vCPU 1 up (vcpus.inc), its LAPIC on, then the IPI batches.
ipi_costs:
  mov eax, VEC_REMOTE
  mov edx, isr_remote
  call idt_set_gate
  mov ecx, 2
  call vcpus_start
  test eax, eax
  jz .started
  FAIL_HEX "HC_VCPU_START of vCPU 1 (vcpus=2 on the module line?) returned", eax
.started:
  mov ecx, 100000000
.wait_ap:
  cmp byte [ap_ready], 0
  jne .ready
  pause
  loop .wait_ap
  FAIL "vCPU 1 never enabled its LAPIC"
.ready:
  mov dword [LAPIC_ICR_HIGH], 1 << ICR_DEST_SHIFT
  mov eax, KIND_IPI_HLT
  call batch
  mov esi, name_ipi_halted
  call report
  mov byte [ap_spin], 1
  mov eax, KIND_IPI_RUN
  call batch
  mov esi, name_ipi_running
  call report
  ret

; vCPU 1: its LAPIC on, then it waits for IPIs, halted or spinning as
; vCPU 0 says (ap_spin).
ap_main:
  mov dword [LAPIC_SVR], SVR_ENABLE | 0xff
  mov byte [ap_ready], 1
.wait:
  sti
  cmp byte [ap_spin], 0
  jne .wait
  hlt
  jmp .wait

isr_remote:
  mov byte [hit], 1
  mov dword [LAPIC_EOI], 0
  iret

; The LAPIC's handlers: note the arrival (the timer's with its TSC), EOI.
isr_ipi:
  mov byte [hit], 1
  mov dword [LAPIC_EOI], 0
  iret

isr_timer:
  push eax
  push edx
  rdtsc
  mov [t_irq], eax
  mov byte [hit], 1
  mov dword [LAPIC_EOI], 0
  pop edx
  pop eax
  iret

; timer_arm: the TSC-deadline timer TIMER_AHEAD ticks from now; [deadline]
; its low half. Clobbers EAX, ECX, EDX.
timer_arm:
  mov byte [hit], 0
  rdtsc
  add eax, TIMER_AHEAD
  adc edx, 0
  mov [deadline], eax
  mov ecx, IA32_TSC_DEADLINE
  wrmsr
  ret

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
  cmp eax, KIND_APIC_READ
  je .apic_read
  cmp eax, KIND_TPR_WRITE
  je .tpr_write
  cmp eax, KIND_SELF_IPI
  je .self_ipi
  cmp eax, KIND_TIMER_RUN
  je .timer_running
  cmp eax, KIND_TIMER_HLT
  je .timer_halted
  cmp eax, KIND_IPI_HLT
  je .ipi_remote
  cmp eax, KIND_IPI_RUN
  je .ipi_remote

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
  jmp .timed

.apic_read:
  rdtsc
  mov ebp, eax
  xor eax, eax
  xor ecx, ecx
  mov eax, [LAPIC_VERSION]
  rdtsc
  sub eax, ebp
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .apic_read
  jmp .timed

.tpr_write:
  rdtsc
  mov ebp, eax
  xor eax, eax
  xor ecx, ecx
  mov dword [LAPIC_TPR], 0
  rdtsc
  sub eax, ebp
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .tpr_write
  jmp .timed

  ; From the ICR write to the return from the handler (its EOI included);
  ; the wait is for a delivery that is not at once.
.self_ipi:
  mov byte [hit], 0
  rdtsc
  mov ebp, eax
  xor eax, eax
  xor ecx, ecx
  sti
  mov dword [LAPIC_ICR_LOW], ICR_SELF | VEC_IPI
.ipi_wait:
  cmp byte [hit], 0
  je .ipi_wait
  cli
  rdtsc
  sub eax, ebp
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .self_ipi
  jmp .timed

  ; Ticks from the deadline to the handler's RDTSC.
.timer_running:
  call timer_arm
  sti
.run_wait:
  cmp byte [hit], 0
  je .run_wait
  cli
  mov eax, [t_irq]
  sub eax, [deadline]
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .timer_running
  jmp .timed

.timer_halted:
  call timer_arm
.hlt_wait:
  sti
  hlt
  cli
  cmp byte [hit], 0
  je .hlt_wait
  mov eax, [t_irq]
  sub eax, [deadline]
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .timer_halted
  jmp .timed

  ; From vCPU 0's ICR write to its seeing vCPU 1's handler run.
.ipi_remote:
  mov byte [hit], 0
  rdtsc
  mov ebp, eax
  xor eax, eax
  xor ecx, ecx
  mov dword [LAPIC_ICR_LOW], VEC_REMOTE
.remote_wait:
  cmp byte [hit], 0
  je .remote_wait
  rdtsc
  sub eax, ebp
  mov [edi], eax
  add edi, 4
  cmp edi, deltas_end
  jb .ipi_remote

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
  cmp byte [raw], 0
  jne .per
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
key_lapic:     db "lapic", 0
name_apic_read: db "apic_read", 0
name_tpr_write: db "tpr_write", 0
name_self_ipi:  db "self_ipi", 0
name_timer_running: db "timer_running", 0
name_timer_halted:  db "timer_halted", 0
key_ipi:       db "ipi", 0
name_ipi_halted:  db "ipi_halted", 0
name_ipi_running: db "ipi_running", 0

section .data
align 4
label:     dd 0
novmcall:  db 0
raw:       db 0                       ; report the mean as is (the timers' lateness)
hit:       db 0                       ; set by the LAPIC's handlers
ap_ready:  db 0                       ; vCPU 1's LAPIC is on
ap_spin:   db 0                       ; vCPU 1 waits spinning, not halted
align 4
deadline:  dd 0                       ; low half of the armed TSC deadline
t_irq:     dd 0                       ; low half of the timer handler's TSC
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

section .text
%include "vcpus.inc"
