; Not a test by itself: a hostile neighbour for the virtual PC's probes. It
; writes pseudo-random values at random widths to every register of its PC
; that does not end the domain (the 8259s and ELCR, the PIT and port 0x61,
; the RTC, PCI configuration, fw_cfg, the ACPI PM status, enable and timer
; ports, the I/O APIC's index and window, every LAPIC register, the ICR
; with fixed and NMI deliveries to any destination), reads them back, and
; takes whatever interrupts that makes (every vector: EOI and return), for
; ever. Left out: what resets or powers off (0xCF9, the 8042, port 0x92,
; PM1a_CNT, and wider writes that reach them), the UART and 0xF4, and
; INIT/STARTUP/ExtINT deliveries. The
; hypervisor must keep it running and the other domains unharmed. Every
; ROUND_LINE rounds it prints
;   pc_devices_fuzzed: round <n>
%define TEST_NAME "pc_devices_fuzzed"
%include "lib.inc"

LAPIC       equ 0xfee00000
LAPIC_EOI   equ LAPIC + 0x0b0
IOAPIC      equ 0xfec00000
DELIVERY_MODE equ 0x700               ; ICR and LVT bits 10:8
DM_NMI      equ 0x400
ROUND_LINE  equ 1 << 10

main:
  PRINT TEST_NAME, ": writing nonsense to every device register", 10
  ; every vector: EOI and return (an NMI's EOI is ignored, as on hardware)
  xor eax, eax
.gates:
  mov edx, isr_any
  call idt_set_gate
  inc eax
  cmp eax, 256
  jb .gates
  mov dword [seed], 0x9e3779b9
  sti
.round:
  ; a port write at a random width, and a read back
  call rand
  xor edx, edx
  mov ecx, PORTS
  div ecx
  movzx edx, word [ports + edx * 2]
  call rand
  mov ebx, eax
  shr ebx, 30                         ; 0, 1, 2, 3: byte, word, dword, dword
  call rand
  cmp dx, 0x61                        ; a wider write would reach the 8042 at 0x64
  je .out8
  cmp ebx, 1
  jb .out8
  je .out16
  out dx, eax
  in eax, dx
  jmp .mmio
.out8:
  out dx, al
  in al, dx
  jmp .mmio
.out16:
  out dx, ax
  in ax, dx
.mmio:
  ; a LAPIC register (delivery mode fixed or NMI), read back
  call rand
  mov ebx, eax
  and ebx, 0x3f0
  call rand
  mov ecx, eax
  and eax, ~DELIVERY_MODE
  and ecx, DM_NMI
  or eax, ecx
  mov [LAPIC + ebx], eax
  mov eax, [LAPIC + ebx]
  ; the I/O APIC: an index, a window write, a read
  call rand
  mov [IOAPIC], eax
  call rand
  and eax, ~DELIVERY_MODE
  mov [IOAPIC + 0x10], eax
  mov eax, [IOAPIC + 0x10]
  ; CONFIG_ADDRESS, dword only (a narrower write at 0xcf8 reaches 0xcf9)
  call rand
  mov dx, 0xcf8
  out dx, eax
  inc dword [rounds]
  test dword [rounds], ROUND_LINE - 1
  jnz .round
  cli
  PRINT TEST_NAME, ": round "
  mov eax, [rounds]
  call putdec
  PRINT 10
  sti
  jmp .round

isr_any:
  mov dword [LAPIC_EOI], 0
  iret

%include "rand.inc"

section .rodata
align 2
ports:
  dw 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1           ; 8259 pair, ELCR
  dw 0x40, 0x41, 0x42, 0x43, 0x61                   ; PIT, port B
  dw 0x70, 0x71                                     ; RTC
  dw 0xcfc, 0xcfd, 0xcfe, 0xcff                     ; PCI configuration data
  dw 0x510, 0x511                                   ; fw_cfg
  dw 0x600, 0x608, 0x609, 0x60a, 0x60b              ; PM1a_STS/EN (a dword at 0x600), PM_TMR
PORTS equ ($ - ports) / 2

section .data
align 4
seed:   dd 0
rounds: dd 0
