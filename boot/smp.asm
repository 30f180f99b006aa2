; The big hypervisor lock and per-CPU data access.
;
; The microkernel is wasm2c code and not reentrant (wasm globals, the stub
; runtime's bump allocator, static buffers), so exactly one CPU runs it at a
; time: a CPU holds the big lock whenever it runs microkernel code and lets
; go of it only while it is in a guest (vmenter in boot/vmx.asm, from just
; before VMLAUNCH/VMRESUME to the first thing after the VM exit) and while it
; halts in the idle loop (idle_wait, boot/hw.asm). The boot CPU takes it before kmain; an
; application processor before apMain (boot/trampoline.asm).
;
; A ticket lock: CPUs get the lock in the order they asked for it, so a CPU
; coming back from a guest cannot be starved by the others.
;
; Each CPU finds its own per-CPU block (PERCPU_* in layout.inc) through
; IA32_GS_BASE; a VM exit reloads it from the VMCS's HOST_GS_BASE.

%include "layout.inc"

%include "import.inc"

global hv_lock_acquire, hv_lock_release, hv_lock_ticket, hv_lock_wait

section .text
bits 64

; Takes the big lock. Clobbers EAX and the flags only (callers in vmx.asm
; rely on it).
hv_lock_acquire:
    call hv_lock_ticket
    ; fall through
; Waits until ticket EAX is served. Meanwhile it does what the holder may
; ask of a CPU without the lock: VMCLEAR a VMCS that is active here
; (PERCPU_VMCLEAR_REQ; the holder sent an IPI, which brought this CPU out of
; its guest or its HLT and into this loop), so that the VMCS can be loaded
; on another CPU or freed (SDM Vol. 3C 25.11.1). If it was the current VMCS,
; there is none now. Clobbers the flags only.
hv_lock_wait:
    cmp [rel lock_serving], eax
    je .mine
    cmp qword [gs:PERCPU_VMCLEAR_REQ], 0
    jne .vmclear
    pause
    jmp hv_lock_wait
.mine:
    ret
.vmclear:
    push rcx
    vmclear [gs:PERCPU_VMCLEAR_REQ]
    mov rcx, [gs:PERCPU_VMCLEAR_REQ]
    cmp rcx, [gs:PERCPU_VMCS]
    jne .acked
    mov qword [gs:PERCPU_VMCS], 0
.acked:
    mov qword [gs:PERCPU_VMCLEAR_REQ], 0
    pop rcx
    jmp hv_lock_wait

; EAX = the next ticket. Clobbers the flags only.
hv_lock_ticket:
    mov eax, 1
    lock xadd [rel lock_next], eax
    ret

; Gives the lock to the next ticket. Only the holder writes lock_serving,
; so a plain increment is enough; x86 stores are not reordered with older
; stores, so everything written under the lock is visible before the hand-over.
; Clobbers the flags only.
hv_lock_release:
    inc dword [rel lock_serving]
    ret

; () -> this CPU's per-CPU block (a wasm, i.e. physical, address).
import this_cpu
    mov rax, [gs:PERCPU_SELF]
    ret

; () -> this CPU's index (0 = the boot CPU).
import cpu_index
    mov eax, [gs:PERCPU_INDEX]
    ret

; () Lets every CPU already waiting for the big lock have it once, then
; takes it back (the boot CPU hands it to a CPU it just started).
import lock_yield
    call hv_lock_release
    call hv_lock_acquire
    ret

; () PAUSE: a spin-wait iteration; also keeps the compiler from hoisting the
; wasm loads of a polling loop out of it.
import cpu_relax
    pause
    ret

; (address, expected, new) -> the old value: LOCK CMPXCHG on the u32 at a
; wasm address; it was replaced iff the result equals `expected`.
import cmpxchg32
    mov r8, HV_DIRECT_MAP
    add r8, rsi
    mov eax, edx
    lock cmpxchg [r8], ecx
    ret

section .data
; The two counters on separate cache lines: waiters spin reading
; lock_serving while newcomers write lock_next.
align 64
lock_next:      dd 0
align 64
lock_serving:   dd 0
align 64
