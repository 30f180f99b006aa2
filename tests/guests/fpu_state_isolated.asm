; Booted twice (command lines value=1 and value=2): loads a pattern derived
; from the value into xmm0-7 (ymm0-7 when CPUID has AVX+XSAVE: CR4.OSXSAVE,
; XCR0 = 7), then 64 rounds of: HC_YIELD, spin while watching RDTSC for jumps
; (preemption), verify every register. Another domain's FPU/SSE/AVX state must
; never leak in.
%define TEST_NAME "fpu_state_isolated"
%include "lib.inc"

ROUNDS     equ 64
SPIN       equ 20000
TSC_JUMP   equ 100000                 ; a step this large: we were switched out

main:
  mov esi, key_value
  call cmdline_arg
  test eax, eax
  jnz .have_value
  FAIL "no value=<n> on the command line"
.have_value:
  mov esi, eax
  call parse_dec
  mov [value], eax

  ; SSE: CR0.EM=0, MP=1, TS=0; CR4.OSFXSR|OSXMMEXCPT
  mov eax, cr0
  and eax, ~((1 << 2) | (1 << 3))
  or eax, 1 << 1
  mov cr0, eax
  mov eax, cr4
  or eax, (1 << 9) | (1 << 10)
  mov cr4, eax
  ; AVX when CPUID.1:ECX has XSAVE[26] and AVX[28]
  mov eax, 1
  xor ecx, ecx
  cpuid
  and ecx, (1 << 26) | (1 << 28)
  cmp ecx, (1 << 26) | (1 << 28)
  jne .no_avx
  mov eax, cr4
  or eax, 1 << 18                     ; OSXSAVE
  mov cr4, eax
  xor ecx, ecx
  mov eax, 7                          ; x87 | SSE | AVX
  xor edx, edx
  TRY xsetbv
  cmp dword [fault_vec], NO_FAULT
  je .avx_on
  FAIL_HEX "xsetbv XCR0=7 faulted: vector", dword [fault_vec]
.avx_on:
  mov dword [avx], 1
.no_avx:

  ; pattern: dword d of register k = value << 24 | k << 16 | d << 8 | 0xc3
  xor ebx, ebx
.fill:
  mov eax, [value]
  shl eax, 24
  mov ecx, ebx
  and ecx, 7                          ; d
  shl ecx, 8
  or eax, ecx
  mov ecx, ebx
  shr ecx, 3                          ; k
  shl ecx, 16
  or eax, ecx
  or al, 0xc3
  mov [pattern + ebx * 4], eax
  inc ebx
  cmp ebx, 64
  jb .fill

  cmp dword [avx], 0
  je .load_sse
  vmovdqu ymm0, [pattern + 0 * 32]
  vmovdqu ymm1, [pattern + 1 * 32]
  vmovdqu ymm2, [pattern + 2 * 32]
  vmovdqu ymm3, [pattern + 3 * 32]
  vmovdqu ymm4, [pattern + 4 * 32]
  vmovdqu ymm5, [pattern + 5 * 32]
  vmovdqu ymm6, [pattern + 6 * 32]
  vmovdqu ymm7, [pattern + 7 * 32]
  jmp .loaded
.load_sse:
  movdqu xmm0, [pattern + 0 * 32]
  movdqu xmm1, [pattern + 1 * 32]
  movdqu xmm2, [pattern + 2 * 32]
  movdqu xmm3, [pattern + 3 * 32]
  movdqu xmm4, [pattern + 4 * 32]
  movdqu xmm5, [pattern + 5 * 32]
  movdqu xmm6, [pattern + 6 * 32]
  movdqu xmm7, [pattern + 7 * 32]
.loaded:

  mov dword [round], 0
.round:
  call hc_yield
  ; spin, counting RDTSC jumps (preemptions)
  rdtsc
  mov ebx, eax
  mov ecx, SPIN
.spin:
  rdtsc
  mov edx, eax
  sub edx, ebx
  mov ebx, eax
  cmp edx, TSC_JUMP
  jb .spin_next
  inc dword [jumps]
.spin_next:
  dec ecx
  jnz .spin
  call verify
  inc dword [round]
  cmp dword [round], ROUNDS
  jb .round

  PRINT TEST_NAME, ": value="
  mov eax, [value]
  call putdec
  PRINT " avx="
  mov eax, [avx]
  call putdec
  PRINT " rounds="
  mov eax, ROUNDS
  call putdec
  PRINT " tsc jumps seen="
  mov eax, [jumps]
  call putdec
  PRINT 10
  PASS

; verify: every register still holds its pattern
verify:
  cmp dword [avx], 0
  je .sse
  vmovdqu [saved + 0 * 32], ymm0
  vmovdqu [saved + 1 * 32], ymm1
  vmovdqu [saved + 2 * 32], ymm2
  vmovdqu [saved + 3 * 32], ymm3
  vmovdqu [saved + 4 * 32], ymm4
  vmovdqu [saved + 5 * 32], ymm5
  vmovdqu [saved + 6 * 32], ymm6
  vmovdqu [saved + 7 * 32], ymm7
  mov edx, 8                          ; dwords per register compared
  jmp .compare
.sse:
  movdqu [saved + 0 * 32], xmm0
  movdqu [saved + 1 * 32], xmm1
  movdqu [saved + 2 * 32], xmm2
  movdqu [saved + 3 * 32], xmm3
  movdqu [saved + 4 * 32], xmm4
  movdqu [saved + 5 * 32], xmm5
  movdqu [saved + 6 * 32], xmm6
  movdqu [saved + 7 * 32], xmm7
  mov edx, 4
.compare:
  xor ebx, ebx                        ; register
.reg:
  mov ecx, edx
  mov esi, ebx
  shl esi, 5
  lea edi, [pattern + esi]
  add esi, saved
  repe cmpsd
  jne .mismatch
  inc ebx
  cmp ebx, 8
  jb .reg
  ret
.mismatch:
  call fail_prefix
  PRINT "register "
  mov eax, ebx
  call putdec
  PRINT " changed in round "
  mov eax, [round]
  call putdec
  PRINT ": dword 0x"
  mov eax, [esi - 4]
  call puthex
  PRINT " expected 0x"
  mov eax, [edi - 4]
  call puthex
  jmp fail_end

section .rodata
key_value: db "value=", 0

section .data
value: dd 0
avx:   dd 0
round: dd 0
jumps: dd 0

section .bss
alignb 32
pattern: resd 64
saved:   resd 64
