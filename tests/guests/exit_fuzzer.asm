; The hypercall and exit fuzzer: `count=` steps (default 100000) from a
; xorshift32 generator seeded by `seed=` (decimal, default 1; the seed is
; printed first, so a failing run replays). Each step is one of
;   VMCALL  a number biased to 0..HC_COUNT and its edges, arguments from
;           edge classes: 0, -1, huge, unaligned, in its own memory, across
;           and just past its end, device and other physical ranges;
;   RDMSR / WRMSR  architectural MSRs and the ranges the hypervisor
;           handles (x2APIC 0x800-0x8ff, MTRRs, PAT, EFER, SYSENTER, ...),
;           nearby and random indices, edge and random values;
;   IN / OUT  PC and random ports at every width, string forms included;
;   CR0 / CR3 / CR4 writes (and LMSW, CLTS), XSETBV, CPUID with random leaves.
; A #GP (or #UD for XSETBV) injected by the hypervisor is expected and caught;
; any other fault is a FAIL. After every step the guest checks itself: ESP,
; a marker at the bottom of its stack and one in its data, every GPR but EAX
; across VMCALL, CR0 and CR4 as it set them, a CR or XCR0 read back as
; written or unchanged after a fault, and (at every progress line) a
; checksum of its code and read-only data. A hypercall that needs a right it lacks must return
; -EPERM, an unknown number -ENOSYS, HC_VERSION the ABI version.
;
; What it leaves out, as it would end or break the guest by design (the
; hypervisor's job is to keep the guest alive, not to survive a guest
; killing itself): HC_SHUTDOWN; HC_YIELD but rarely (each gives a whole
; slice to a spinning neighbour); CR0.PG set or CR0.PE clear (it runs
; unpaged, so CR3 and the paging bits of CR4 take any value); writes that
; reset, power off or exit (0xCF9 but a dword CONFIG_ADDRESS, the 8042's
; command port, port 0x92, PM1a_CNT, the isa-debug-exit ports) and writes
; to its own UART; INIT, SIPI, SMI and ExtINT deliveries in x2APIC writes
; (bits 9:8 of the ICR and LVTs cleared: fixed or NMI remain); any
; argument within GUARD below or inside its own image, which a call that
; writes guest memory (HC_LOG_READ ...) would overwrite. IF stays clear
; (what the fuzzing raises stays pending); NMIs are counted and returned.
; There is no CR8 outside 64-bit mode: the TPR is x2APIC MSR 0x808.
;
; Output: "exit_fuzzer: seed=<s> count=<n>", a progress line every
; count/16 steps, then two summary lines and the RESULT line. With
; `trace=<step>`, every step from that one on also prints its operands
; (the registers going into its instruction), to find what a seed did.
%define TEST_NAME "exit_fuzzer"
%include "lib.inc"

extern _image_start, _end

DEFAULT_COUNT   equ 100000
DEFAULT_SEED    equ 1
PROGRESS_LINES  equ 16
MARKER          equ 0x5afec0de
SCRATCH_BASE    equ 0x200000           ; 2 MiB up to the top: free for the hypervisor to write
LOW_SCRATCH_TOP equ 0x90000            ; below the EBDA: free as well
GUARD           equ 0x11000            ; the longest write a call may make (64 KiB) and a page
MEM_MIN         equ 0x300000
VEC_NMI         equ 2
CR0_PE          equ 1 << 0
CR0_ET          equ 1 << 4
CR0_PG          equ 1 << 31
; CR0's bits but ET (hardwired): a write sets these and ignores the reserved
; ones (SDM Vol. 3A 2.5: only bits 63:32 and PG without PE, NW without CD fault).
CR0_KEPT        equ 0xe005002f
CR4_OSFXSR      equ 1 << 9
CR4_OSXSAVE     equ 1 << 18
CPUID_1_ECX_XSAVE equ 1 << 26
X2APIC_FIRST    equ 0x800
X2APIC_LAST     equ 0x8ff
APIC_DM_NOT_NMI equ 0x300              ; ICR/LVT delivery mode bits 9:8 (10:8 = 100 is NMI)
IO_BUF_BYTES    equ 64                 ; rep ins/outs: at most 15 dwords

; Step kinds, the index of counts[] and of kind_table.
K_VMCALL equ 0
K_RDMSR  equ 1
K_WRMSR  equ 2
K_IO     equ 3
K_CR     equ 4
K_XSETBV equ 5
K_CPUID  equ 6
KINDS    equ 7
KIND_SLOTS equ 8                       ; rand & 7: slot 7 is a second VMCALL

; Hypercall results, the index of hc_results[].
R_OK     equ 0
R_EPERM  equ 1
R_EFAULT equ 2
R_EINVAL equ 3
R_ENOSYS equ 4
R_ESRCH  equ 5
R_OTHER  equ 6
RESULTS  equ 7

; Calls the fuzzer never holds the right for (domains, memory, sched, power
; and the console: it must never run with them): -EPERM, whatever the arguments.
%define CALLS(first, last) ((1 << ((last) + 1)) - (1 << (first)))
DENIED equ CALLS(HC_DOMAIN_LIST, HC_CONSOLE_READ) | CALLS(HC_MODULE_LIST, HC_DOMAIN_START) | \
  CALLS(HC_CONSOLE_INPUT, HC_CONSOLE_INPUT) | CALLS(HC_HOST_POWER, HC_HOST_POWER) | \
  CALLS(HC_SCHED_GET, HC_VCPU_PIN) | CALLS(HC_DOMAIN_MEM_READ, HC_COUNT - 1)

; CHECK_FAULT allowed-vectors mask: counts a fault; a vector outside the mask is a FAIL.
%macro CHECK_FAULT 1
  mov ebx, %1
  call check_fault
%endmacro
ALLOW_NONE equ 0
ALLOW_GP   equ 1 << VEC_GP
ALLOW_UD   equ 1 << VEC_UD

main:
  mov esi, key_count
  mov edx, DEFAULT_COUNT
  call cmdline_dec
  mov [count], eax
  mov esi, key_seed
  mov edx, DEFAULT_SEED
  call cmdline_dec
  test eax, eax
  jnz .seeded
  mov eax, DEFAULT_SEED                ; xorshift stays at 0
.seeded:
  mov [seed], eax
  mov esi, key_trace
  or edx, -1
  call cmdline_dec
  mov [trace_from], eax
  mov eax, [seed]
  PRINT TEST_NAME, ": seed="
  call putdec
  PRINT " count="
  mov eax, [count]
  call putdec
  PRINT 10
  mov eax, [count]
  xor edx, edx
  mov ecx, PROGRESS_LINES
  div ecx
  test eax, eax
  jnz .interval
  inc eax
.interval:
  mov [interval], eax

  call guest_mem_size
  and eax, ~0xfff
  cmp eax, MEM_MIN
  jae .mem_ok
  FAIL_HEX "memory below 3 MiB:", eax
.mem_ok:
  mov [mem_top], eax
  mov eax, VEC_NMI
  mov edx, isr_nmi
  call idt_set_gate
  call image_sum
  mov [image_sum0], eax
  mov dword [stack], MARKER
  mov dword [marker], MARKER
  mov [main_esp], esp
  ; The CR state every step must leave: CR4 with XSAVE enabled if the CPU has it.
  mov eax, 1
  cpuid
  mov eax, cr4
  test ecx, CPUID_1_ECX_XSAVE
  jz .no_xsave
  or eax, CR4_OSFXSR | CR4_OSXSAVE
  mov cr4, eax
  push eax
  xor ecx, ecx
  xgetbv
  mov [xcr0_base], eax
  mov [xcr0_base + 4], edx
  pop eax
.no_xsave:
  mov [cr4_base], eax
  mov eax, cr0
  mov [cr0_base], eax

.step:
  call rand
  and eax, KIND_SLOTS - 1
  movzx ebx, byte [slot_kind + eax]
  inc dword [counts + ebx * 4]
  jmp [kind_table + ebx * 4]

.checked:
  inc dword [steps]
  mov eax, [steps]
  xor edx, edx
  div dword [interval]
  test edx, edx
  jnz .next
  call image_sum
  cmp eax, [image_sum0]
  je .progress
  FAIL_HEX "code or read-only data changed at step", dword [steps]
.progress:
  PRINT 10, TEST_NAME, ": step "
  mov eax, [steps]
  call putdec
  PRINT " faults "
  mov eax, [fault_count]
  call putdec
  PRINT 10
.next:
  mov eax, [steps]
  cmp eax, [count]
  jb .step
  call summary
  PASS

; Every step jumps back here: the guest's own state intact.
step_done:
  cmp esp, [main_esp]
  je .esp_ok
  FAIL_HEX "ESP changed by a step, now", esp
.esp_ok:
  cmp dword [stack], MARKER
  je .stack_ok
  FAIL_HEX "stack bottom marker overwritten:", dword [stack]
.stack_ok:
  cmp dword [marker], MARKER
  je .marker_ok
  FAIL_HEX "data marker overwritten:", dword [marker]
.marker_ok:
  mov eax, cr0
  xor eax, [cr0_base]
  and eax, ~CR0_ET                     ; hardwired to 1 on later CPUs
  jz .cr0_ok
  mov eax, cr0
  FAIL_HEX "CR0 not as the guest left it:", eax
.cr0_ok:
  mov eax, cr4
  cmp eax, [cr4_base]
  je .cr4_ok
  FAIL_HEX "CR4 not as the guest left it:", eax
.cr4_ok:
  cld
  jmp main.checked

; ---------------------------------------------------------------------------
; VMCALL

step_vmcall:
  call rand_hc_number
  mov [hc_nr], eax
  call rand_arg
  mov [hc_args], eax                   ; EDI
  call rand_arg
  mov [hc_args + 4], eax               ; ESI
  call rand_arg
  mov [hc_args + 8], eax               ; EDX
  call rand
  mov [hc_args + 12], eax              ; EBX, ECX, EBP: not arguments, must be kept
  call rand
  mov [hc_args + 16], eax
  call rand
  mov [hc_args + 20], eax
  mov eax, [hc_nr]
  cmp eax, HC_CONSOLE_WRITE
  jne .load
  ; A console write that may succeed prints at most 7 bytes, dots half the
  ; time: the log stays readable, the length edges (> 4096) still come through.
  cmp dword [hc_args + 4], HC_CONSOLE_WRITE_MAX
  ja .load
  and dword [hc_args + 4], 7
  call rand
  test eax, 1
  jz .load
  mov dword [hc_args], cw_dots
.load:
  push ebp
  mov eax, [hc_nr]
  mov edi, [hc_args]
  mov esi, [hc_args + 4]
  mov edx, [hc_args + 8]
  mov ebx, [hc_args + 12]
  mov ecx, [hc_args + 16]
  mov ebp, [hc_args + 20]
  call trace
  TRY vmcall
  cmp edi, [hc_args]
  jne .clobbered
  cmp esi, [hc_args + 4]
  jne .clobbered
  cmp edx, [hc_args + 8]
  jne .clobbered
  cmp ebx, [hc_args + 12]
  jne .clobbered
  cmp ecx, [hc_args + 16]
  jne .clobbered
  cmp ebp, [hc_args + 20]
  jne .clobbered
  pop ebp
  mov [hc_ret], eax
  CHECK_FAULT ALLOW_NONE
  call hc_check
  jmp step_done
.clobbered:
  pop ebp
  FAIL_HEX "a register other than EAX changed across VMCALL, number", dword [hc_nr]

; rand_hc_number: EAX = a hypercall number: 3/4 in 0..HC_COUNT, else an edge.
; HC_SHUTDOWN becomes HC_VERSION; HC_YIELD stays 1 time in 64.
rand_hc_number:
  call rand
  test eax, 3 << 8
  jz .edge
  xor edx, edx
  mov ecx, HC_COUNT + 1
  div ecx
  mov eax, edx
  jmp .filter
.edge:
  and eax, 0xff
  xor edx, edx
  mov ecx, HC_EDGES
  div ecx
  mov eax, [hc_edges + edx * 4]
.filter:
  cmp eax, HC_SHUTDOWN
  je .version
  cmp eax, HC_YIELD
  jne .out
  push eax
  call rand
  test eax, 63 << 4
  pop eax
  jz .out
.version:
  mov eax, HC_VERSION
.out:
  ret

; hc_check: the result in [hc_ret] of call [hc_nr]: counted by errno;
; FAIL where the ABI fixes it whatever the arguments.
hc_check:
  mov eax, [hc_ret]
  mov ecx, [hc_nr]
  cmp ecx, HC_COUNT
  jb .known
  cmp eax, ENOSYS_RET
  je .count
  FAIL_HEX "an unknown hypercall did not return -ENOSYS: number", dword [hc_nr]
.known:
  bt [denied], ecx
  jnc .allowed
  cmp eax, -EPERM
  je .count
  FAIL_HEX "a call needing a right the fuzzer lacks did not return -EPERM: number", dword [hc_nr]
.allowed:
  cmp dword [hc_nr], HC_VERSION
  jne .count
  cmp eax, HYPERCALL_ABI_VERSION
  je .count
  FAIL_HEX "HC_VERSION returned", eax
.count:
  mov ecx, R_OTHER
  test eax, eax
  jns .ok
  cmp eax, -EPERM
  je .eperm
  cmp eax, -EFAULT
  je .efault
  cmp eax, -EINVAL
  je .einval
  cmp eax, -ENOSYS
  je .enosys
  cmp eax, -ESRCH
  jne .tally
  mov ecx, R_ESRCH
  jmp .tally
.ok:
  mov ecx, R_OK
  jmp .tally
.eperm:
  mov ecx, R_EPERM
  jmp .tally
.efault:
  mov ecx, R_EFAULT
  jmp .tally
.einval:
  mov ecx, R_EINVAL
  jmp .tally
.enosys:
  mov ecx, R_ENOSYS
.tally:
  inc dword [hc_results + ecx * 4]
  ret

; rand_arg: EAX = an argument of a random class (pointer, length, id ...),
; never within GUARD below or inside the guest's own image.
rand_arg:
  call rand
  mov ecx, eax
  call rand
  shr ecx, 28
  jmp [arg_class + ecx * 4]
.zero:
  xor eax, eax
  jmp .guard
.ones:
  or eax, -1
  jmp .guard
.small:
  and eax, 0xff
  jmp .guard
.edge:
  and eax, 0xff
  xor edx, edx
  mov ecx, EDGES
  div ecx
  mov eax, [edges + edx * 4]
  jmp .guard
.below_top:                            ; a range that runs over the end
  and eax, 0x1fff
  neg eax
  add eax, [mem_top]
  jmp .guard
.past_top:
  and eax, 0x1fff
  add eax, [mem_top]
  jmp .guard
.last_page:
  mov eax, [mem_top]
  sub eax, 0x1000
  jmp .guard
.scratch:
  mov ecx, [mem_top]
  sub ecx, SCRATCH_BASE
  xor edx, edx
  div ecx
  lea eax, [edx + SCRATCH_BASE]
  jmp .guard
.scratch_page:
  call .scratch
  and eax, ~0xfff
  ret
.scratch_odd:
  call .scratch
  or eax, 1
  ret
.low:
  xor edx, edx
  mov ecx, LOW_SCRATCH_TOP
  div ecx
  mov eax, edx
  jmp .guard
.huge:
  or eax, 0x80000000
.guard:
.random:
  cmp eax, _image_start - GUARD
  jb .out
  cmp eax, _end
  jae .out
  xor eax, 0x80000000                  ; out of its memory instead
.out:
  ret

; ---------------------------------------------------------------------------
; RDMSR / WRMSR

; rand_msr: ECX = an MSR index: half from the table, a quarter x2APIC, an
; eighth near a table entry, an eighth anything.
rand_msr:
  call rand
  mov ecx, eax
  shr ecx, 29
  cmp ecx, 4
  jb .table
  cmp ecx, 6
  jb .x2apic
  je .near
  mov ecx, eax
  call rand
  xor ecx, eax
  ret
.x2apic:
  movzx ecx, al
  add ecx, X2APIC_FIRST
  ret
.table:
  and eax, 0xffff
  xor edx, edx
  mov ecx, MSRS
  div ecx
  mov ecx, [msrs + edx * 4]
  ret
.near:
  call .table
  call rand
  and eax, 0x3f
  lea ecx, [ecx + eax - 0x20]
  ret

step_rdmsr:
  call rand_msr
  mov [msr_index], ecx
  call trace
  TRY rdmsr
  CHECK_FAULT ALLOW_GP
  jmp step_done

step_wrmsr:
  call rand_msr
  mov [msr_index], ecx
  call rand_value
  mov ecx, [msr_index]
  cmp ecx, X2APIC_FIRST
  jb .write
  cmp ecx, X2APIC_LAST
  ja .write
  and eax, ~APIC_DM_NOT_NMI
.write:
  call trace
  TRY wrmsr
  CHECK_FAULT ALLOW_GP
  jmp step_done

; rand_value: EDX:EAX = a 64-bit value: 0, all ones, an edge in either half,
; the MSR's own value [msr_index] with one bit flipped, or random.
rand_value:
  call rand
  mov edx, eax
  shr edx, 29
  jmp [value_class + edx * 4]
.zero:
  xor eax, eax
  xor edx, edx
  ret
.ones:
  or eax, -1
  or edx, -1
  ret
.edge_low:
  call rand_arg.edge
  xor edx, edx
  ret
.edge_high:
  call rand_arg.edge
  mov edx, eax
  call rand
  ret
.flip:
  mov ecx, [msr_index]
  TRY rdmsr
  cmp dword [fault_vec], NO_FAULT
  jne .random
  push eax
  push edx
  call rand
  and eax, 63
  mov ecx, eax
  pop edx
  pop eax
  cmp ecx, 32
  jae .flip_high
  btc eax, ecx
  ret
.flip_high:
  sub ecx, 32
  btc edx, ecx
  ret
.low:
  call rand
  xor edx, edx
  ret
.random:
  call rand
  mov edx, eax
  call rand
  ret

; ---------------------------------------------------------------------------
; IN / OUT

step_io:
  call rand
  mov ebx, eax
  test eax, 1 << 20                    ; half from the table of PC ports
  jz .any_port
  and eax, 0xff
  xor edx, edx
  mov ecx, PORTS
  div ecx
  movzx edx, word [ports + edx * 2]
  jmp .port
.any_port:
  movzx edx, ax
.port:
  mov [io_port], edx
  mov ecx, ebx
  shr ecx, 24
  and ecx, 3
  movzx ecx, byte [widths + ecx]       ; 1, 2, 4, 4
  mov [io_width], ecx
  call trace
  test ebx, 1 << 21
  jz .in
  call port_write_ok
  jc .in                               ; a write that would end the guest: read instead
  call rand
  test ebx, 7 << 26
  jz .outs
  mov edx, [io_port]
  cmp dword [io_width], 2
  jb .out8
  je .out16
  TRY out dx, eax
  jmp .outs_done
.out8:
  TRY out dx, al
  jmp .outs_done
.out16:
  TRY out dx, ax
  jmp .outs_done
.outs:
  mov esi, io_buf
  call rep_count
  cmp dword [io_width], 2
  jb .outsb
  je .outsw
  TRY rep outsd
  jmp .outs_done
.outsb:
  TRY rep outsb
  jmp .outs_done
.outsw:
  TRY rep outsw
.outs_done:
  CHECK_FAULT ALLOW_NONE
  jmp step_done
.in:
  test ebx, 7 << 26
  jz .ins
  mov edx, [io_port]
  cmp dword [io_width], 2
  jb .in8
  je .in16
  TRY in eax, dx
  jmp .ins_done
.in8:
  TRY in al, dx
  jmp .ins_done
.in16:
  TRY in ax, dx
  jmp .ins_done
.ins:
  mov edi, io_buf
  call rep_count
  cmp dword [io_width], 2
  jb .insb
  je .insw
  TRY rep insd
  jmp .ins_done
.insb:
  TRY rep insb
  jmp .ins_done
.insw:
  TRY rep insw
.ins_done:
  CHECK_FAULT ALLOW_NONE
  jmp step_done

; rep_count: ECX = 0..15 repetitions (io_buf holds 15 dwords), EDX = the port.
rep_count:
  call rand
  and eax, 15
  mov ecx, eax
  mov edx, [io_port]
  ret

; port_write_ok: CF set if a write of [io_width] bytes at [io_port] touches
; a port that ends the guest. Keeps all but EAX.
port_write_ok:
  push ecx
  push edx
  push esi
  mov eax, [io_port]
  cmp eax, PCI_CONFIG_ADDRESS
  jne .ranges
  cmp dword [io_width], 4
  je .ok                               ; the one access at 0xCF8 that is not 0xCF9
.ranges:
  mov edx, eax
  add edx, [io_width]
  dec edx                              ; last port written
  xor esi, esi
.range:
  movzx ecx, word [kill_ports + esi * 4 + 2]
  cmp eax, ecx                         ; first > range end: no overlap
  ja .next
  movzx ecx, word [kill_ports + esi * 4]
  cmp edx, ecx                         ; last < range start: no overlap
  jb .next
  stc
  jmp .out
.next:
  inc esi
  cmp esi, KILL_RANGES
  jb .range
.ok:
  clc
.out:
  pop esi
  pop edx
  pop ecx
  ret

; ---------------------------------------------------------------------------
; Control registers: a random write (PE kept, PG clear), read back: as
; written, or unchanged after a #GP. Then the step's CR is set back.

step_cr:
  call rand
  mov ebx, eax
  call rand_value.random
  and ebx, 3
  call trace
  jmp [cr_kind + ebx * 4]
.cr0:
  or eax, CR0_PE
  and eax, ~CR0_PG
  mov [cr_value], eax
  TRY mov cr0, eax
  CHECK_FAULT ALLOW_GP
  mov eax, cr0
  mov edx, [cr0_base]
  mov ecx, CR0_KEPT
  call cr_readback
  mov eax, [cr0_base]
  mov cr0, eax
  jmp step_done
.cr3:
  mov [cr_value], eax
  mov ebx, cr3
  mov [cr3_old], ebx
  TRY mov cr3, eax
  CHECK_FAULT ALLOW_GP
  mov eax, cr3
  mov edx, [cr3_old]
  or ecx, -1
  call cr_readback
  mov eax, [cr3_old]
  mov cr3, eax
  jmp step_done
.cr4:
  mov [cr_value], eax
  TRY mov cr4, eax
  CHECK_FAULT ALLOW_GP
  mov eax, cr4
  mov edx, [cr4_base]
  or ecx, -1
  call cr_readback
  mov eax, [cr4_base]
  mov cr4, eax
  jmp step_done
.lmsw:
  ; LMSW sets PE, MP, EM, TS from bits 3:0 and cannot clear PE; CLTS clears TS.
  test eax, 1 << 8
  jz .clts
  TRY lmsw ax
  CHECK_FAULT ALLOW_NONE
  jmp .cr0_back
.clts:
  TRY clts
  CHECK_FAULT ALLOW_NONE
.cr0_back:
  mov eax, cr0
  test eax, CR0_PE
  jnz .pe_kept
  FAIL_HEX "LMSW or CLTS cleared CR0.PE:", eax
.pe_kept:
  mov eax, [cr0_base]
  mov cr0, eax
  jmp step_done

; cr_readback: EAX = the CR read back, EDX = its value before the write,
; ECX = the bits compared; [cr_value] was written. FAIL unless it reads the
; write (no fault) or the old value (a fault).
cr_readback:
  cmp dword [fault_vec], NO_FAULT
  jne .faulted
  mov edx, [cr_value]
.faulted:
  xor edx, eax
  and edx, ecx
  jz .ok
  push eax
  PRINT "written 0x"
  mov eax, [cr_value]
  call puthex
  PRINT " fault "
  mov eax, [fault_vec]
  call puthex
  PRINT 10
  pop eax
  FAIL_HEX "a CR read back neither the value written nor the old one:", eax
.ok:
  ret

; ---------------------------------------------------------------------------
; XSETBV: #GP for a bad XCR or value, #UD without CR4.OSXSAVE; a value
; taken reads back through XGETBV, then XCR0 is set back.

step_xsetbv:
  call rand
  mov ecx, eax
  and ecx, 1
  test eax, 7 << 8
  jnz .xcr
  mov ecx, eax                         ; one in eight: any XCR
.xcr:
  mov [xcr_index], ecx
  call rand
  test eax, 1 << 12
  jz .any
  and eax, 0xff                        ; the low state components, high half 0
  xor edx, edx
  jmp .set
.any:
  call rand_value
  mov ecx, [xcr_index]
.set:
  mov [cr_value], eax
  mov [cr_value + 4], edx
  call trace
  ; One in eight with CR4.OSXSAVE clear: #UD, whatever the XCR and value.
  push eax
  call rand
  test eax, 7 << 16
  pop eax
  jnz .osxsave
  mov ebx, [cr4_base]
  and ebx, ~CR4_OSXSAVE
  mov cr4, ebx
  TRY xsetbv
  mov ebx, [cr4_base]
  mov cr4, ebx
  CHECK_FAULT ALLOW_UD
  cmp dword [fault_vec], VEC_UD
  je step_done
  FAIL "XSETBV with CR4.OSXSAVE clear did not raise #UD"
.osxsave:
  TRY xsetbv
  CHECK_FAULT ALLOW_GP | ALLOW_UD
  cmp dword [fault_vec], NO_FAULT
  jne step_done
  xor ecx, ecx
  xgetbv
  cmp edx, [cr_value + 4]
  jne .differs
  cmp eax, [cr_value]
  je .back
.differs:
  FAIL_HEX "XGETBV does not read what XSETBV took:", eax
.back:
  xor ecx, ecx
  mov eax, [xcr0_base]
  mov edx, [xcr0_base + 4]
  xsetbv
  jmp step_done

; ---------------------------------------------------------------------------
; CPUID: basic, hypervisor and extended ranges, random subleaves.

step_cpuid:
  call rand
  mov ecx, eax
  call rand
  mov ebx, eax
  shr ebx, 30
  jmp [cpuid_range + ebx * 4]
.basic:
  and eax, 0x1f
  jmp .run
.hv:
  and eax, 0xff
  add eax, 0x40000000
  jmp .run
.ext:
  and eax, 0x1f
  add eax, 0x80000000
.run:
.any:
  call trace
  TRY cpuid
  CHECK_FAULT ALLOW_NONE
  jmp step_done

; ---------------------------------------------------------------------------

; trace: from step `trace=` on, "trace <step> <kind> eax ebx ecx edx esi edi"
; before the step's instruction (its operands). Keeps all registers.
trace:
  push eax
  mov eax, [steps]
  cmp eax, [trace_from]
  pop eax
  jae .print
  ret
.print:
  pushad
  push edi
  push esi
  push edx
  push ecx
  push ebx
  push eax
  PRINT TEST_NAME, ": trace "
  mov eax, [steps]
  call putdec
  mov ecx, 6
.reg:
  PRINT " "
  pop eax
  call puthex
  loop .reg
  PRINT 10
  popad
  ret

; check_fault: a fault ([fault_vec]) is counted by vector; EBX = the vectors
; allowed. Keeps all but EBX.
check_fault:
  push eax
  mov eax, [fault_vec]
  cmp eax, NO_FAULT
  je .none
  bt ebx, eax
  jnc .unexpected
  inc dword [faults + eax * 4]
.none:
  pop eax
  ret
.unexpected:
  PRINT TEST_NAME, ": step "
  mov eax, [steps]
  call putdec
  PRINT " fault at eip 0x"
  mov eax, [fault_eip]
  call puthex
  PRINT " error 0x"
  mov eax, [fault_err]
  call puthex
  PRINT 10
  FAIL_HEX "a fault this step may not raise: vector", dword [fault_vec]

isr_nmi:
  inc dword [nmis]
  iretd

; image_sum: EAX = the sum of the image from _image_start to the data.
image_sum:
  push esi
  mov esi, _image_start
  xor eax, eax
.add:
  rol eax, 5
  add eax, [esi]
  add esi, 4
  cmp esi, rodata_end
  jb .add
  pop esi
  ret

; summary: "exit_fuzzer: <n> steps: vmcall <n> rdmsr <n> ...; faults #GP <n>
; #UD <n>, NMIs <n>" and "exit_fuzzer: hypercalls ok <n> -EPERM <n> ...".
summary:
  PRINT TEST_NAME, ": "
  mov eax, [steps]
  call putdec
  PRINT " steps:"
  xor ebx, ebx
.kind:
  PRINT " "
  mov esi, [kind_names + ebx * 4]
  call puts
  PRINT " "
  mov eax, [counts + ebx * 4]
  call putdec
  inc ebx
  cmp ebx, KINDS
  jb .kind
  PRINT "; faults #GP "
  mov eax, [faults + VEC_GP * 4]
  call putdec
  PRINT " #UD "
  mov eax, [faults + VEC_UD * 4]
  call putdec
  PRINT ", NMIs "
  mov eax, [nmis]
  call putdec
  PRINT 10, TEST_NAME, ": hypercalls"
  xor ebx, ebx
.result:
  PRINT " "
  mov esi, [result_names + ebx * 4]
  call puts
  PRINT " "
  mov eax, [hc_results + ebx * 4]
  call putdec
  inc ebx
  cmp ebx, RESULTS
  jb .result
  PRINT 10
  ret

%include "rand.inc"

PCI_CONFIG_ADDRESS equ 0xcf8

section .rodata
align 4
kind_table: dd step_vmcall, step_rdmsr, step_wrmsr, step_io, step_cr, step_xsetbv, step_cpuid
slot_kind:  db K_VMCALL, K_RDMSR, K_WRMSR, K_IO, K_CR, K_XSETBV, K_CPUID, K_VMCALL
align 4
kind_names: dd n_vmcall, n_rdmsr, n_wrmsr, n_io, n_cr, n_xsetbv, n_cpuid
n_vmcall: db "vmcall", 0
n_rdmsr:  db "rdmsr", 0
n_wrmsr:  db "wrmsr", 0
n_io:     db "io", 0
n_cr:     db "cr", 0
n_xsetbv: db "xsetbv", 0
n_cpuid:  db "cpuid", 0
align 4
result_names: dd n_ok, n_eperm, n_efault, n_einval, n_enosys, n_esrch, n_other
n_ok:     db "ok", 0
n_eperm:  db "-EPERM", 0
n_efault: db "-EFAULT", 0
n_einval: db "-EINVAL", 0
n_enosys: db "-ENOSYS", 0
n_esrch:  db "-ESRCH", 0
n_other:  db "other", 0
align 4
denied:   dq DENIED
arg_class:
  dd rand_arg.zero, rand_arg.ones, rand_arg.small, rand_arg.edge
  dd rand_arg.below_top, rand_arg.past_top, rand_arg.last_page, rand_arg.scratch
  dd rand_arg.scratch_page, rand_arg.scratch_odd, rand_arg.low, rand_arg.huge
  dd rand_arg.edge, rand_arg.random, rand_arg.random, rand_arg.random
value_class:
  dd rand_value.zero, rand_value.ones, rand_value.edge_low, rand_value.edge_high
  dd rand_value.flip, rand_value.flip, rand_value.low, rand_value.random
cr_kind:     dd step_cr.cr0, step_cr.cr3, step_cr.cr4, step_cr.lmsw
cpuid_range: dd step_cpuid.basic, step_cpuid.hv, step_cpuid.ext, step_cpuid.any
hc_edges:
  dd HC_COUNT, HC_COUNT + 1, HC_COUNT - 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xff, 0x100, 0x10000
  dd HC_EVENT_SETUP, HC_TIMER_SET, HC_VCPU_START, HC_CONSOLE_WRITE, HC_LOG_READ, HC_HOST_INFO, HC_CPU_INFO
HC_EDGES equ ($ - hc_edges) / 4
; Sizes and addresses where checks go wrong: page and length limits, sign
; and wrap boundaries, the image's own load address (guarded), the BIOS
; areas, device windows, unmapped physical memory.
edges:
  dd 1, 2, 3, 4, 7, 8, 0xfff, 0x1000, 0x1001, 0xffff, 0x10000, 0x10001
  dd 0x7fffffff, 0x80000000, 0x80000001, 0xfffff000, 0xfffffff8, 0xfffffffc, 0xfffffffe
  dd 0x9fc00, 0xa0000, 0xb8000, 0xe0000, 0xffff0, 0x100000, 0x1000000, 0x10000000, 0x40000000
  dd 0xfec00000, 0xfee00000, 0xfed00000, 0xffffffc0, 32, 255, 256
EDGES equ ($ - edges) / 4
msrs:
  dd 0x10, 0x17, 0x1b, 0x3a, 0x3b, 0x48, 0x49, 0x79, 0x8b, 0x9b       ; TSC ... SPEC_CTRL, PRED_CMD, BIOS_UPDT_TRIG, BIOS_SIGN_ID
  dd 0xc1, 0xce, 0xe7, 0xe8, 0xfe, 0x10a, 0x10b                          ; PMC0, PLATFORM_INFO, MPERF, APERF, MTRRCAP, ARCH_CAPABILITIES, FLUSH_CMD
  dd 0x174, 0x175, 0x176, 0x179, 0x17a, 0x186, 0x198, 0x199, 0x1a0, 0x1d9 ; SYSENTER, MCG, PERFEVTSEL0, PERF_STATUS/CTL, MISC_ENABLE, DEBUGCTL
  dd 0x200, 0x201, 0x20f, 0x250, 0x258, 0x259, 0x268, 0x26f, 0x277, 0x2ff ; MTRR variable, fixed, PAT, DEF_TYPE
  dd 0x38d, 0x38f, 0x3f1, 0x400, 0x401, 0x402, 0x403                     ; fixed counters, PERF_GLOBAL_CTRL, PEBS, MC0
  dd 0x480, 0x481, 0x48b, 0x491, 0x4c1, 0x6a0, 0x6a2, 0x6e0, 0xd90, 0xda0 ; VMX capabilities, A_PMC0, CET, TSC_DEADLINE, BNDCFGS, XSS
  dd 0x802, 0x803, 0x808, 0x80b, 0x80f, 0x830, 0x832, 0x838, 0x83e, 0x83f ; x2APIC ID ... SELF_IPI
  dd 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084          ; EFER, STAR, LSTAR, CSTAR, FMASK
  dd 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103                      ; FS_BASE, GS_BASE, KERNEL_GS_BASE, TSC_AUX
  dd 0xc0010015, 0x40000000, 0x40000001, 0x4b564d00, 0x4b564d01, 0xffffffff, 0 ; AMD HWCR, Hyper-V and KVM synthetic
MSRS equ ($ - msrs) / 4
widths: db 1, 2, 4, 4
align 2
ports:
  dw 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61   ; PICs, ELCR, PIT, port B
  dw 0x60, 0x64, 0x70, 0x71, 0x80, 0x92, 0xb2, 0xe9, 0xf4                 ; 8042, RTC, POST, port 92, APM, debug ports
  dw 0xcf8, 0xcf9, 0xcfa, 0xcfc, 0xcfd, 0xcfe, 0xcff                      ; PCI configuration, reset control
  dw 0x510, 0x511, 0x514, 0x600, 0x602, 0x604, 0x606, 0x608, 0x60a         ; fw_cfg, ACPI PM
  dw 0x1f0, 0x1f7, 0x3f6, 0x170, 0x376, 0x2f8, 0x3f8, 0x3fd, 0x402, 0x8900 ; ATA (Domain 0's), COM2, COM1, Bochs ports
  dw 0xfffe, 0xffff, 0
PORTS equ ($ - ports) / 2
; Writes that end the guest by design: {first, last} port.
kill_ports:
  dw 0x64, 0x64                         ; 8042 commands (0xFE pulses reset)
  dw 0x92, 0x92                         ; fast reset
  dw DEBUG_EXIT_PORT, DEBUG_EXIT_PORT + 3
  dw COM1, COM1 + 7                     ; its own console
  dw 0x604, 0x605                       ; PM1a_CNT: SLP_EN
  dw 0xcf9, 0xcf9                       ; reset control
KILL_RANGES equ ($ - kill_ports) / 4
key_count: db "count=", 0
key_seed:  db "seed=", 0
key_trace: db "trace=", 0
cw_dots:   db "......."
align 4
rodata_end:

section .data
align 4
marker:   dd 0

section .bss
alignb 4
count:      resd 1
interval:   resd 1
seed:       resd 1
trace_from: resd 1
steps:      resd 1
mem_top:    resd 1
main_esp:   resd 1
image_sum0: resd 1
cr0_base:   resd 1
cr4_base:   resd 1
xcr0_base:  resd 2
cr_value:   resd 2
cr3_old:    resd 1
xcr_index:  resd 1
msr_index:  resd 1
io_port:    resd 1
io_width:   resd 1
hc_nr:      resd 1
hc_ret:     resd 1
hc_args:    resd 6
nmis:       resd 1
counts:     resd KIND_SLOTS
faults:     resd 32
hc_results: resd RESULTS
io_buf:     resb IO_BUF_BYTES
