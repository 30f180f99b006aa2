// The hypervisor log: every byte goes to a ring (read back later through a
// hypercall: Domain 0 prints it live) and, while the hypervisor owns COM1, to
// the serial port; the hypervisor's own lines, not its domains' console
// lines, go to a second ring too (LOG_OWN: Dom0's `dmesg`), so that no
// domain's output pushes them out; once Domain 0 holds COM1 (src/platform/serial-console.ts) a
// finished line is only noted, for an EVENT_LOG. A panic always reaches the
// serial port. The print functions allocate nothing, so exit paths may log.
import { serialRoom, serialWaitRoom, serialSend, serialDrain } from "./serial";
import { halt_forever, this_cpu, rdtsc } from "../arch/hw";
import { ringRead } from "../lib/ring";
import { LOG_RING_BYTES } from "../arch/abi";
import { PERCPU_L1D_DIRTY } from "../arch/layout";

const RING_SIZE: u32 = LOG_RING_BYTES; // a power of two, part of the ABI
const ring = memory.data(RING_SIZE);
let ringHead: u64 = 0; // bytes ever written; the ring holds the last RING_SIZE
const own = memory.data(RING_SIZE);
let ownHead: u64 = 0;
let domainText = false; // bytes now are a domain's (logDomainText)
let toSerial = true;
let newLines = false; // a line ended since logTakeNewLines, while not on serial
// While on serial: the ring position up to which bytes went to the UART
// (a line feed goes as CR LF; crSent: its CR went already). The UART takes
// them as it empties (logPump: at each putc, before each VM entry, from the
// idle loop), so printing never waits for the wire until the serial port
// lags a whole ring behind; then a putc waits for one FIFO's worth.
let sent: u64 = 0;
let crSent = false;
// TSC ticks the UART takes to send a FIFO's worth (logSerialPace), and
// when it will have room again: the pump does not ask it sooner.
let pace: u64 = 0;
let roomAt: u64 = 0;
// Something for logDue's callers: a line ended while off serial, or bytes
// wait for the UART (the one test every VM entry makes).
let due = false;
// A domain writes to COM1 too (Domain 0, until it takes the console): each
// byte waits for the wire then, so that the two do not mix byte by byte.
let shared = false;

export function putc(c: u8): void {
  store<u8>(ring + <usize>(<u32>ringHead & (RING_SIZE - 1)), c);
  ringHead++;
  if (!domainText) {
    store<u8>(own + <usize>(<u32>ownHead & (RING_SIZE - 1)), c);
    ownHead++;
  }
  // The ring holds every domain's console text: L1D is dirty (the log is
  // below src/cpu/, whose l1dDirty this is).
  if (c == 0x0a) store<u32>(this_cpu() + PERCPU_L1D_DIRTY, 1);
  if (toSerial) {
    due = true;
    if (shared) sendAll();
    else sendSome(ringHead - sent >= <u64>RING_SIZE);
  } else if (c == 0x0a) {
    newLines = true;
    due = true;
  }
}

function dueAgain(): void {
  due = newLines || (toSerial && sent != ringHead);
}

// Hands the UART what it takes now of the bytes not yet sent: a FIFO's
// worth each time it is empty, until it is not (`wait`: waits for it to
// empty once first).
function sendSome(wait: bool): void {
  let room = wait && sent != ringHead ? serialWaitRoom() : 0;
  while (sent != ringHead) {
    if (room == 0) room = serialRoom();
    if (room == 0) break;
    while (room > 0 && sent != ringHead) {
      const c = load<u8>(ring + <usize>(<u32>sent & (RING_SIZE - 1)));
      if (c == 0x0a && !crSent) {
        serialSend(0x0d);
        crSent = true;
      } else {
        serialSend(c);
        crSent = false;
        sent++;
      }
      room--;
    }
  }
  roomAt = rdtsc() + pace;
  dueAgain();
}

// Bytes of the log still to go to the serial port?
@inline export function logUnsent(): bool {
  return toSerial && sent != ringHead;
}

// A line ended while off serial, or bytes wait for the UART: what every
// VM entry asks (logTakeNewLines, logPump).
@inline export function logDue(): bool {
  return due;
}

// Hands the UART what it takes now, without waiting, if it has had the
// time to send what it had.
export function logPump(): void {
  if (toSerial && <i64>(rdtsc() - roomAt) >= 0) sendSome(false);
}

// `on`: a domain writes to COM1 itself too (logFlush first).
export function logSerialShared(on: bool): void {
  if (on) logFlush();
  shared = on;
}

// The serial port's pace: TSC ticks for a FIFO's worth of bytes.
export function logSerialPace(ticks: u64): void {
  pace = ticks;
}

// ASCII only: other UTF-16 code units print as '?'.
export function print(s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    putc(c < 0x80 ? <u8>c : 0x3f);
  }
}

export function println(s: string): void {
  print(s);
  putc(0x0a);
}

const HEX = "0123456789abcdef";

// `digits` hex digits, with a 0x prefix.
export function printHex(v: u64, digits: i32 = 16): void {
  putc(0x30);
  putc(0x78);
  for (let i = digits - 1; i >= 0; i--) {
    putc(<u8>HEX.charCodeAt(<i32>((v >> (<u64>i * 4)) & 0xf)));
  }
}

export function printDec(v: u64): void {
  if (v >= 10) printDec(v / 10);
  putc(<u8>(0x30 + <u32>(v % 10)));
}

// What follows, until called again with false, is a domain's console text:
// it stays out of the hypervisor's own ring.
export function logDomainText(on: bool): void { domainText = on; }

// Reads the ring: copies up to `len` bytes starting at absolute position
// `from` (clamped to what the ring still holds) to `dst`; returns the count.
export function logRead(from: u64, dst: usize, len: u32): u32 {
  return ringRead(ring, RING_SIZE, ringHead, from, dst, len);
}

// The same from the ring of the hypervisor's own lines.
export function logReadOwn(from: u64, dst: usize, len: u32): u32 {
  return ringRead(own, RING_SIZE, ownHead, from, dst, len);
}

export function logHead(): u64 {
  return ringHead;
}

// `on`: the log goes to the serial port again from what is written next.
// Off: the position from which it has not reached it (it waits until the
// UART's last byte is on the wire first, as whoever takes COM1 resets it).
export function logToSerial(on: bool): u64 {
  if (on && !toSerial) {
    sent = ringHead;
    crSent = false;
  }
  if (!on && toSerial) serialDrain();
  toSerial = on;
  dueAgain();
  return sent;
}

export function logOnSerial(): bool {
  return toSerial;
}

// Has a line ended since logTakeNewLines (while the log was not on serial)?
@inline export function logHasNewLines(): bool {
  return newLines;
}

// Did a line end since the last call (while the log was not on serial)?
export function logTakeNewLines(): bool {
  const r = newLines;
  newLines = false;
  dueAgain();
  return r;
}

// Sends every byte not yet sent and waits until the last is on the wire
// (before a power-off: emulators drop what is still in the FIFO).
export function logFlush(): void {
  if (!toSerial) return;
  sendAll();
  serialDrain();
}

function sendAll(): void {
  while (sent != ringHead) sendSome(true);
}

// A hypervisor bug: say what and where on the serial port, then stop.
export function panic(message: string): void {
  logToSerial(true);
  domainText = false;
  print("\nhv: PANIC: ");
  println(message);
  logFlush();
  halt_forever();
  unreachable();
}

// AssemblyScript's abort (failed assertion, out-of-bounds access, out of
// memory), bound with `--use abort=src/log/log/abort`.
export function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  logToSerial(true);
  print("\nhv: PANIC: ");
  print(message !== null ? message : "abort");
  print(" at ");
  print(file !== null ? file : "?");
  putc(0x3a);
  printDec(line);
  putc(0x3a);
  printDec(column);
  putc(0x0a);
  logFlush();
  halt_forever();
  unreachable();
}
