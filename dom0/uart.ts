// Domain 0's console: the physical 16550 UART at COM1, whose ports the
// hypervisor passes through to it. Output is polled (a byte when the
// transmit holding register is empty); input arrives as EVENT_SERIAL, after
// which comDrain() empties the receive FIFO. Until the ports are passed
// through, the same accesses reach the hypervisor's emulated UART, whose
// output lands in the log as `[dom0] ...`.
//
// Text output goes through here too: puts() and friends allocate nothing.
import { inb, outb, halt_forever } from "./hw";
import {
  COM1, UART_THR, UART_RBR, UART_DLL, UART_DLM, UART_IER, UART_FCR, UART_LCR, UART_MCR, UART_LSR,
  UART_LCR_8N1, UART_LCR_DLAB, UART_FCR_ENABLE_CLEAR, UART_LSR_DR, UART_LSR_THRE, UART_LSR_TEMT,
  UART_IER_ERBFI, UART_MCR_DTR, UART_MCR_RTS, UART_MCR_OUT2,
} from "../src/arch/uart16550";

const BAUD_DIVISOR: u8 = 1; // 115200 baud from the 1.8432 MHz clock
// A transmitter that never empties (no UART at all) must not hang Domain 0.
const THRE_SPINS = 100000;

// 115200 8N1, FIFOs on (receive trigger at 1 byte: each byte interrupts, so
// the 16-byte FIFO does not overrun while Domain 0 sleeps), the received-data
// interrupt enabled, and OUT2 set: on a PC it gates the UART's IRQ line to
// the interrupt controller.
export function comInit(): void {
  outb(COM1 + UART_IER, 0);
  outb(COM1 + UART_LCR, UART_LCR_DLAB);
  outb(COM1 + UART_DLL, BAUD_DIVISOR);
  outb(COM1 + UART_DLM, 0);
  outb(COM1 + UART_LCR, UART_LCR_8N1);
  outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
  outb(COM1 + UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
  outb(COM1 + UART_IER, UART_IER_ERBFI);
}

// The next received byte, or -1 when the receive FIFO is empty.
export function comRead(): i32 {
  if ((inb(COM1 + UART_LSR) & UART_LSR_DR) == 0) return -1;
  return <i32>inb(COM1 + UART_RBR);
}

export function putc(c: u8): void {
  for (let spins = 0; spins < THRE_SPINS; spins++) {
    if ((inb(COM1 + UART_LSR) & UART_LSR_THRE) != 0) break;
  }
  outb(COM1 + UART_THR, c);
}

// Waits until the transmitter is empty: whoever takes COM1 next (the
// hypervisor, at power-off) resets it, dropping what its FIFO still holds.
export function comDrain(): void {
  for (let spins = 0; spins < THRE_SPINS; spins++) {
    if ((inb(COM1 + UART_LSR) & UART_LSR_TEMT) != 0) break;
  }
}

// A terminal needs CR LF.
export function newline(): void {
  putc(13);
  putc(10);
}

// ASCII only: each UTF-16 code unit is sent as one byte.
export function puts(s: string): void {
  for (let i = 0; i < s.length; i++) putc(<u8>s.charCodeAt(i));
}

export function putsln(s: string): void {
  puts(s);
  newline();
}

export function putBytes(p: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) putc(load<u8>(p + i));
}

// NUL-terminated bytes at `p`, at most `max`.
export function putcstr(p: usize, max: u32): void {
  for (let i: u32 = 0; i < max; i++) {
    const c = load<u8>(p + i);
    if (c == 0) break;
    putc(c);
  }
}

// Guest text for a terminal: a lone LF becomes CR LF; every other byte
// passes as is (a guest's own terminal codes work). `prev` is the byte
// before p[0]; returns the last byte written.
export function putText(p: usize, n: u32, prev: u8): u8 {
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (c == 10 && prev != 13) putc(13);
    putc(c);
    prev = c;
  }
  return prev;
}

const decBuf = memory.data(24);

export function putDec(v: u64): void {
  let n = 0;
  do {
    store<u8>(decBuf + n++, <u8>(48 + v % 10));
    v /= 10;
  } while (v != 0);
  while (n > 0) putc(load<u8>(decBuf + --n));
}

export function decWidth(v: u64): i32 {
  let n = 1;
  while (v >= 10) {
    v /= 10;
    n++;
  }
  return n;
}

export function putSigned(v: i64): void {
  if (v < 0) {
    putc(45);
    putDec(<u64>(-v));
  } else putDec(<u64>v);
}

// `digits` hex digits, no prefix.
export function putHexDigits(v: u64, digits: i32): void {
  for (let i = digits - 1; i >= 0; i--) {
    const d = <u8>((v >> (<u64>i * 4)) & 0xf);
    putc(d < 10 ? 48 + d : 87 + d);
  }
}

export function putHex(v: u64, digits: i32): void {
  puts("0x");
  putHexDigits(v, digits);
}

export function spaces(n: i32): void {
  for (let i = 0; i < n; i++) putc(32);
}

// Columns: `s` then blanks up to `width` (at least one blank).
export function putPad(s: string, width: i32): void {
  puts(s);
  spaces(s.length < width ? width - s.length : 1);
}

// Right-aligned decimal in `width` columns.
export function putDecRight(v: u64, width: i32): void {
  const w = decWidth(v);
  if (w < width) spaces(width - w);
  putDec(v);
}

// Left-aligned decimal, then blanks up to `width` (at least one).
export function putDecPad(v: u64, width: i32): void {
  putDec(v);
  const w = decWidth(v);
  spaces(w < width ? width - w : 1);
}

// AssemblyScript's abort (asc --use abort=dom0/uart/abort): report, stop.
export function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  puts("\r\ndom0: PANIC: ");
  if (message !== null) puts(message);
  if (file !== null) {
    puts(" at ");
    puts(file);
    putc(58);
    putDec(line);
  }
  newline();
  halt_forever();
}
