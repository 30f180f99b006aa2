; ACPI soft-off as Linux's acpi_enter_sleep_state(ACPI_STATE_S5) does it
; (ACPI 6.0, 7.4.2 and 4.8.3.2.1): the FADT's PM1a_CNT_BLK, SCI_EN already
; set (no SMI_CMD: the PC is in ACPI mode), the DSDT's \_S5 package giving
; SLP_TYPa; SLP_TYPa with SLP_EN written in one 16-bit access. The domain
; is powered off (stopped by the hypervisor, on_poweroff's default), so
; there is no RESULT PASS: the suite expects that stop. Reaching the next
; instruction is a FAIL.
%define TEST_NAME "acpi_s5_powers_off_domain"
%include "lib.inc"
%include "acpi.inc"

FADT_DSDT     equ 40
FADT_SMI_CMD  equ 48
FADT_PM1A_CNT equ 64
SCI_EN        equ 1 << 0
SLP_TYP_SHIFT equ 10
SLP_EN        equ 1 << 13
AML_PACKAGE   equ 0x12
AML_ZERO      equ 0x00
AML_ONE       equ 0x01
AML_BYTE      equ 0x0a

main:
  mov eax, 'FACP'
  call acpi_table
  test eax, eax
  jnz .fadt
  FAIL "no FADT"
.fadt:
  mov ebx, eax
  cmp dword [ebx + FADT_SMI_CMD], 0
  je .acpi_mode
  FAIL "the FADT has an SMI_CMD: ACPI mode would have to be entered"
.acpi_mode:
  mov edx, [ebx + FADT_PM1A_CNT]
  mov [pm1a_cnt], edx
  in ax, dx
  test ax, SCI_EN
  jnz .sci_en
  FAIL_HEX "PM1a_CNT: SCI_EN clear:", eax
.sci_en:
  ; \_S5: NameOp "_S5_" PackageOp PkgLength NumElements SLP_TYPa ...
  mov esi, [ebx + FADT_DSDT]
  mov ecx, [esi + 4]
  lea edi, [esi + ecx - 8]
  add esi, 36
.find:
  cmp esi, edi
  jae .no_s5
  cmp dword [esi], '_S5_'
  je .s5
  inc esi
  jmp .find
.s5:
  cmp byte [esi + 4], AML_PACKAGE
  jne .bad_package
  movzx eax, byte [esi + 5]           ; PkgLength: bits 7:6 = extra bytes
  shr eax, 6
  lea esi, [esi + 7 + eax]            ; past NumElements
  movzx eax, byte [esi]
  cmp eax, AML_BYTE
  je .byte
  cmp eax, AML_ONE
  je .typ                             ; EAX = 1
  cmp eax, AML_ZERO
  je .typ                             ; EAX = 0
  jmp .bad_package
.byte:
  movzx eax, byte [esi + 1]
.typ:
  cmp eax, 7
  ja .bad_package
  mov [slp_typ], eax
  PRINT TEST_NAME, ": \_S5 SLP_TYPa "
  mov eax, [slp_typ]
  call putdec
  PRINT ", writing SLP_EN", 10
  mov eax, [slp_typ]
  shl eax, SLP_TYP_SHIFT
  or eax, SLP_EN | SCI_EN
  mov edx, [pm1a_cnt]
  out dx, ax
  mov ecx, 1000000
.still:
  pause
  loop .still
  FAIL "still running after SLP_TYP S5 with SLP_EN"
.no_s5:
  FAIL "no \_S5 in the DSDT"
.bad_package:
  FAIL "\_S5 is not a package starting with SLP_TYPa"

section .data
align 4
pm1a_cnt: dd 0
slp_typ:  dd 0
