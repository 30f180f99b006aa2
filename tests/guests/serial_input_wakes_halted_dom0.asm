; Domain 0's interrupt path end to end, without Domain 0's own kernel. Run
; as the first module with `control=1`, this guest is Domain 0: COM1 and
; PCI configuration are passed through to it. It takes the serial console
; (HC_EVENT_SETUP with EVSETUP_FLAG_CONSOLE, event vector 0x40), enables
; COM1's receive interrupt (IER=1, MCR=DTR|RTS|OUT2) and halts with
; interrupts enabled. Each byte typed on the serial line is a physical IRQ 4
; that the hypervisor delivers as EVENT_SERIAL; the handler echoes it; a '.'
; ends the input. Then it reports what the wait cost, as deltas over it:
;   serial_input_wakes_halted_dom0: slept bytes=<n> wakes=<n> hlt_exits=<n>
;     run=<hex> uptime=<hex> idle=<hex> busy=<hex>
; (its HLT exits and run ticks from HC_DOMAIN_INFO, the host's uptime from
; HC_HOST_INFO, CPU 0's idle and busy ticks from HC_CPU_INFO). Last it
; creates and destroys a domain, so that the hypervisor logs two lines; they
; reach it as EVENT_LOG and it prints them as `dmesg: <line>`, as Domain 0's
; console does. Its own domain id: `self=` (default 1).
%define TEST_NAME "serial_input_wakes_halted_dom0"
%include "lib.inc"

EV_VECTOR        equ 0x40
COM1_IER         equ COM1 + 1
COM1_MCR         equ COM1 + 4
LSR_DR           equ 0x01
IER_ERBFI        equ 0x01
MCR_DTR_RTS_OUT2 equ 0x0b
END_BYTE         equ '.'
EXIT_REASON_HLT  equ 12
INFO_HLT         equ DOMINFO_EXITS + EXIT_REASON_HLT * 8
LOG_CHUNK        equ 256

; A snapshot record (snapshot, print_delta).
R_HLT    equ 0
R_RUN    equ 8
R_UPTIME equ 16
R_IDLE   equ 24
R_BUSY   equ 32
R_SIZE   equ 40

; COPY64 dst, src: one u64 (two dwords through EAX).
%macro COPY64 2
  mov eax, [%2]
  mov [%1], eax
  mov eax, [%2 + 4]
  mov [%1 + 4], eax
%endmacro

main:
  mov esi, key_self
  mov edx, 1
  call cmdline_dec
  mov [self], eax
  mov eax, EV_VECTOR
  mov edx, event_isr
  call idt_set_gate
  mov eax, HC_EVENT_SETUP
  mov edi, event_page
  mov esi, EV_VECTOR
  mov edx, EVSETUP_FLAG_CONSOLE
  call hcall
  jnc .called
  FAIL_HEX "vmcall faulted: vector", dword [fault_vec]
.called:
  test eax, eax
  jns .taken
  FAIL_HEX "HC_EVENT_SETUP(page, 0x40, EVSETUP_FLAG_CONSOLE) returned", eax
.taken:
  mov [log_pos], eax                  ; the hypervisor log from here on is ours to print
  ; COM1: empty the receiver, then interrupt on received data.
.drain:
  mov dx, COM1_LSR
  in al, dx
  test al, LSR_DR
  jz .drained
  mov dx, COM1
  in al, dx
  jmp .drain
.drained:
  mov dx, COM1_MCR
  mov al, MCR_DTR_RTS_OUT2
  out dx, al
  mov dx, COM1_IER
  mov al, IER_ERBFI
  out dx, al
  mov ebx, before
  call snapshot
  PRINT TEST_NAME, ": ready", 10
  ; Sleep until the end byte: the check runs with IF=0, and STI's shadow
  ; keeps an interrupt from slipping in before the HLT.
.wait:
  cli
  cmp byte [done], 0
  jne .finished
  sti
  hlt
  inc dword [wakes]
  jmp .wait
.finished:
  mov ebx, after
  call snapshot
  PRINT 10, TEST_NAME, ": slept bytes="
  mov eax, [bytes]
  call putdec
  PRINT " wakes="
  mov eax, [wakes]
  call putdec
  PRINT " hlt_exits="
  mov eax, [after + R_HLT]
  sub eax, [before + R_HLT]
  call putdec
  PRINT " run="
  mov esi, R_RUN
  call print_delta
  PRINT " uptime="
  mov esi, R_UPTIME
  call print_delta
  PRINT " idle="
  mov esi, R_IDLE
  call print_delta
  PRINT " busy="
  mov esi, R_BUSY
  call print_delta
  PRINT 10
  ; Two hypervisor log lines, which come back as EVENT_LOG.
  mov eax, HC_DOMAIN_CREATE
  mov edi, probe_config
  mov esi, probe_config_len
  call hcall
  test eax, eax
  jg .created
  FAIL_HEX "HC_DOMAIN_CREATE(probe) returned", eax
.created:
  mov edi, eax
  mov eax, HC_DOMAIN_DESTROY
  call hcall
  test eax, eax
  jz .wait_log
  FAIL_HEX "HC_DOMAIN_DESTROY(probe) returned", eax
.wait_log:
  cli
  cmp dword [log_lines], 2
  jae .logged
  sti
  hlt
  jmp .wait_log
.logged:
  PASS

; snapshot: EBX = a record to fill.
snapshot:
  mov eax, HC_DOMAIN_INFO
  mov edi, [self]
  mov esi, info_buf
  call hcall
  test eax, eax
  jz .info
  FAIL_HEX "HC_DOMAIN_INFO(self) returned", eax
.info:
  COPY64 ebx + R_HLT, info_buf + INFO_HLT
  COPY64 ebx + R_RUN, info_buf + DOMINFO_RUN_TICKS
  mov eax, HC_HOST_INFO
  mov edi, host_buf
  call hcall
  test eax, eax
  jz .host
  FAIL_HEX "HC_HOST_INFO returned", eax
.host:
  COPY64 ebx + R_UPTIME, host_buf + HOSTINFO_UPTIME_TICKS
  mov eax, HC_CPU_INFO
  xor edi, edi
  mov esi, cpu_buf
  call hcall
  test eax, eax
  jz .cpu
  FAIL_HEX "HC_CPU_INFO(0) returned", eax
.cpu:
  COPY64 ebx + R_IDLE, cpu_buf + CPUINFO_IDLE_TICKS
  COPY64 ebx + R_BUSY, cpu_buf + CPUINFO_BUSY_TICKS
  ret

; print_delta: ESI = a record offset; prints after - before, 16 hex digits.
print_delta:
  mov eax, [after + esi]
  mov edx, [after + esi + 4]
  sub eax, [before + esi]
  sbb edx, [before + esi + 4]
  jmp puthex64

; The event vector. Takes the pending bits with one exchange (the EVENT_*
; bits fit in the low dword of EVPAGE_PENDING), echoes every byte COM1 has,
; and prints new hypervisor log lines.
event_isr:
  pushad
  xor eax, eax
  xchg eax, [event_page + EVPAGE_PENDING]
  mov ebx, eax
  test ebx, 1 << EVENT_SERIAL
  jz .log
.rx:
  mov dx, COM1_LSR
  in al, dx
  test al, LSR_DR
  jz .log
  mov dx, COM1
  in al, dx
  inc dword [bytes]
  call putc
  cmp al, END_BYTE
  jne .rx
  mov byte [done], 1
  jmp .rx
.log:
  test ebx, 1 << EVENT_LOG
  jz .out
  call forward_log
.out:
  popad
  iretd

; forward_log: prints the hypervisor log from log_pos on, each line as
; `dmesg: <line>`.
forward_log:
  mov eax, HC_LOG_READ
  mov edi, [log_pos]
  mov esi, log_buf
  mov edx, LOG_CHUNK
  call hcall
  test eax, eax
  jle .done
  add [log_pos], eax
  mov ecx, eax
  mov esi, log_buf
.byte:
  cmp byte [at_line_start], 0
  je .char
  PRINT "dmesg: "
  mov byte [at_line_start], 0
.char:
  lodsb
  call putc
  cmp al, 10
  jne .next
  mov byte [at_line_start], 1
  inc dword [log_lines]
.next:
  loop .byte
  jmp forward_log
.done:
  ret

section .rodata
key_self: db "self=", 0
probe_config: db "domain name=probe mem=1M"
probe_config_len equ $ - probe_config

section .data
align 4
self:          dd 1
log_pos:       dd 0
wakes:         dd 0
bytes:         dd 0
log_lines:     dd 0
done:          db 0
at_line_start: db 1

section .bss
alignb 4096
event_page: resb 4096
alignb 8
before:   resb R_SIZE
after:    resb R_SIZE
info_buf: resb DOMINFO_SIZE
host_buf: resb HOSTINFO_SIZE
cpu_buf:  resb CPUINFO_SIZE
log_buf:  resb LOG_CHUNK
