; The MMIO path emulates read-modify-write, compare, test, bit-test,
; exchange and string instructions as the CPU executes them: with
; `testdev=1` the domain has the test device (a 64-byte scratch register
; file) at guest-physical 0xff000000. Each instruction runs twice from the
; same value and EFLAGS, natively on RAM and emulated on the device; the
; results, the registers and the flags must agree (less the flags the SDM
; leaves undefined). Then REP STOS and REP MOVS between RAM and the device
; (memset_io, memcpy_toio, memcpy_fromio) and within the device, and with
; paging on: a MOVS whose RAM side crosses into a page elsewhere in memory,
; the accessed and dirty flags the CPU sets, and the #PF a write to a
; read-only page gets.
%define TEST_NAME "mmio_decoder_handles_movs_and_rmw"
%include "lib.inc"

TESTDEV equ 0xff000000
PAGE_DIR   equ 0x300000                ; guest RAM above the image (mem=4M)
PAGE_TABLE equ 0x301000
CELL    equ TESTDEV + 32               ; the device's cell: 4 bytes before it, 8 from it, as ram_cell
EFL_ST  equ 0x8d5                      ; CF PF AF ZF SF OF
EFL_AF  equ 0x010
EFL_DF  equ 0x400
; Flags in: DF set (it must survive), the status flags all clear or all set.
FL0     equ 0x002 | EFL_DF
FL1     equ 0x002 | EFL_DF | EFL_ST
; What must agree: the status flags and DF; after AND OR XOR TEST not AF
; (undefined); after BT only CF.
M_ARITH equ EFL_ST | EFL_DF
M_LOGIC equ (EFL_ST & ~EFL_AF) | EFL_DF
M_BT    equ 0x001 | EFL_DF

; SAME {insn on [ebx]}, value, flags, mask, "what": the dwords around the
; cell start as `value` (at +0) and fixed patterns; the instruction runs on
; ram_cell and on CELL; the 12 bytes, ECX, EDX and the flags must agree.
%macro SAME 5
  mov eax, %2
  mov [ram_cell], eax
  mov [CELL], eax
  mov dword [ram_cell - 4], 0xa5a5a5a5
  mov dword [CELL - 4], 0xa5a5a5a5
  mov dword [ram_cell + 4], 0x3c3c3c3c
  mov dword [CELL + 4], 0x3c3c3c3c
  mov [saved_ecx], ecx
  mov [saved_edx], edx
  mov ebx, ram_cell
  push dword %3
  popfd
  %1
  pushfd
  pop dword [ram_flags]
  mov [ram_ecx], ecx
  mov [ram_edx], edx
  mov ecx, [saved_ecx]
  mov edx, [saved_edx]
  mov ebx, CELL
  push dword %3
  popfd
  %1
  pushfd
  pop eax
  cld
  xor eax, [ram_flags]
  test eax, %4
  jz %%flags_ok
  and eax, %4
  FAIL_HEX {%5, ": EFLAGS differ in"}, eax
%%flags_ok:
  cmp ecx, [ram_ecx]
  jne %%regs_bad
  cmp edx, [ram_edx]
  je %%regs_ok
%%regs_bad:
  FAIL %5, ": ECX or EDX differ"
%%regs_ok:
  mov eax, [CELL - 4]
  cmp eax, [ram_cell - 4]
  jne %%mem_bad
  mov eax, [CELL + 4]
  cmp eax, [ram_cell + 4]
  jne %%mem_bad
  mov eax, [CELL]
  cmp eax, [ram_cell]
  je %%mem_ok
%%mem_bad:
  FAIL_HEX {%5, ": memory differs, device"}, eax
%%mem_ok:
%endmacro

; BOTH: SAME with both flag states.
%macro BOTH 4
  SAME {%1}, %2, FL0, %3, %4
  SAME {%1}, %2, FL1, %3, %4
%endmacro

%macro EXPECT 3                        ; register/memory, value, what
  cmp %1, %2
  je %%ok
  FAIL_HEX %3, %1
%%ok:
%endmacro

main:
  ; ── ADD OR AND SUB XOR to memory, from registers and immediates ──
  mov ecx, 0x7fffffff
  BOTH {add dword [ebx], ecx}, 1, M_ARITH, "add dword reg"
  BOTH {add dword [ebx], ecx}, 0x80000001, M_ARITH, "add dword reg, carry"
  mov ecx, 0x0000000f
  BOTH {add byte [ebx], cl}, 0x01, M_ARITH, "add byte reg, AF"
  BOTH {lock add dword [ebx], ecx}, 0xfffffff1, M_ARITH, "lock add"
  mov edx, 0x8000
  BOTH {lock or word [ebx + 2], dx}, 0x12345678, M_LOGIC, "lock or word"
  BOTH {or dword [ebx], 0x80000001}, 0x0000ff00, M_LOGIC, "or dword imm32"
  BOTH {and word [ebx], 0xff0f}, 0xabcd1234, M_LOGIC, "and word imm16"
  BOTH {and dword [ebx], 0}, 0xffffffff, M_LOGIC, "and to zero"
  mov ecx, 0x0000ff00
  BOTH {xor byte [ebx + 1], ch}, 0x0000ff00, M_LOGIC, "xor byte ch"
  BOTH {xor dword [ebx], -1}, 0x55555555, M_LOGIC, "xor dword imm8"
  BOTH {sub dword [ebx], 1}, 0, M_ARITH, "sub dword imm8, borrow"
  BOTH {sub byte [ebx], 0x80}, 0x7f, M_ARITH, "sub byte imm8, overflow"
  mov ecx, 0x80000000
  BOTH {sub dword [ebx], ecx}, 1, M_ARITH, "sub dword reg, overflow"
  mov edx, 0x10
  BOTH {sub word [ebx], dx}, 0x10008, M_ARITH, "sub word reg"
  mov ecx, 0x80
  BOTH {add byte [ebx + 3], cl}, 0x80000000, M_ARITH, "add byte disp8"

  ; ── CMP, TEST: flags only ──
  mov ecx, 0x80000000
  BOTH {cmp dword [ebx], ecx}, 0x7fffffff, M_ARITH, "cmp mem, reg"
  BOTH {cmp ecx, dword [ebx]}, 0x7fffffff, M_ARITH, "cmp reg, mem"
  BOTH {cmp byte [ebx], 0x7f}, 0x80, M_ARITH, "cmp byte imm8"
  BOTH {cmp word [ebx], -1}, 0xffff, M_ARITH, "cmp word imm8"
  BOTH {cmp dword [ebx], 0x12345678}, 0x12345678, M_ARITH, "cmp dword imm32"
  mov ecx, 0x00010001
  BOTH {test dword [ebx], ecx}, 0xfffe0000, M_LOGIC, "test dword reg"
  BOTH {test byte [ebx + 3], 0x80}, 0x80000000, M_LOGIC, "test byte imm8"
  BOTH {test word [ebx], 0x8001}, 0x8000, M_LOGIC, "test word imm16"

  ; ── BT ──
  BOTH {bt dword [ebx], 5}, 0x20, M_BT, "bt imm"
  BOTH {bt dword [ebx], 36}, 0x10, M_BT, "bt imm mod 32"
  mov ecx, 37                          ; the next dword: bit 5 of 0x3c3c3c3c
  BOTH {bt dword [ebx], ecx}, 0, M_BT, "bt reg, next dword"
  mov ecx, -27                         ; the dword before: bit 5 of 0xa5a5a5a5
  BOTH {bt dword [ebx], ecx}, 0, M_BT, "bt reg, dword before"
  mov ecx, -1
  BOTH {bt dword [ebx], ecx}, 0, M_BT, "bt reg, bit 31 before"
  mov ecx, 15
  BOTH {bt word [ebx], cx}, 0x8000, M_BT, "bt word reg"

  ; ── XCHG: the register and the memory swap, flags unchanged ──
  mov ecx, 0xcafef00d
  BOTH {xchg dword [ebx], ecx}, 0x11223344, M_ARITH, "xchg dword"
  EXPECT ecx, 0x11223344, "xchg: ecx"
  mov edx, 0x0000aa00
  BOTH {xchg byte [ebx + 2], dh}, 0x00550000, M_ARITH, "xchg byte dh"
  EXPECT edx, 0x00005500, "xchg: edx"
  mov ecx, 0x7777
  BOTH {lock xchg word [ebx], cx}, 0x1234, M_ARITH, "lock xchg word"

  ; ── REP STOS (memset_io) ──
  mov edi, TESTDEV
  mov ecx, 16
  mov eax, 0x11223344
  rep stosd
  EXPECT edi, TESTDEV + 64, "rep stosd: edi"
  EXPECT ecx, 0, "rep stosd: ecx"
  EXPECT dword [TESTDEV + 60], 0x11223344, "rep stosd: last dword"
  EXPECT dword [TESTDEV], 0x11223344, "rep stosd: first dword"
  std
  mov edi, TESTDEV + 62
  mov ecx, 4
  mov eax, 0xbeef
  rep stosw
  cld
  EXPECT edi, TESTDEV + 54, "rep stosw down: edi"
  EXPECT dword [TESTDEV + 56], 0xbeefbeef, "rep stosw down: low"
  EXPECT dword [TESTDEV + 60], 0xbeefbeef, "rep stosw down: high"
  EXPECT dword [TESTDEV + 52], 0x11223344, "rep stosw down: below"
  mov edi, TESTDEV + 5
  mov al, 0x99
  stosb
  EXPECT edi, TESTDEV + 6, "stosb: edi"
  EXPECT dword [TESTDEV + 4], 0x11229944, "stosb: the byte"

  ; ── REP MOVS: RAM to the device, back, and within it ──
  mov edi, src_buf
  mov ecx, 64
  xor eax, eax
.fill:
  mov [edi], al
  add al, 37
  inc edi
  loop .fill
  mov esi, src_buf
  mov edi, TESTDEV
  mov ecx, 64
  rep movsb                            ; memcpy_toio
  EXPECT esi, src_buf + 64, "rep movsb to the device: esi"
  EXPECT edi, TESTDEV + 64, "rep movsb to the device: edi"
  xor ecx, ecx
.check_toio:
  movzx eax, byte [TESTDEV + ecx]
  movzx edx, byte [src_buf + ecx]
  cmp eax, edx
  je .toio_ok
  FAIL_HEX "rep movsb to the device: byte differs at", ecx
.toio_ok:
  inc ecx
  cmp ecx, 64
  jb .check_toio
  mov esi, TESTDEV
  mov edi, dst_buf
  mov ecx, 16
  rep movsd                            ; memcpy_fromio
  EXPECT esi, TESTDEV + 64, "rep movsd from the device: esi"
  mov esi, src_buf
  mov edi, dst_buf
  mov ecx, 64
  repe cmpsb
  je .fromio_ok
  FAIL "rep movsd from the device: RAM differs"
.fromio_ok:
  mov esi, src_buf + 1                 ; an odd RAM address
  mov edi, TESTDEV + 8
  movsw
  movzx eax, word [TESTDEV + 8]
  movzx edx, word [src_buf + 1]
  EXPECT eax, edx, "movsw from odd RAM"
  mov esi, TESTDEV
  mov edi, TESTDEV + 32
  mov ecx, 8
  rep movsd                            ; device to device
  mov eax, [TESTDEV + 4]
  EXPECT dword [TESTDEV + 36], eax, "rep movsd within the device"
  mov eax, [TESTDEV + 28]
  EXPECT dword [TESTDEV + 60], eax, "rep movsd within the device: last"

  ; ── With paging: linear 0x800000 -> 0x280000, 0x801000 -> 0x200000
  ; (below it), 0x802000 -> 0x201000 read-only; 4 MiB pages for the
  ; first 4 MiB and the device ──
  mov edi, PAGE_DIR
  mov ecx, 2 * 1024
  xor eax, eax
  rep stosd
  mov dword [PAGE_DIR], 0x00000083                    ; P RW PS
  mov dword [PAGE_DIR + 2 * 4], PAGE_TABLE | 3        ; P RW
  mov dword [PAGE_DIR + 0x3fc * 4], TESTDEV | 0x93    ; P RW PS PCD
  mov dword [PAGE_TABLE], 0x280000 | 3
  mov dword [PAGE_TABLE + 4], 0x200000 | 3
  mov dword [PAGE_TABLE + 8], 0x201000 | 1
  mov eax, cr4
  or eax, 0x10                         ; PSE
  mov cr4, eax
  mov eax, PAGE_DIR
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80010000                   ; PG WP
  mov cr0, eax
  mov dword [TESTDEV], 0x44332211
  mov esi, TESTDEV
  mov edi, 0x800ffe
  movsd                                ; 2 bytes on each page
  movzx eax, word [0x280ffe]
  EXPECT eax, 0x2211, "movsd across pages: first page"
  movzx eax, word [0x200000]
  EXPECT eax, 0x4433, "movsd across pages: second page"
  EXPECT edi, 0x801002, "movsd across pages: edi"
  mov eax, [PAGE_TABLE]
  and eax, 0x60
  EXPECT eax, 0x60, "accessed and dirty in the first PTE"
  mov eax, [PAGE_TABLE + 4]
  and eax, 0x60
  EXPECT eax, 0x60, "accessed and dirty in the second PTE"
  mov eax, [PAGE_DIR + 2 * 4]
  and eax, 0x20
  EXPECT eax, 0x20, "accessed in the PDE"
  mov esi, TESTDEV
  mov edi, 0x802010
  TRY movsd                            ; to the read-only page
  EXPECT dword [fault_vec], 14, "movsd to a read-only page: vector"
  EXPECT dword [fault_err], 3, "movsd to a read-only page: error code"
  mov eax, cr2
  EXPECT eax, 0x802010, "movsd to a read-only page: cr2"
  EXPECT edi, 0x802010, "movsd to a read-only page: edi"
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax
  PASS

section .bss
alignb 4
            resd 1
ram_cell:   resd 3
ram_flags:  resd 1
ram_ecx:    resd 1
ram_edx:    resd 1
saved_ecx:  resd 1
saved_edx:  resd 1
src_buf:    resb 80
dst_buf:    resb 80
