; The state tree's memory-integrity guest (tests/integration/snapshot.test.ts):
; fills its RAM from 2 MiB to the end with a pattern, then forever: sums
; every dword of it (rotate and add), prints "integrity <pass> <sum>", and
; scribbles over `scribble=` pages (default 37) chosen by the pass number
; (`fill=N`: only every Nth page is filled, the rest stay zero, as a mostly
; idle guest's memory is; default 1, every page)
; (distinct: 131 is prime and does not divide the page count, which is a
; multiple of 256, so k * 131 mod pages differs for each k). What it prints depends
; only on its memory and registers, so after a revert (or in a fork) each
; pass prints the sum it printed the first time: every byte came back.
; It never exits.
%define TEST_NAME "memory_integrity"
%include "lib.inc"

BASE            equ 0x200000
SCRIBBLES       equ 37

main:
  call guest_mem_size
  and eax, ~0xfff
  cmp eax, BASE + 0x100000
  jae .size_ok
  FAIL_HEX "memory below 3 MiB:", eax
.size_ok:
  mov [top], eax
  push eax
  mov esi, key_scribble
  mov edx, SCRIBBLES
  call cmdline_dec
  mov [scribbles], eax
  mov esi, key_fill
  mov edx, 1
  call cmdline_dec
  test eax, eax
  jnz .fill_ok
  inc eax
.fill_ok:
  shl eax, 12
  mov [fill_step], eax
  pop eax
  sub eax, BASE
  shr eax, 12
  mov [pages], eax
  mov ebx, BASE
.fill_page:
  mov ecx, ebx
.fill:
  mov eax, ecx
  imul eax, eax, 0x9e3779b1
  mov [ecx], eax
  add ecx, 4
  test ecx, 0xfff
  jnz .fill
  add ebx, [fill_step]
  cmp ebx, [top]
  jb .fill_page
  PRINT "integrity filled", 10
.pass:
  inc dword [pass]
  xor eax, eax
  mov ebx, BASE
.sum:
  rol eax, 5
  add eax, [ebx]
  add ebx, 4
  cmp ebx, [top]
  jb .sum
  mov [sum], eax
  PRINT "integrity "
  mov eax, [pass]
  call putdec
  PRINT " "
  mov eax, [sum]
  call puthex
  PRINT 10
  ; Scribble: page (pass * 97 + k * 131) mod pages, dword k, value pass ^ k * 0x01010101.
  xor ecx, ecx
.scribble:
  mov eax, [pass]
  imul eax, eax, 97
  mov edx, ecx
  imul edx, edx, 131
  add eax, edx
  xor edx, edx
  div dword [pages]
  mov ebx, edx
  shl ebx, 12
  add ebx, BASE
  mov eax, ecx
  imul eax, eax, 0x01010101
  xor eax, [pass]
  mov edx, ecx
  and edx, 1023
  mov [ebx + edx * 4], eax
  inc ecx
  cmp ecx, [scribbles]
  jb .scribble
  jmp .pass

section .rodata
key_scribble: db "scribble=", 0
key_fill: db "fill=", 0

section .bss
scribbles: resd 1
fill_step: resd 1
top:   resd 1
pages: resd 1
pass:  resd 1
sum:   resd 1
