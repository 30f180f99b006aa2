; Hostile: every hypercall number, from user mode (CPL 3, its kernel's
; own user space). Only the guest's kernel may call (src/hypercall/
; dispatch.ts): each must return -EPERM, HC_SHUTDOWN and HC_HOST_POWER
; included (a hypervisor that let them through would end this domain or
; the host). Back in its kernel through INT 0x80, it checks the results.
%define TEST_NAME "hypercall_from_user_mode"
%include "lib.inc"

USER_CS     equ 0x18 | 3
USER_DS     equ 0x20 | 3
TSS_SEL     equ 0x28
VEC_KERNEL  equ 0x80
GATE_DPL3   equ 0xee00                ; present, DPL3, 32-bit interrupt gate
EPERM_RET   equ -EPERM
LAST        equ HC_COUNT              ; 0 .. HC_COUNT: the last one unknown

main:
  ; The TSS: where CPL 0's stack is when INT 0x80 comes from CPL 3.
  mov dword [tss + 4], stack_top      ; ESP0
  mov dword [tss + 8], 0x10           ; SS0
  mov eax, tss
  mov [user_gdt + TSS_SEL + 2], ax
  shr eax, 16
  mov [user_gdt + TSS_SEL + 4], al
  mov [user_gdt + TSS_SEL + 7], ah
  lgdt [user_gdt_desc]
  mov ax, TSS_SEL
  ltr ax
  mov eax, VEC_KERNEL
  mov edx, back_in_kernel
  call idt_set_gate
  mov word [idt + VEC_KERNEL * 8 + 4], GATE_DPL3
  PRINT TEST_NAME, ": every hypercall from CPL 3", 10
  mov ax, USER_DS
  mov ds, ax
  mov es, ax
  push USER_DS                        ; SS
  push user_stack_top                 ; ESP
  push 0x2                            ; EFLAGS: IF and IOPL 0
  push USER_CS
  push user_mode
  iretd

; CPL 3: results[n] = hypercall n (buf, 0, 0), then back to the kernel.
user_mode:
  xor ebx, ebx
.next:
  mov eax, ebx
  mov edi, buf
  xor esi, esi
  xor edx, edx
  vmcall
  mov [results + ebx * 4], eax
  inc ebx
  cmp ebx, LAST
  jbe .next
  int VEC_KERNEL

back_in_kernel:
  mov esp, stack_top
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  xor ebx, ebx
.check:
  cmp dword [results + ebx * 4], EPERM_RET
  je .eperm
  mov eax, [results + ebx * 4]
  mov [got], eax
  call fail_prefix
  PRINT "hypercall "
  mov eax, ebx
  call putdec
  PRINT " from CPL 3 returned 0x"
  mov eax, [got]
  call puthex
  jmp fail_end
.eperm:
  inc ebx
  cmp ebx, LAST
  jbe .check
  PRINT TEST_NAME, ": numbers 0 to HC_COUNT from CPL 3, each -EPERM", 10
  PASS

section .data
align 8
user_gdt:
  dq 0
  dq 0x00cf9a000000ffff                ; 0x08: code, flat, 32-bit (lib.inc's)
  dq 0x00cf92000000ffff                ; 0x10: data, flat
  dq 0x00cffa000000ffff                ; 0x18: code, flat, DPL3
  dq 0x00cff2000000ffff                ; 0x20: data, flat, DPL3
  dq 0x0000890000000067                ; 0x28: 32-bit TSS, limit 103 (base filled in)
user_gdt_end:
user_gdt_desc:
  dw user_gdt_end - user_gdt - 1
  dd user_gdt

section .bss
alignb 16
tss:        resb 104
results:    resd LAST + 1
got:        resd 1
alignb 4096
buf:        resb 4096
user_stack: resb 4096
user_stack_top:
