; Every vCPU of a domain sleeps on its own one-shot timer (HC_TIMER_SET),
; on whichever CPU it runs: vCPU i sets a deadline (i + 1) x DELAY ticks
; ahead and halts with interrupts enabled. Its EVENT_TIMER must come in its
; own pending word (EVPAGE_PENDING + 8 x i, the handler finds i in its
; CPUID APIC id), wake it after exactly one HLT, at or after its deadline
; and at most TIMER_LATE_MAX late; no other vCPU's word may see it. vCPU 0 waits
; for all, then prints
;   timer_wakes_every_vcpu: vcpus=<n> late=<max ticks> hlts=<total>
; Module line: vcpus=<n> (2 to MAX_VCPUS).
%define TEST_NAME "timer_wakes_every_vcpu"
%include "lib.inc"
%include "vcpus.inc"

EV_VECTOR equ 0x41
DELAY     equ 3000000
BAD_LATE  equ 0xffffffff           ; woke early, or too late
APIC_ID_SHIFT equ 24               ; CPUID.1:EBX[31:24], the vCPU's index here

main:
  mov esi, key_vcpus
  mov edx, 2
  call cmdline_dec
  cmp eax, 2
  jb .bad_count
  cmp eax, MAX_VCPUS
  jbe .count_ok
.bad_count:
  FAIL_HEX "vcpus= must be 2 to MAX_VCPUS:", eax
.count_ok:
  mov [nvcpus], eax
  mov eax, EV_VECTOR
  mov edx, timer_isr
  mov edi, event_page
  call events_on
  mov ecx, [nvcpus]
  call vcpus_start
  test eax, eax
  jz .started
  FAIL_HEX "HC_VCPU_START failed:", eax
.started:
  xor ebx, ebx
  call sleep_on_timer
  ; The others: each reports once.
.wait:
  mov eax, [nvcpus]
  cmp [reported], eax
  jae .all
  pause
  jmp .wait
.all:
  xor ebx, ebx
  xor edx, edx                        ; the largest lateness
  xor ecx, ecx                        ; HLTs in all
.check:
  mov eax, [late + ebx * 4]
  cmp eax, BAD_LATE
  jne .in_time
  FAIL_HEX "woke before its deadline, or more than TIMER_LATE_MAX after it: vCPU", ebx
.in_time:
  cmp eax, edx
  jbe .not_larger
  mov edx, eax
.not_larger:
  mov eax, [hlts + ebx * 4]
  add ecx, eax
  cmp eax, 1
  je .one_hlt
  FAIL_HEX "a sleep did not take exactly one HLT: vCPU", ebx
.one_hlt:
  cmp dword [stray + ebx * 4], 0
  je .no_stray
  FAIL_HEX "its vector came without a timer bit in its word: vCPU", ebx
.no_stray:
  mov eax, [event_page + EVPAGE_PENDING + ebx * 8]
  or eax, [event_page + EVPAGE_PENDING + ebx * 8 + 4]
  jz .word_empty
  FAIL_HEX "bits left in the pending word of vCPU", ebx
.word_empty:
  inc ebx
  cmp ebx, [nvcpus]
  jb .check
  push edx
  push ecx
  PRINT TEST_NAME, ": vcpus="
  mov eax, [nvcpus]
  call putdec
  PRINT " late="
  pop ecx
  pop eax
  call putdec
  PRINT " hlts="
  mov eax, ecx
  call putdec
  PRINT 10
  PASS

; Every further vCPU (EBX = its index).
ap_main:
  call sleep_on_timer
  ret

; sleep_on_timer: EBX = this vCPU's index. Sets its timer (i + 1) x DELAY
; ahead, halts until its EVENT_TIMER, records late[i] and hlts[i], and
; counts itself in `reported`.
sleep_on_timer:
  rdtsc
  mov ecx, ebx
  inc ecx
  imul ecx, ecx, DELAY
  add eax, ecx
  adc edx, 0
  mov [deadline + ebx * 8], eax
  mov [deadline + ebx * 8 + 4], edx
  mov edi, eax
  mov esi, edx
  mov eax, HC_TIMER_SET               ; a 32-bit caller: EDI low, ESI high
  vmcall
  test eax, eax
  jz .armed
  mov dword [late + ebx * 4], BAD_LATE
  jmp .report
.armed:
  xor ecx, ecx
.sleep:
  cli
  test dword [got + ebx * 4], TIMER_BIT
  jnz .woke
  sti
  hlt
  inc ecx
  jmp .sleep
.woke:
  sti
  mov [hlts + ebx * 4], ecx
  mov eax, [woke_at + ebx * 8]
  mov edx, [woke_at + ebx * 8 + 4]
  sub eax, [deadline + ebx * 8]
  sbb edx, [deadline + ebx * 8 + 4]
  jnz .bad                            ; negative (early), or 2^32 ticks late
  cmp eax, TIMER_LATE_MAX
  jbe .record
.bad:
  mov eax, BAD_LATE
.record:
  mov [late + ebx * 4], eax
.report:
  lock inc dword [reported]
  ret

; The event vector: this vCPU's index from its APIC id, its TSC, and its own
; word's bits, taken with one exchange. An injection that finds no timer bit
; there is counted as stray.
timer_isr:
  pushad
  rdtsc
  mov esi, eax
  mov edi, edx
  mov eax, 1
  cpuid
  shr ebx, APIC_ID_SHIFT
  and ebx, MAX_VCPUS - 1
  mov [woke_at + ebx * 8], esi
  mov [woke_at + ebx * 8 + 4], edi
  xor eax, eax
  xchg eax, [event_page + EVPAGE_PENDING + ebx * 8]
  lock or [got + ebx * 4], eax
  test eax, TIMER_BIT
  jnz .out
  lock inc dword [stray + ebx * 4]    ; injected, but nothing in its word
.out:
  popad
  iretd

section .rodata
key_vcpus: db "vcpus=", 0

section .data
align 4
nvcpus:   dd 0
reported: dd 0
got:      times MAX_VCPUS dd 0
hlts:     times MAX_VCPUS dd 0
late:     times MAX_VCPUS dd 0
stray:    times MAX_VCPUS dd 0
align 8
deadline: times MAX_VCPUS dq 0
woke_at:  times MAX_VCPUS dq 0

section .bss
alignb 4096
event_page: resb 4096
