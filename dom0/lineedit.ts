// The shell's line editor: a state machine fed one received byte at a time.
// It edits a fixed buffer and says what to echo (bytes for an ANSI terminal:
// BS moves left, ESC[K clears to the end of the line); it does no I/O and
// allocates nothing, so it runs the same in the unit tests.
//
//   printable     insert at the cursor      BS, DEL (0x08, 0x7f)  delete left
//   Enter         CR, LF or CR LF (once)    Ctrl-C  abandon the line
//   Ctrl-U        delete to the line start  Ctrl-K  delete to the line end
//   Ctrl-A, Home  cursor to the start       Ctrl-E, End  cursor to the end
//   ESC[A ESC[B   history up / down         ESC[C ESC[D  cursor right / left
//   ESC[3~        delete at the cursor      (ESC O x: the same as ESC [ x)
//
// History: the last HISTORY_MAX non-empty lines (a line equal to the newest
// is not stored twice). Walking up saves the line being typed; walking back
// down past the newest restores it.

export const LINE_MAX: i32 = 1024;       // characters in a line (a create with a long cmdline)
export const HISTORY_MAX: i32 = 16;

export const LE_NONE: i32 = 0;           // keep reading
export const LE_LINE: i32 = 1;           // a line is complete (lePtr/leLen)
export const LE_CANCEL: i32 = 2;         // Ctrl-C: the line is abandoned

const ESC: u8 = 0x1b;
const BS: u8 = 0x08;
const ECHO_MAX: i32 = 3 * LINE_MAX + 16; // a history recall: back, text, ESC[K

const line = memory.data(LINE_MAX);
const saved = memory.data(LINE_MAX);     // the typed line while browsing history
const history = memory.data(HISTORY_MAX * LINE_MAX);
const historyLen = memory.data(HISTORY_MAX * 4, 4);
const echo = memory.data(ECHO_MAX);

let len: i32 = 0;
let cur: i32 = 0;
let savedLen: i32 = 0;
let echoLen: i32 = 0;
let escState: i32 = 0;  // 0 none, 1 after ESC, 2 after ESC [, 3 after ESC O
let escParam: i32 = 0;
let lastCR = false;     // the byte before was CR: a following LF is the same Enter
let histCount: i32 = 0;
let histHead: i32 = 0;  // slot of the next line stored
let histPos: i32 = -1;  // -1: editing a new line; k: showing the k-th newest

// ── Echo ────────────────────────────────────────────────────────────────
function emit(c: u8): void {
  if (echoLen < ECHO_MAX) {
    store<u8>(echo + <usize>echoLen, c);
    echoLen++;
  }
}
function emitBack(n: i32): void {
  for (let i = 0; i < n; i++) emit(BS);
}
function emitTail(from: i32): void {
  for (let i = from; i < len; i++) emit(load<u8>(line + <usize>i));
}
function emitClearEol(): void {
  emit(ESC);
  emit(0x5b);
  emit(0x4b);
}

// ── Edits ───────────────────────────────────────────────────────────────
function insert(c: u8): void {
  if (len >= LINE_MAX) {
    emit(0x07); // full: ring the bell
    return;
  }
  memory.copy(line + <usize>cur + 1, line + <usize>cur, <usize>(len - cur));
  store<u8>(line + <usize>cur, c);
  len++;
  cur++;
  emit(c);
  emitTail(cur);
  emitBack(len - cur);
}

// Removes [from, from + n) and redraws from `from` (the cursor is there).
function remove(from: i32, n: i32): void {
  memory.copy(line + <usize>from, line + <usize>(from + n), <usize>(len - from - n));
  len -= n;
  emitTail(from);
  emitClearEol();
  emitBack(len - from);
}

function backspace(): void {
  if (cur == 0) return;
  cur--;
  emitBack(1);
  remove(cur, 1);
}

function deleteAtCursor(): void {
  if (cur < len) remove(cur, 1);
}

function killToStart(): void {
  if (cur == 0) return;
  const n = cur;
  emitBack(cur);
  cur = 0;
  remove(0, n);
}

function killToEnd(): void {
  if (cur == len) return;
  len = cur;
  emitClearEol();
}

function home(): void {
  emitBack(cur);
  cur = 0;
}

function end(): void {
  emitTail(cur);
  cur = len;
}

function left(): void {
  if (cur == 0) return;
  cur--;
  emitBack(1);
}

function right(): void {
  if (cur == len) return;
  emit(load<u8>(line + <usize>cur));
  cur++;
}

// Shows `n` bytes from `src` as the line, cursor at its end.
function replaceLine(src: usize, n: i32): void {
  emitBack(cur);
  memory.copy(line, src, <usize>n);
  len = n;
  cur = n;
  emitTail(0);
  emitClearEol();
}

// ── History ─────────────────────────────────────────────────────────────
function slot(k: i32): i32 { // k-th newest
  return (histHead - 1 - k + 2 * HISTORY_MAX) % HISTORY_MAX;
}
function entry(k: i32): usize {
  return history + <usize>(slot(k) * LINE_MAX);
}
function entryLen(k: i32): i32 {
  return load<i32>(historyLen + <usize>(slot(k) * 4));
}

function historyUp(): void {
  if (histPos + 1 >= histCount) return;
  if (histPos < 0) {
    memory.copy(saved, line, <usize>len);
    savedLen = len;
  }
  histPos++;
  replaceLine(entry(histPos), entryLen(histPos));
}

function historyDown(): void {
  if (histPos < 0) return;
  histPos--;
  if (histPos < 0) replaceLine(saved, savedLen);
  else replaceLine(entry(histPos), entryLen(histPos));
}

function sameAsNewest(): bool {
  if (histCount == 0 || entryLen(0) != len) return false;
  return memory.compare(entry(0), line, <usize>len) == 0;
}

function remember(): void {
  if (len == 0 || sameAsNewest()) return;
  memory.copy(history + <usize>(histHead * LINE_MAX), line, <usize>len);
  store<i32>(historyLen + <usize>(histHead * 4), len);
  histHead = (histHead + 1) % HISTORY_MAX;
  if (histCount < HISTORY_MAX) histCount++;
}

// ── Escape sequences (ECMA-48 CSI and SS3 cursor keys) ───────────────────
function escapeFinal(c: u8): void {
  escState = 0;
  if (c == 0x41) historyUp();                                // A
  else if (c == 0x42) historyDown();                         // B
  else if (c == 0x43) right();                               // C
  else if (c == 0x44) left();                                // D
  else if (c == 0x48) home();                                // H
  else if (c == 0x46) end();                                 // F
  else if (c == 0x7e) {                                      // ESC [ n ~
    if (escParam == 1 || escParam == 7) home();
    else if (escParam == 4 || escParam == 8) end();
    else if (escParam == 3) deleteAtCursor();
  }
}

// ── The interface ───────────────────────────────────────────────────────

// Starts a new, empty line (history browsing ends).
export function leReset(): void {
  len = 0;
  cur = 0;
  histPos = -1;
  escState = 0;
}

// Forgets the history too (tests).
export function leClearHistory(): void {
  histCount = 0;
  histHead = 0;
  lastCR = false;
  leReset();
}

// Feeds one byte; LE_NONE, LE_LINE or LE_CANCEL. The bytes to echo are at
// leEcho() (leEchoLen() of them) until the next call.
export function leKey(c: u8): i32 {
  echoLen = 0;
  const afterCR = lastCR;
  lastCR = c == 13;
  if (escState == 1) {
    if (c == 0x5b) {
      escState = 2;
      escParam = 0;
    } else if (c == 0x4f) {
      escState = 3;
    } else {
      escState = 0;
    }
    return LE_NONE;
  }
  if (escState == 2) {
    if (c >= 0x30 && c <= 0x39) {
      if (escParam < 1000) escParam = escParam * 10 + (c - 0x30);
    } else if (c >= 0x40 && c <= 0x7e) {
      escapeFinal(c);
    } else if (c < 0x20 || c > 0x3f) {
      escState = 0; // not a CSI parameter byte: drop the sequence
    }
    return LE_NONE;
  }
  if (escState == 3) {
    escParam = 0;
    escapeFinal(c);
    return LE_NONE;
  }
  if (c == 13 || c == 10) {
    if (c == 10 && afterCR) return LE_NONE;
    emit(13);
    emit(10);
    remember();
    histPos = -1;
    return LE_LINE;
  }
  if (c == 3) {
    emit(0x5e);
    emit(0x43);
    emit(13);
    emit(10);
    histPos = -1;
    return LE_CANCEL;
  }
  if (c >= 0x20 && c < 0x7f) insert(c);
  else if (c == 0x7f || c == BS) backspace();
  else if (c == 0x15) killToStart();
  else if (c == 0x0b) killToEnd();
  else if (c == 0x01) home();
  else if (c == 0x05) end();
  else if (c == ESC) escState = 1;
  return LE_NONE;
}

export function leEcho(): usize { return echo; }
export function leEchoLen(): i32 { return echoLen; }
export function lePtr(): usize { return line; }
export function leLen(): i32 { return len; }
export function leCursor(): i32 { return cur; }

// Echo that redraws the line after the prompt, cursor where it was (after
// something was printed above it).
export function leRedraw(): void {
  echoLen = 0;
  emitTail(0);
  emitBack(len - cur);
}
