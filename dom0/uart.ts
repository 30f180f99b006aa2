// Domain 0's console: the 16550 UART at COM1 (emulated by the hypervisor,
// which logs each line as `[dom0] ...`). Polled output, no allocation.
import { inb, outb, halt_forever } from "./hw";

const COM1: u16 = 0x3f8;
const LSR: u16 = COM1 + 5;
const LSR_THRE: u8 = 0x20;

export function putc(c: u8): void {
  for (let spins = 0; spins < 100000; spins++) {
    if ((inb(LSR) & LSR_THRE) != 0) break;
  }
  outb(COM1, c);
}

// ASCII only: each UTF-16 code unit is sent as one byte.
export function puts(s: string): void {
  for (let i = 0; i < s.length; i++) putc(<u8>s.charCodeAt(i));
}

export function putsln(s: string): void {
  puts(s);
  putc(10);
}

// NUL-terminated bytes at `p`, at most `max`.
export function putcstr(p: usize, max: u32): void {
  for (let i: u32 = 0; i < max; i++) {
    const c = load<u8>(p + i);
    if (c == 0) break;
    putc(c);
  }
}

export function putDec(v: u64): void {
  const buf = memory.data(24);
  let n = 0;
  do {
    store<u8>(buf + n++, <u8>(48 + v % 10));
    v /= 10;
  } while (v != 0);
  while (n > 0) putc(load<u8>(buf + --n));
}

export function putSigned(v: i64): void {
  if (v < 0) {
    putc(45);
    putDec(<u64>(-v));
  } else putDec(<u64>v);
}

export function putHex(v: u64, digits: i32): void {
  puts("0x");
  for (let i = digits - 1; i >= 0; i--) {
    const d = <u8>((v >> (<u64>i * 4)) & 0xf);
    putc(d < 10 ? 48 + d : 87 + d);
  }
}

// AssemblyScript's abort (asc --use abort=dom0/uart/abort): report, stop.
export function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  puts("dom0: PANIC: ");
  if (message !== null) puts(message);
  if (file !== null) {
    puts(" at ");
    puts(file);
    putc(58);
    putDec(line);
  }
  putsln("");
  halt_forever();
}
