; The domain's ACPI tables as Linux's acpi_find_root_pointer, tbutils and
; the MADT/FADT parsers read them: the RSDP found by the BIOS-area search,
; revision 2 with both checksums right; the RSDT and XSDT list the same
; tables; every table's checksum is right, FACP, APIC and (through the
; FADT, whose DSDT and X_DSDT agree) DSDT are there, with the FACS. The
; FADT: SCI on IRQ 9, PM1a_EVT 0x600, PM1a_CNT 0x604, PM_TMR 0x608 (4 bytes,
; 32-bit counter), the reset register 0xCF9. The MADT: the LAPIC at
; 0xFEE00000, PC/AT-compatible, one enabled LAPIC per vCPU (the module's
; vcpus=) with IDs 0..n-1, the I/O APIC at 0xFEC00000 from GSI 0, IRQ 0 on
; GSI 2, and the NMI on LINT1.
%define TEST_NAME "acpi_tables_checksum"
%include "lib.inc"
%include "acpi.inc"

FADT_FACS      equ 36
FADT_DSDT      equ 40
FADT_SCI_INT   equ 46
FADT_PM1A_EVT  equ 56
FADT_PM1A_CNT  equ 64
FADT_PM_TMR    equ 76
FADT_PM_TMR_LEN equ 91
FADT_FLAGS     equ 112
FADT_RESET_REG equ 116
FADT_X_DSDT    equ 140
TMR_VAL_EXT    equ 1 << 8
RESET_REG_SUP  equ 1 << 10
MADT_PCAT      equ 1

main:
  call acpi_rsdp
  test eax, eax
  jnz .found
  FAIL "no RSDP in the EBDA or 0xE0000-0xFFFFF"
.found:
  mov ebx, eax
  cmp byte [ebx + 15], 2
  jae .rev
  FAIL "RSDP revision below 2 (no XSDT)"
.rev:
  mov esi, ebx
  mov ecx, [ebx + 20]
  cmp ecx, 36
  je .len
  FAIL_HEX "RSDP length not 36:", ecx
.len:
  call acpi_checksum
  jz .ext
  FAIL "RSDP extended checksum wrong"
.ext:
  mov esi, [ebx + 16]
  mov [rsdt], esi
  cmp dword [ebx + 28], 0
  je .xsdt_low
  FAIL "XSDT above 4 GiB"
.xsdt_low:
  mov edi, [ebx + 24]
  mov [xsdt], edi
  mov eax, 'RSDT'
  call check_table
  mov esi, edi
  mov eax, 'XSDT'
  call check_table
  ; the same tables in both
  mov esi, [rsdt]
  mov edi, [xsdt]
  mov ecx, [esi + 4]
  sub ecx, 36
  shr ecx, 2
  mov [entries], ecx
  mov eax, [edi + 4]
  sub eax, 36
  shr eax, 3
  cmp eax, ecx
  je .same_count
  FAIL "the RSDT and the XSDT list different numbers of tables"
.same_count:
  xor edx, edx
.entry:
  mov eax, [esi + 36 + edx * 4]
  cmp eax, [edi + 36 + edx * 8]
  jne .differ
  cmp dword [edi + 40 + edx * 8], 0
  jne .differ
  push esi
  mov esi, eax
  mov eax, [esi]                      ; its own signature: checked for a sum
  call check_table
  pop esi
  inc edx
  cmp edx, [entries]
  jb .entry
  ; FADT
  mov eax, 'FACP'
  call acpi_table
  test eax, eax
  jnz .fadt
  FAIL "no FACP (FADT) in the RSDT"
.fadt:
  mov ebx, eax
  mov esi, [ebx + FADT_DSDT]
  cmp esi, [ebx + FADT_X_DSDT]
  jne .dsdt_differ
  cmp dword [ebx + FADT_X_DSDT + 4], 0
  jne .dsdt_differ
  mov eax, 'DSDT'
  call check_table
  mov eax, [ebx + FADT_FACS]
  cmp dword [eax], 'FACS'
  je .facs
  FAIL "the FADT's FIRMWARE_CTRL is not a FACS"
.facs:
  cmp word [ebx + FADT_SCI_INT], 9
  jne .fadt_bad
  cmp dword [ebx + FADT_PM1A_EVT], 0x600
  jne .fadt_bad
  cmp dword [ebx + FADT_PM1A_CNT], 0x604
  jne .fadt_bad
  cmp dword [ebx + FADT_PM_TMR], 0x608
  jne .fadt_bad
  cmp byte [ebx + FADT_PM_TMR_LEN], 4
  jne .fadt_bad
  mov eax, [ebx + FADT_FLAGS]
  and eax, TMR_VAL_EXT | RESET_REG_SUP
  cmp eax, TMR_VAL_EXT | RESET_REG_SUP
  jne .fadt_bad
  cmp byte [ebx + FADT_RESET_REG], 1  ; system I/O
  jne .fadt_bad
  cmp dword [ebx + FADT_RESET_REG + 4], 0xcf9
  jne .fadt_bad
  ; MADT
  mov eax, 'APIC'
  call acpi_table
  test eax, eax
  jnz .madt
  FAIL "no APIC (MADT) in the RSDT"
.madt:
  mov ebx, eax
  cmp dword [ebx + 36], 0xfee00000
  je .lapic_at
  FAIL_HEX "MADT: the LAPIC not at 0xFEE00000:", dword [ebx + 36]
.lapic_at:
  test dword [ebx + 40], MADT_PCAT
  jnz .pcat
  FAIL "MADT: PCAT_COMPAT clear (no 8259s)"
.pcat:
  mov esi, ebx
  add esi, 44
  mov edi, ebx
  add edi, [ebx + 4]                  ; the end
.madt_entry:
  cmp esi, edi
  jae .madt_done
  movzx eax, byte [esi]
  movzx ecx, byte [esi + 1]
  cmp ecx, 2
  jb .madt_short
  cmp eax, 0
  je .lapic
  cmp eax, 1
  je .ioapic
  cmp eax, 2
  je .override
  cmp eax, 4
  je .nmi
.madt_next:
  add esi, ecx
  jmp .madt_entry
.lapic:
  test dword [esi + 4], 1
  jz .madt_next
  movzx eax, byte [esi + 3]
  cmp eax, [lapics]                   ; IDs in order from 0
  jne .lapic_id
  inc dword [lapics]
  jmp .madt_next
.ioapic:
  cmp dword [esi + 4], 0xfec00000
  jne .madt_next
  cmp dword [esi + 8], 0
  jne .madt_next
  mov dword [ioapic], 1
  jmp .madt_next
.override:
  cmp byte [esi + 2], 0               ; ISA
  jne .madt_next
  cmp byte [esi + 3], 0
  jne .madt_next
  cmp dword [esi + 4], 2
  jne .madt_next
  mov dword [irq0_gsi2], 1
  jmp .madt_next
.nmi:
  cmp byte [esi + 5], 1               ; LINT1
  jne .madt_next
  mov dword [nmi], 1
  jmp .madt_next
.madt_done:
  mov esi, vcpus_key
  mov edx, 1
  call cmdline_dec
  cmp eax, [lapics]
  je .count
  FAIL_HEX "MADT: enabled LAPICs not the domain's vCPUs:", dword [lapics]
.count:
  cmp dword [ioapic], 0
  jne .has_ioapic
  FAIL "MADT: no I/O APIC at 0xFEC00000 from GSI 0"
.has_ioapic:
  cmp dword [irq0_gsi2], 0
  jne .has_override
  FAIL "MADT: no override of IRQ 0 to GSI 2"
.has_override:
  cmp dword [nmi], 0
  jne .has_nmi
  FAIL "MADT: no NMI on LINT1"
.has_nmi:
  PRINT TEST_NAME, ": "
  mov eax, [entries]
  call putdec
  PRINT " tables, "
  mov eax, [lapics]
  call putdec
  PRINT " LAPICs", 10
  PASS
.differ:
  FAIL_HEX "the RSDT and the XSDT differ at entry", edx
.dsdt_differ:
  FAIL "the FADT's DSDT and X_DSDT differ"
.fadt_bad:
  FAIL "the FADT's SCI, PM blocks, flags or reset register are not the PC's"
.madt_short:
  FAIL "MADT: an entry shorter than 2 bytes"
.lapic_id:
  FAIL_HEX "MADT: LAPIC IDs not 0..n-1, got", eax

; check_table: ESI = a table, EAX = the signature it must have; its length
; within 64 KiB and its checksum right. Keeps all but EAX.
check_table:
  cmp [esi], eax
  jne .sig
  push ecx
  mov ecx, [esi + 4]
  cmp ecx, 36
  jb .len
  cmp ecx, 0x10000
  ja .len
  call acpi_checksum
  pop ecx
  jnz .sum
  ret
.sig:
  FAIL_HEX "a table without the signature expected; wanted", eax
.len:
  FAIL_HEX "a table's length out of range, signature", dword [esi]
.sum:
  FAIL_HEX "a table's checksum is wrong, signature", dword [esi]

section .rodata
vcpus_key: db "vcpus=", 0

section .data
align 4
rsdt:      dd 0
xsdt:      dd 0
entries:   dd 0
lapics:    dd 0
ioapic:    dd 0
irq0_gsi2: dd 0
nmi:       dd 0
