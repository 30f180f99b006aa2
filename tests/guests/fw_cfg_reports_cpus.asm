; QEMU's fw_cfg as firmware and test kernels written for QEMU read it
; (docs/specs/fw_cfg.rst): selector 0x510 (16-bit), data 0x511 (bytes).
; The signature "QEMU", the ID (bit 0: the traditional interface), the CPU
; count equal to the domain's vcpus= (1 unless the command line says), RAM
; size equal to the domain's memory, and the file directory (a big-endian
; count, then 64-byte entries: size, select, reserved, name) holding
; etc/e820 with whole 20-byte entries, its RAM entries no larger than RAM.
%define TEST_NAME "fw_cfg_reports_cpus"
%include "lib.inc"

FW_SEL       equ 0x510
FW_DATA      equ 0x511
FW_SIGNATURE equ 0x0000
FW_ID        equ 0x0001
FW_RAM_SIZE  equ 0x0003
FW_NB_CPUS   equ 0x0005
FW_FILE_DIR  equ 0x0019
E820_ENTRY   equ 20
E820_RAM     equ 1

main:
  mov ax, FW_SIGNATURE
  call select
  call read32
  cmp eax, 'QEMU'
  je .sig
  FAIL_HEX "signature not QEMU:", eax
.sig:
  mov ax, FW_ID
  call select
  call read32
  test eax, 1
  jnz .id
  FAIL_HEX "ID without the traditional interface:", eax
.id:
  mov esi, key_vcpus
  mov edx, 1
  call cmdline_dec
  mov ebx, eax
  mov ax, FW_NB_CPUS
  call select
  call read8
  mov ecx, eax
  call read8
  shl eax, 8
  or eax, ecx
  cmp eax, ebx
  je .cpus
  FAIL_HEX "CPU count differs from vcpus=:", eax
.cpus:
  mov ax, FW_RAM_SIZE
  call select
  call read32
  mov ebx, eax
  call read32
  test eax, eax
  jnz .ram_bad
  call guest_mem_size
  cmp ebx, eax
  je .ram
.ram_bad:
  FAIL_HEX "RAM size differs from the domain's memory:", ebx
.ram:
  mov [ram], ebx
  ; the file directory: find etc/e820
  mov ax, FW_FILE_DIR
  call select
  call read32
  bswap eax
  test eax, eax
  jz .no_e820
  cmp eax, 64
  ja .no_e820
  mov [files], eax
.file:
  call read32
  bswap eax
  mov [fsize], eax
  call read8
  mov ebx, eax
  call read8
  shl ebx, 8
  or ebx, eax                         ; select, big-endian
  call read8
  call read8
  mov edi, fname
  mov ecx, 56
.name:
  call read8
  stosb
  loop .name
  mov esi, fname
  mov edi, e820_name
  mov ecx, e820_name_len
  repe cmpsb
  je .found
  dec dword [files]
  jnz .file
.no_e820:
  FAIL "no etc/e820 in the file directory"
.found:
  mov eax, [fsize]
  test eax, eax
  jz .e820_bad
  xor edx, edx
  mov ecx, E820_ENTRY
  div ecx
  test edx, edx
  jnz .e820_bad
  mov [entries], eax
  mov eax, ebx
  call select
  xor ebp, ebp                        ; RAM bytes listed
.entry:
  call read32
  mov esi, eax                        ; base (low)
  call read32
  call read32
  mov edi, eax                        ; length (low)
  call read32
  test eax, eax
  jnz .e820_bad                       ; no entry of 4 GiB or more here
  call read32
  cmp eax, E820_RAM
  jne .not_ram
  add ebp, edi
.not_ram:
  dec dword [entries]
  jnz .entry
  cmp ebp, [ram]
  ja .e820_bad
  test ebp, ebp
  jz .e820_bad
  PRINT TEST_NAME, ": QEMU, "
  mov eax, ebx
  mov esi, key_vcpus
  mov edx, 1
  call cmdline_dec
  call putdec
  PRINT " CPUs, etc/e820 with "
  mov eax, ebp
  shr eax, 10
  call putdec
  PRINT " KiB of RAM", 10
  PASS
.e820_bad:
  FAIL_HEX "etc/e820 malformed or larger than RAM, size", dword [fsize]

; select: AX = item.
select:
  push edx
  mov dx, FW_SEL
  out dx, ax
  pop edx
  ret

; read8: EAX = the next data byte.
read8:
  push edx
  mov dx, FW_DATA
  xor eax, eax
  in al, dx
  pop edx
  ret

; read32: EAX = the next four data bytes, little-endian.
read32:
  push ecx
  push ebx
  xor ebx, ebx
  mov ecx, 4
.b:
  call read8
  shl eax, 24
  shr ebx, 8
  or ebx, eax
  loop .b
  mov eax, ebx
  pop ebx
  pop ecx
  ret

section .rodata
key_vcpus: db "vcpus=", 0
e820_name: db "etc/e820", 0
e820_name_len equ $ - e820_name

section .data
align 4
ram:     dd 0
files:   dd 0
fsize:   dd 0
entries: dd 0
fname:   times 56 db 0
