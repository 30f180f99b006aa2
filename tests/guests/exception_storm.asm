; Hostile: a storm of every vector, ROUNDS times over: `int n` for all 256
; (gates that count and return), then each fault the CPU raises itself
; under TRY: #DE, #DB (ICEBP), #BP, #OF, #BR, #UD, #NM, and #GP through
; a null segment and a selector beyond the GDT. Each must arrive at its vector
; as many times as it was raised: none lost, none added, none taken by
; the hypervisor.
%define TEST_NAME "exception_storm"
%include "lib.inc"

ROUNDS   equ 64
CR0_TS   equ 1 << 3
VEC_DE equ 0
VEC_DB equ 1
VEC_BP equ 3
VEC_OF equ 4
VEC_BR equ 5
VEC_NM equ 7

; FAULT vector, instruction(s): expects that vector, else FAIL.
%macro FAULT 2+
  TRY %2
  cmp dword [fault_vec], %1
  je %%ok
  mov dword [expected], %1
  jmp wrong_vector
%%ok:
%endmacro

main:
  ; software interrupts: every vector through a counting gate
  xor eax, eax
.gates:
  mov edx, [counter_table + eax * 4]
  call idt_set_gate
  inc eax
  cmp eax, 256
  jb .gates
  mov dword [round], ROUNDS
.soft:
%assign v 0
%rep 256
  int v
%assign v v + 1
%endrep
  dec dword [round]
  jnz .soft
  xor ecx, ecx
.count:
  cmp dword [counts + ecx * 4], ROUNDS
  je .counted
  mov eax, [counts + ecx * 4]
  FAIL_HEX "a vector's count differs from the rounds: vector", ecx
.counted:
  inc ecx
  cmp ecx, 256
  jb .count
  ; faults, through lib.inc's catcher again
  call idt_install
  mov dword [round], ROUNDS
.faults:
  xor edx, edx
  xor ecx, ecx
  mov eax, 1
  FAULT VEC_DE, div ecx
  FAULT VEC_DB, db 0xf1                 ; ICEBP
  FAULT VEC_BP, int3
  mov al, 0x7f
  add al, 1
  FAULT VEC_OF, into
  mov eax, 5
  FAULT VEC_BR, bound eax, [bounds]
  FAULT VEC_UD, ud2
  mov eax, cr0
  or eax, CR0_TS
  mov cr0, eax
  FAULT VEC_NM, fnop
  clts
  xor eax, eax
  mov gs, ax
  FAULT VEC_GP, mov eax, [gs:0]
  mov ax, 0x10
  mov gs, ax
  mov ax, 0x0ff8                      ; beyond the GDT's limit
  FAULT VEC_GP, mov gs, ax
  dec dword [round]
  jnz .faults
  mov eax, [fault_count]
  cmp eax, ROUNDS * 9
  je .all
  FAIL_HEX "faults counted by the catcher:", eax
.all:
  PRINT TEST_NAME, ": 256 vectors x 64 by INT n, 9 faults x 64, each at its vector", 10
  PASS

wrong_vector:
  call fail_prefix
  PRINT "the fault for vector "
  mov eax, [expected]
  call putdec
  PRINT " arrived at vector 0x"
  mov eax, [fault_vec]
  call puthex
  jmp fail_end

%assign v 0
%rep 256
count_ %+ v:
  inc dword [counts + v * 4]
  iretd
%assign v v + 1
%endrep

section .rodata
align 4
counter_table:
%assign v 0
%rep 256
  dd count_ %+ v
%assign v v + 1
%endrep
bounds: dd 0, 4

section .bss
counts:   resd 256
round:    resd 1
expected: resd 1
