; Hostile: control-register writes the CPU refuses, in protected mode, on
; the way into PAE paging and in 64-bit mode; the hypervisor owns CR0.NE,
; CR0.PG, CR4.VMXE and CR4.SMXE (src/vmx/exit/cr-access.ts), so each of
; these is its to answer as the CPU would (SDM Vol. 2B MOV CR): #GP(0),
; the register unchanged. CR0.NE is the guest's to clear (it sees its own
; value through the read shadow). In 64-bit mode XSETBV too: ECX and
; EDX:EAX are its operands, whatever the registers' upper halves hold.
%define TEST_NAME "cr_abuse"
%include "lib.inc"
%include "paging.inc"

CR0_PE   equ 1 << 0
CR0_NE   equ 1 << 5
CR0_NW   equ 1 << 29
CR0_CD   equ 1 << 30
CR4_VMXE equ 1 << 13
CR4_SMXE equ 1 << 14
CR4_RESERVED equ 1 << 31

; GP_ON reg, "what": `mov reg, eax` faults #GP(0) and leaves reg as it was.
%macro GP_ON 2
  mov edx, %1
  mov [before], edx
  TRY mov %1, eax
  call check_gp
  jz %%gp
  FAIL_HEX %2, dword [fault_vec]
%%gp:
  mov eax, %1
  cmp eax, [before]
  je %%kept
  FAIL_HEX "changed by a refused write:", eax
%%kept:
  inc dword [refused]
%endmacro

main:
  call paging_identity
  mov ebx, cr0
  mov eax, ebx
  or eax, CR0_PG
  and eax, ~CR0_PE
  GP_ON cr0, "CR0.PG without PE did not #GP(0): vector"
  mov eax, ebx
  or eax, CR0_NW
  GP_ON cr0, "CR0.NW without CD did not #GP(0): vector"
  mov ebx, cr4
  mov eax, ebx
  or eax, CR4_VMXE
  GP_ON cr4, "CR4.VMXE did not #GP(0): vector"
  mov eax, ebx
  or eax, CR4_SMXE
  GP_ON cr4, "CR4.SMXE did not #GP(0): vector"
  mov eax, ebx
  or eax, CR4_RESERVED
  GP_ON cr4, "CR4 bit 31 did not #GP(0): vector"
  mov eax, cr4
  test eax, CR4_VMXE
  jz .vmxe_hidden
  FAIL_HEX "CR4 reads VMXE set:", eax
.vmxe_hidden:
  ; CR0.NE: the guest's own value, cleared and set again.
  mov eax, cr0
  and eax, ~CR0_NE
  mov cr0, eax
  mov eax, cr0
  test eax, CR0_NE
  jz .ne_clear
  FAIL_HEX "CR0 reads NE set after clearing it:", eax
.ne_clear:
  or eax, CR0_NE
  mov cr0, eax
  ; Paging with EFER.LME but no CR4.PAE.
  mov ecx, IA32_EFER
  rdmsr
  or eax, EFER_LME
  wrmsr
  mov eax, lm_pml4
  mov cr3, eax
  mov ebx, cr0
  mov eax, ebx
  or eax, CR0_PG
  GP_ON cr0, "CR0.PG with LME and without PAE did not #GP(0): vector"
  mov ecx, IA32_EFER
  rdmsr
  and eax, ~EFER_LME
  wrmsr
  ; PAE paging with a PDPTE the CPU refuses: reserved bit 1, then bit 40.
  mov eax, cr4
  or eax, CR4_PAE
  mov cr4, eax
  mov eax, pae_pdpt
  mov cr3, eax
  or dword [pae_pdpt + 8], 2
  mov eax, ebx
  or eax, CR0_PG
  GP_ON cr0, "PAE paging with PDPTE bit 1 set did not #GP(0): vector"
  and dword [pae_pdpt + 8], ~2
  or dword [pae_pdpt + 16 + 4], 1 << 8
  mov eax, ebx
  or eax, CR0_PG
  GP_ON cr0, "PAE paging with a PDPTE above MAXPHYADDR did not #GP(0): vector"
  and dword [pae_pdpt + 16 + 4], ~(1 << 8)
  mov eax, cr4
  and eax, ~CR4_PAE
  mov cr4, eax
  ; 64-bit mode.
  ENTER_LONG_MODE
  mov rbx, cr0
  mov rax, rbx
  and eax, ~CR0_PG
  mov [value], rax
  TRY mov cr0, rax
  call check_gp64
  jz .pg_kept
  TO_COMPAT
  FAIL_HEX "clearing CR0.PG in 64-bit mode did not #GP(0): vector", dword [fault_vec]
bits 64
.pg_kept:
  mov rax, rbx
  bts rax, 32
  TRY mov cr0, rax
  call check_gp64
  jz .cr0_high
  TO_COMPAT
  FAIL_HEX "CR0 bit 32 did not #GP(0): vector", dword [fault_vec]
bits 64
.cr0_high:
  mov rax, cr4
  btr rax, 5
  TRY mov cr4, rax
  call check_gp64
  jz .pae_kept
  TO_COMPAT
  FAIL_HEX "clearing CR4.PAE in 64-bit mode did not #GP(0): vector", dword [fault_vec]
bits 64
.pae_kept:
  mov eax, 16
  TRY mov cr8, rax
  call check_gp64
  jz .cr8_checked
  TO_COMPAT
  FAIL_HEX "CR8 = 16 did not #GP(0): vector", dword [fault_vec]
bits 64
.cr8_checked:
  mov eax, 15
  mov cr8, rax
  mov rax, cr8
  mov [value], rax
  xor eax, eax
  mov cr8, rax
  cmp qword [value], 15
  je .cr8_ok
  TO_COMPAT
  FAIL_HEX "CR8 did not read back 15:", dword [value]
bits 64
.cr8_ok:
  ; XSETBV takes ECX and EDX:EAX only: the upper halves are not part of it.
  mov rax, cr4
  bts rax, 18                         ; CR4.OSXSAVE
  mov cr4, rax
  mov rcx, 0x100000001                ; ECX = 1: XCR1
  mov eax, 3
  xor edx, edx
  TRY xsetbv
  call check_gp64
  jz .xcr1_refused
  TO_COMPAT
  FAIL_HEX "XSETBV with ECX = 1 (RCX bit 32 set) did not #GP(0): vector", dword [fault_vec]
bits 64
.xcr1_refused:
  mov rcx, 0x100000000                ; ECX = 0: XCR0
  mov rax, 0xffffffff00000003         ; EAX = x87 | SSE
  mov rdx, 0xffffffff00000000         ; EDX = 0
  TRY xsetbv
  cmp dword [fault_vec], NO_FAULT
  je .xcr0_set
  TO_COMPAT
  FAIL_HEX "XSETBV XCR0 = 3 with the upper halves of RCX, RAX, RDX set faulted: vector", dword [fault_vec]
bits 64
.xcr0_set:
  xor ecx, ecx
  xgetbv
  cmp eax, 3
  jne .xcr0_wrong
  test edx, edx
  jz .xcr0_ok
.xcr0_wrong:
  TO_COMPAT
  FAIL_HEX "XGETBV after XSETBV 3 read", eax
bits 64
.xcr0_ok:
  mov rax, cr0
  mov [value], rax
  TO_COMPAT
  mov eax, [value]
  test eax, CR0_PG
  jnz .still_paging
  FAIL_HEX "CR0.PG clear after the refused writes:", eax
.still_paging:
  PRINT TEST_NAME, ": "
  mov eax, [refused]
  add eax, 5
  call putdec
  PRINT " control-register and XSETBV writes refused with #GP(0)", 10
  PASS

; check_gp: ZF=1 when the last TRY took #GP with error code 0.
check_gp:
  cmp dword [fault_vec], VEC_GP
  jne .out
  cmp dword [fault_err], 0
.out:
  ret

bits 64
check_gp64:
  cmp dword [fault_vec], VEC_GP
  jne .out
  cmp dword [fault_err], 0
.out:
  ret
bits 32

section .bss
alignb 8
value:   resq 1
before:  resd 1
refused: resd 1
