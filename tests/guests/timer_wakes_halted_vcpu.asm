; A DomU sleeps on its one-shot timer (HC_TIMER_SET) instead of spinning.
; Before HC_EVENT_SETUP the call is -EINVAL. With events set up (vector
; 0x41; a DomU needs no right for that) it:
;  1. sets a deadline DELAY ticks ahead on its TSC and halts with interrupts
;     enabled: the one EVENT_TIMER wakes it after exactly one HLT, at or
;     after the deadline (the handler reads the TSC), at most TIMER_LATE_MAX late;
;  2. sets a deadline, replaces it with a later one and sleeps: one event,
;     at or after the later deadline;
;  3. sets a deadline and cancels it (0): no event while it spins well past;
;  4. sets a deadline already passed: the event has arrived when the call
;     returns.
; Before the RESULT line it prints
;   timer_wakes_halted_vcpu: late=<ticks> hlts=<n> retries=<n>
; (from the first deadline to its handler, the HLTs of that sleep, and the
; steps begun again because preemption made them miss their deadline).
%define TEST_NAME "timer_wakes_halted_vcpu"
%include "lib.inc"

EV_VECTOR equ 0x41
DELAY     equ 4000000              ; about two scheduler slices
RETRIES   equ 20

; CHECK_ZERO "what": EAX (a hypercall's result) must be 0.
%macro CHECK_ZERO 1
  test eax, eax
  jz %%ok
  FAIL_HEX %1, eax
%%ok:
%endmacro

; CHECK_EVENTS n, "what": exactly n timer events so far.
%macro CHECK_EVENTS 2
  cmp dword [events], %1
  je %%ok
  FAIL_HEX %2, dword [events]
%%ok:
%endmacro

main:
  mov ecx, DELAY
  call arm_in
  cmp eax, EINVAL_RET
  je .einval
  FAIL_HEX "HC_TIMER_SET before HC_EVENT_SETUP did not return -EINVAL:", eax
.einval:
  mov eax, EV_VECTOR
  mov edx, timer_isr
  mov edi, event_page
  call events_on
  sti

  ; 1. Sleep until a deadline.
  mov ecx, DELAY
  call arm_in
  CHECK_ZERO "HC_TIMER_SET(now + DELAY) returned"
  call sleep
  mov [hlts], ecx
  call woke_since_deadline
  js .early
  test edx, edx
  jnz .late
  cmp eax, TIMER_LATE_MAX
  ja .late
  mov [late], eax
  cmp dword [hlts], 1
  je .one_hlt
  FAIL_HEX "the sleep took more than one HLT:", dword [hlts]
.early:
  FAIL "woke before its deadline"
.late:
  FAIL_HEX "woke more than TIMER_LATE_MAX after its deadline: ticks", eax
.one_hlt:
  CHECK_EVENTS 1, "timer events after the first sleep:"

  ; 2. A new deadline replaces the old one. Preempted past the first
  ; deadline before the second call, the first fires, as it should: again.
.replace:
  mov ecx, DELAY
  call arm_in
  CHECK_ZERO "HC_TIMER_SET(now + DELAY) returned"
  mov eax, [deadline]
  mov [first], eax
  mov eax, [deadline + 4]
  mov [first + 4], eax
  mov ecx, 2 * DELAY
  call arm_in
  CHECK_ZERO "HC_TIMER_SET(now + 2 DELAY) returned"
  rdtsc
  sub eax, [first]
  sbb edx, [first + 4]
  js .replaced_in_time
  call retry
  jmp .replace
.replaced_in_time:
  call sleep
  call woke_since_deadline
  jns .replaced
  FAIL "woke at the replaced deadline, before the new one"
.replaced:
  CHECK_EVENTS 2, "timer events after the replaced deadline:"

  ; 3. Cancelled: nothing fires while it spins well past the deadline. (If
  ; the cancel returned only after the deadline, it may have fired: again.)
.cancel:
  mov ecx, DELAY
  call arm_in
  CHECK_ZERO "HC_TIMER_SET(now + DELAY) returned"
  mov eax, HC_TIMER_SET
  xor edi, edi
  xor esi, esi
  call hcall
  CHECK_ZERO "HC_TIMER_SET(0) returned"
  call now_since_deadline
  js .spin
  call retry
  jmp .cancel
.spin:
  call now_since_deadline
  js .spin
  test edx, edx
  jnz .spun
  cmp eax, DELAY
  jb .spin
.spun:
  CHECK_EVENTS 2, "a cancelled timer fired: timer events"

  ; 4. A deadline already passed fires at once.
  rdtsc
  sub eax, 1
  sbb edx, 0
  mov [deadline], eax
  mov [deadline + 4], edx
  call arm
  CHECK_ZERO "HC_TIMER_SET(now - 1) returned"
  CHECK_EVENTS 3, "a passed deadline did not fire before the call returned: timer events"

  PRINT TEST_NAME, ": late="
  mov eax, [late]
  call putdec
  PRINT " hlts="
  mov eax, [hlts]
  call putdec
  PRINT " retries="
  mov eax, [retries]
  call putdec
  PRINT 10
  PASS

; retry: the step lost a race to preemption; its timer is cancelled and any
; event it raised forgotten, so that it can start again (at most RETRIES times).
retry:
  mov eax, HC_TIMER_SET
  xor edi, edi
  xor esi, esi
  call hcall
  cli
  test dword [got], TIMER_BIT
  jz .forgotten
  and dword [got], ~TIMER_BIT
  dec dword [events]
.forgotten:
  sti
  inc dword [retries]
  cmp dword [retries], RETRIES
  jb .again
  FAIL "preempted past its deadlines on every try"
.again:
  ret

; arm_in: ECX = ticks from now; the deadline goes to [deadline], then arm.
arm_in:
  rdtsc
  add eax, ecx
  adc edx, 0
  mov [deadline], eax
  mov [deadline + 4], edx
  ; fall through
; arm: HC_TIMER_SET([deadline]), the high half in ESI (a 32-bit caller); EAX = result.
arm:
  mov eax, HC_TIMER_SET
  mov edi, [deadline]
  mov esi, [deadline + 4]
  call hcall
  jnc .called
  FAIL_HEX "vmcall faulted: vector", dword [fault_vec]
.called:
  ret

; sleep: halts (interrupts enabled) until a timer event; ECX = the HLTs it took.
; The check runs with IF=0, and STI's shadow keeps the event from slipping in
; before the HLT.
sleep:
  xor ecx, ecx
.wait:
  cli
  test dword [got], TIMER_BIT
  jnz .woke
  sti
  hlt
  inc ecx
  jmp .wait
.woke:
  and dword [got], ~TIMER_BIT
  sti
  ret

; woke_since_deadline: EDX:EAX = the handler's last TSC minus [deadline];
; SF set if negative. now_since_deadline: the same for the TSC now.
woke_since_deadline:
  mov eax, [isr_tsc]
  mov edx, [isr_tsc + 4]
  jmp since_deadline
now_since_deadline:
  rdtsc
since_deadline:
  sub eax, [deadline]
  sbb edx, [deadline + 4]
  ret

; The event vector: notes the TSC, takes vCPU 0's pending bits (they fit in
; its low dword) with one exchange.
timer_isr:
  push eax
  push edx
  rdtsc
  mov [isr_tsc], eax
  mov [isr_tsc + 4], edx
  xor eax, eax
  xchg eax, [event_page + EVPAGE_PENDING]
  or [got], eax
  test eax, TIMER_BIT
  jz .out
  inc dword [events]
.out:
  pop edx
  pop eax
  iretd

section .data
align 4
events:   dd 0
got:      dd 0
hlts:     dd 0
late:     dd 0
retries:  dd 0
align 8
deadline: dq 0
isr_tsc:  dq 0
first:    dq 0

section .bss
alignb 4096
event_page: resb 4096
