; A driver domain's probe (tests/integration/rights.test.ts): reads the
; vendor and device ids of PCI function 00:01.1 through ports 0xCF8/0xCFC
; and prints "pci 00:01.1 <dword>". With those ports given to it
; (ioports=0xcf8-0xcff) it reads the machine's own bus: Bochs's IDE
; controller, 70108086. Without them it reads its virtual PC's bus, which
; has nothing there: ffffffff. Then it passes.
%define TEST_NAME "pci_probe"
%include "lib.inc"

PCI_ADDRESS     equ 0xcf8
PCI_DATA        equ 0xcfc
PCI_00_01_1     equ 0x80000900       ; enable, bus 0, device 1, function 1, register 0

main:
  mov dx, PCI_ADDRESS
  mov eax, PCI_00_01_1
  out dx, eax
  mov dx, PCI_DATA
  in eax, dx
  PRINT "pci 00:01.1 "
  call puthex
  PRINT 10
  PASS
