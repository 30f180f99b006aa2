; Every byte of a new domain's memory is zero except what the builder put
; there: checks [0x10000, 0x9fc00) and [end of image, memory size), skipping
; the multiboot info structure, its command line and its memory map. (Run with
; mem=8M.) [0, 0x10000) holds the builder's page tables, GDT and info.
%define TEST_NAME "new_domain_memory_is_zeroed"
%include "lib.inc"

extern _end

main:
  ; the exclusions: [start, end) pairs
  mov ebx, [mb_info]
  mov [excl + 0], ebx
  lea eax, [ebx + 0x80]
  mov [excl + 4], eax
  test dword [ebx], 4                 ; cmdline
  jz .no_cmdline
  mov esi, [ebx + 16]
  mov [excl + 8], esi
.strlen:
  lodsb
  test al, al
  jnz .strlen
  mov [excl + 12], esi
.no_cmdline:
  test dword [ebx], 1 << 6            ; mmap
  jz .no_mmap
  mov eax, [ebx + 48]
  mov [excl + 16], eax
  add eax, [ebx + 44]
  mov [excl + 20], eax
.no_mmap:
  test dword [ebx], 1 << 9            ; boot loader name
  jz .no_name
  mov esi, [ebx + 64]
  mov [excl + 24], esi
.namelen:
  lodsb
  test al, al
  jnz .namelen
  mov [excl + 28], esi
.no_name:

  call guest_mem_size
  test eax, eax
  jnz .have_mem
  FAIL "no memory size in the multiboot info"
.have_mem:
  mov [memsize], eax
  mov edi, 0x10000
  mov edx, 0x9fc00
  call scan
  mov edi, _end
  add edi, 3
  and edi, ~3
  mov edx, [memsize]
  call scan
  PRINT TEST_NAME, ": checked [0x10000, 0x9fc00) and [0x"
  mov eax, _end
  call puthex
  PRINT ", 0x"
  mov eax, [memsize]
  call puthex
  PRINT ")", 10
  PASS

; scan: EDI = start, EDX = end (both multiples of 4); FAILs on a non-zero
; dword outside the exclusions.
scan:
  xor eax, eax
.more:
  cmp edi, edx
  jae .done
  mov ecx, edx
  sub ecx, edi
  shr ecx, 2
  repe scasd
  je .done                            ; the last dword compared was zero
  lea esi, [edi - 4]                  ; a non-zero dword at esi
  call excluded
  jc .more
  mov eax, [esi]
  mov [found], eax
  call fail_prefix
  PRINT "non-zero dword 0x"
  mov eax, [found]
  call puthex
  PRINT " at 0x"
  mov eax, esi
  call puthex
  jmp fail_end
.done:
  ret

; excluded: CF=1 when ESI lies in (or its dword overlaps) an exclusion
excluded:
  push ebx
  xor ebx, ebx
.next:
  mov ecx, [excl + ebx * 8]
  sub ecx, 3
  cmp esi, ecx
  jb .skip
  cmp esi, [excl + ebx * 8 + 4]
  jae .skip
  stc
  pop ebx
  ret
.skip:
  inc ebx
  cmp ebx, 4
  jb .next
  clc
  pop ebx
  ret

section .data
align 4
excl:    times 8 dd 0                 ; 4 x [start, end)
memsize: dd 0
found:   dd 0
