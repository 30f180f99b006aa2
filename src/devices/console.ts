// A domain's console: every byte the domain writes to its emulated UART goes
// to a ring (read back by Dom0's `console <id>` / `log <id>` through a
// hypercall) and, assembled into lines, to the hypervisor log as
// `[<domain name>] <line>`. One block allocated at domain creation; putting a
// byte allocates nothing, so the UART's THR write (a VM exit) may call it.
//
// The log takes a domain's lines through a token bucket: LOG_BURST lines,
// then LOG_RATE a second (in TSC time); the lines beyond are only in the
// domain's ring, and one line says how many when the log takes its lines
// again (or when it stops). So a domain that prints without end neither
// pushes the hypervisor's own lines out of the log nor keeps Domain 0
// printing them.
//
// The block, at the Console pointer (offsets in bytes):
//
//   ┌──────────────────────────────┐ 0
//   │ head      u64  bytes ever put│   the ring holds the last RING_SIZE
//   │ lineLen   u32                │ 8   bytes in the line buffer
//   │ nameLen   u32                │ 12
//   │ toLog     u32                │ 16  1: assemble lines for the log
//   │ lines     u32                │ 20  lines printed to the log (statistic)
//   │ unlogged  u32                │ 24  lines kept from the log since the last note
//   │ unloggedAll u32              │ 28  before that, since it began
//   │ logBudget u64                │ 32  TSC ticks of lines the log may take now
//   │ logAt     u64                │ 40  the TSC when logBudget was last brought up
//   ├──────────────────────────────┤ 48 (CONSOLE_NAME)
//   │ name      u8[32]             │   the domain name, ASCII, truncated
//   ├──────────────────────────────┤ 80 (CONSOLE_LINE)
//   │ line      u8[200]            │   the line being assembled
//   ├──────────────────────────────┤ 280 (CONSOLE_RING)
//   │ ring      u8[16384]          │   byte at position p is ring[p & 16383]
//   └──────────────────────────────┘ 16664 (CONSOLE_BLOCK_SIZE)
//
// Every field is position independent, so the block can be copied as is for
// a snapshot. The bucket is the host's: a restored console keeps its own.
import { ringRead } from "../lib/ring";
import { putc, print, println, printDec, logDomainText } from "../log/log";
import { rdtsc } from "../arch/hw";
import { tscHz } from "../cpu/tsc";
import { CONSOLE_RING_BYTES, CONSOLE_LINE_BYTES } from "../arch/abi";

export const CONSOLE_RING_SIZE: u32 = CONSOLE_RING_BYTES; // a power of two, part of the ABI
export const CONSOLE_NAME_MAX: u32 = 32;
export const CONSOLE_LINE_MAX: u32 = CONSOLE_LINE_BYTES;    // longer lines are split

export const CONSOLE_NAME: u32 = 48;
export const CONSOLE_LINE: u32 = CONSOLE_NAME + CONSOLE_NAME_MAX;
export const CONSOLE_RING: u32 = CONSOLE_LINE + CONSOLE_LINE_MAX;
// A domain's lines the log takes at once, then each second.
export const LOG_BURST: u64 = 256;
export const LOG_RATE: u64 = 32;
export const CONSOLE_BLOCK_SIZE: u32 = CONSOLE_RING + CONSOLE_RING_SIZE;

@unmanaged
export class Console {
  head: u64;
  lineLen: u32;
  nameLen: u32;
  toLog: u32;
  lines: u32;
  unlogged: u32;
  unloggedAll: u32;
  logBudget: u64;
  logAt: u64;

  // Allocates and initialises a console for the domain called `name`
  // (non-ASCII characters are kept as '?'). Boot/creation time only.
  static create(name: string): Console {
    const p = heap.alloc(<usize>CONSOLE_BLOCK_SIZE);
    memory.fill(p, 0, <usize>CONSOLE_BLOCK_SIZE);
    const c = changetype<Console>(p);
    let n = <u32>name.length;
    if (n > CONSOLE_NAME_MAX) n = CONSOLE_NAME_MAX;
    for (let i: u32 = 0; i < n; i++) {
      const ch = name.charCodeAt(<i32>i);
      store<u8>(p + CONSOLE_NAME + i, ch >= 0x20 && ch < 0x7f ? <u8>ch : 0x3f);
    }
    c.nameLen = n;
    c.toLog = 1;
    c.logBudget = LOG_BURST * lineTicks();
    c.logAt = rdtsc();
    return c;
  }

  // One byte from the domain: into the ring and, unless disabled, into the
  // line for the log. '\r' is dropped from log lines (not from the ring).
  put(b: u8): void {
    const base = changetype<usize>(this);
    store<u8>(base + CONSOLE_RING + (<u32>this.head & (CONSOLE_RING_SIZE - 1)), b);
    this.head++;
    if (this.toLog == 0 || b == 0x0d) return;
    if (b == 0x0a) {
      this.flushLine();
      return;
    }
    if (this.lineLen == CONSOLE_LINE_MAX) this.flushLine();
    store<u8>(base + CONSOLE_LINE + this.lineLen, b >= 0x20 && b < 0x7f ? b : 0x2e);
    this.lineLen++;
  }

  // Prints the assembled line, even an empty one, as `[name] line\n`, if
  // the bucket has room for it; else only counts it. Once it has run dry,
  // the log takes the domain's lines again when a second's worth is back,
  // after a line that says how many it did not take (so at most one such
  // line a second).
  flushLine(): void {
    const cost = lineTicks();
    const now = rdtsc();
    const cap = LOG_BURST * cost;
    const since = now - this.logAt;
    this.logAt = now;
    this.logBudget = since >= cap - this.logBudget ? cap : this.logBudget + since;
    const need = this.unlogged != 0 ? LOG_RATE * cost : cost;
    if (this.logBudget < need) {
      this.unlogged++;
      this.lineLen = 0;
      return;
    }
    this.logBudget -= cost;
    this.noteUnlogged();
    const base = changetype<usize>(this);
    logDomainText(true);
    this.putName();
    for (let i: u32 = 0; i < this.lineLen; i++) putc(load<u8>(base + CONSOLE_LINE + i));
    putc(0x0a);
    logDomainText(false);
    this.lineLen = 0;
    this.lines++;
  }

  private putName(): void {
    const base = changetype<usize>(this);
    putc(0x5b);
    for (let i: u32 = 0; i < this.nameLen; i++) putc(load<u8>(base + CONSOLE_NAME + i));
    putc(0x5d);
    putc(0x20);
  }

  // How many lines the log did not take since the last such note (at a
  // stop: in all). The hypervisor's own log (dmesg) gets a domain's first
  // note and the total at its stop, whatever it prints in between.
  private noteUnlogged(stopping: bool = false): void {
    const total = this.unloggedAll + this.unlogged;
    if (stopping ? total == 0 : this.unlogged == 0) return;
    logDomainText(!(this.unloggedAll == 0 || stopping));
    print("hv: ");
    this.putName();
    printDec(stopping ? total : this.unlogged);
    print(stopping ? " lines in all not logged (over " : " lines not logged (over ");
    printDec(LOG_RATE);
    println(" a second; its console ring has them)");
    logDomainText(false);
    this.unloggedAll = stopping ? 0 : total;
    this.unlogged = 0;
  }

  // Prints a partial line, if any, and what the log did not take (when
  // the domain stops).
  flush(): void {
    if (this.lineLen != 0) this.flushLine();
    this.noteUnlogged(true);
  }

  // Copies up to `len` bytes from absolute position `from` (clamped to the
  // oldest byte the ring still holds) to `dst`; returns the count.
  read(from: u64, dst: usize, len: u32): u32 {
    return ringRead(changetype<usize>(this) + CONSOLE_RING, CONSOLE_RING_SIZE, this.head, from, dst, len);
  }
}

// Free-function forms (instances as pointers), as the exit path and the
// exports use them.
export function consoleCreate(name: string): Console { return Console.create(name); }
export function consolePut(c: Console, b: u8): void { c.put(b); }
export function consoleRead(c: Console, from: u64, dst: usize, len: u32): u32 { return c.read(from, dst, len); }
export function consoleHead(c: Console): u64 { return c.head; }
export function consoleFlush(c: Console): void { c.flush(); }
export function consoleSetLog(c: Console, on: bool): void { c.toLog = on ? 1 : 0; }

// TSC ticks a line of the log costs: a second's worth over LOG_RATE.
@inline function lineTicks(): u64 { return tscHz() / LOG_RATE; }
