; 100000 RDTSC reads, each >= the previous, across preemptions (the guest
; also yields every 16384 reads to force switches). Reports the largest step.
%define TEST_NAME "rdtsc_is_monotonic"
%include "lib.inc"

READS equ 100000

main:
  rdtsc
  mov [prev], eax
  mov [prev + 4], edx
  mov ecx, READS
.loop:
  test ecx, 0x3fff
  jnz .read
  call hc_yield
.read:
  rdtsc
  cmp edx, [prev + 4]
  jb .backwards
  ja .forward
  cmp eax, [prev]
  jb .backwards
.forward:
  mov esi, eax                        ; step = now - prev
  mov edi, edx
  sub esi, [prev]
  sbb edi, [prev + 4]
  cmp edi, [maxstep + 4]
  jb .store
  ja .newmax
  cmp esi, [maxstep]
  jbe .store
.newmax:
  mov [maxstep], esi
  mov [maxstep + 4], edi
.store:
  mov [prev], eax
  mov [prev + 4], edx
  dec ecx
  jnz .loop
  PRINT TEST_NAME, ": 100000 reads, largest step 0x"
  mov eax, [maxstep]
  mov edx, [maxstep + 4]
  call puthex64
  PRINT 10
  PASS
.backwards:
  mov esi, READS
  sub esi, ecx
  FAIL_HEX "TSC went backwards at read", esi

section .data
align 8
prev:    dq 0
maxstep: dq 0
