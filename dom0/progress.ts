// Progress of a long shell command on one line (bytes and percent, shown
// once it has taken a second, redrawn at most every quarter second), and
// Ctrl-C to cancel it: the command asks progressStep() between its steps.
// What else is typed meanwhile is dropped (the line editor is not running).
import { rdtsc } from "./hw";
import { puts, putc, comRead } from "./uart";
import { ticksPerSecond } from "./host";
import { dec } from "../src/lib/str";

const CTRL_C: i32 = 3;

let what = "";
let total: u64 = 0;
let start: u64 = 0;
let next: u64 = 0;
let second: u64 = 0;
let shown = false;
let cancelled = false;

export function progressStart(label: string, bytes: u64): void {
  what = label;
  total = bytes;
  second = ticksPerSecond();
  start = rdtsc();
  next = start + second;
  shown = false;
  cancelled = false;
}

// `done` bytes of the total are done: false once Ctrl-C was pressed.
export function progressStep(done: u64): bool {
  // At most a FIFO's worth each step: a port with no UART behind it reads
  // as ever-ready 0xFF.
  for (let i = 0; i < 16; i++) {
    const c = comRead();
    if (c < 0) break;
    if (c == CTRL_C) cancelled = true;
  }
  if (cancelled) return false;
  const now = rdtsc();
  if (now < next) return true;
  next = now + second / 4;
  shown = true;
  putc(13);
  puts(what + ": " + mib(done) + " of " + mib(total) + " MiB (" + dec(total != 0 ? done * 100 / total : 100) + "%)  ");
  return true;
}

// Ticks since progressStart; the progress line, if shown, is ended.
export function progressEnd(): u64 {
  if (shown) {
    putc(13);
    puts("\x1b[K");
  }
  return rdtsc() - start;
}

export function progressCancelled(): bool { return cancelled; }

// 12.3: MiB with one decimal, no floats.
export function mib(bytes: u64): string {
  const tenths = (bytes * 10 + (1 << 19)) >> 20;
  return dec(tenths / 10) + "." + dec(tenths % 10);
}

// Seconds with one decimal from TSC ticks.
export function secondsText(t: u64): string {
  const tenths = second != 0 ? (t * 10 + second / 2) / second : 0;
  return dec(tenths / 10) + "." + dec(tenths % 10);
}
