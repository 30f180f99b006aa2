// The shell on the physical console: what each event means for the terminal.
//
// At the prompt (`dom0# ` and the line being edited), received bytes go to
// the line editor; a complete line runs as a command (dom0/commands.ts).
// New hypervisor log lines are printed above the prompt: the input line is
// erased (CR, ESC[K), whole log lines are printed (a partial line waits for
// its newline), and the prompt and the line are drawn again, so the shell is
// never garbled. Lines logged while a command runs follow its output.
//
// Attached to a domain's console (`console <dom>`), its new console bytes
// are printed as they arrive and typed bytes go to it (HC_CONSOLE_INPUT);
// Ctrl-] returns to the shell. Log lines are held back meanwhile and printed
// on return.
import { vmcall } from "./hw";
import { putc, puts, putsln, putBytes, putText, newline, comRead } from "./uart";
import { leKey, leReset, leEcho, leEchoLen, lePtr, leLen, leRedraw, LE_LINE, LE_CANCEL } from "./lineedit";
import { runLine } from "./commands";
import { ringRead, ringLapped, ringOldest, ringBuf, RING_CHUNK, RING_LOG } from "./rings";
import { consoleSeen, consoleDomainGone } from "./cmd-console";
import {
  sessionLiveLog, sessionSetLiveLog, sessionLogSeenUpTo, sessionTakeAttach, sessionAttachFrom,
} from "./session";
import { firstOutputPoll } from "./firstout";
import {
  HC_CONSOLE_INPUT, EVENT_SERIAL, EVENT_LOG, EVENT_CONSOLE,
} from "../src/arch/abi";
import { stringFromBytes, dec } from "../src/lib/str";

export const PROMPT = "dom0# ";
const CTRL_RBRACKET: u8 = 0x1d; // Ctrl-]: leave a domain's console

const MODE_PROMPT: i32 = 0;
const MODE_CONSOLE: i32 = 1;
let mode = MODE_PROMPT;

let logPos: u64 = 0;   // the next log byte to print

let conId: u64 = 0;    // the attached domain
let conPos: u64 = 0;   // its next console byte to print
let conPrev: u8 = 10;  // the last console byte printed (LF -> CR LF)

const INPUT_MAX: i32 = 64;
const input = memory.data(INPUT_MAX);
let inputLen: i32 = 0;

// Starts the shell; `logFrom` is HC_EVENT_SETUP's result (the log position
// to print from), negative when there are no events.
export function shellStart(logFrom: i64): void {
  sessionSetLiveLog(logFrom >= 0);
  logPos = logFrom >= 0 ? <u64>logFrom : 0;
  mode = MODE_PROMPT;
  leReset();
  logCatchUp(false);
  puts(PROMPT);
}

function sendEcho(): void {
  putBytes(leEcho(), <u32>leEchoLen());
}

function prompt(): void {
  puts(PROMPT);
  leRedraw();
  sendEcho();
}

// Prints the whole new log lines; with `erase`, above the prompt.
function logCatchUp(erase: bool): void {
  if (!sessionLiveLog()) return;
  if (sessionLogSeenUpTo() > logPos) logPos = sessionLogSeenUpTo();
  let erased = false;
  for (;;) {
    const n = ringRead(RING_LOG, logPos, ringBuf, RING_CHUNK);
    if (n <= 0) break;
    if (<u32>n == RING_CHUNK && ringLapped(RING_LOG, logPos)) {
      // Fell a whole ring behind: resume at the oldest byte still held.
      const oldest = ringOldest(RING_LOG);
      if (oldest <= <i64>logPos) break;
      logPos = <u64>oldest;
      continue;
    }
    let end = <i32>n;
    while (end > 0 && load<u8>(ringBuf + <usize>(end - 1)) != 10) end--;
    if (end == 0) {
      if (<u32>n < RING_CHUNK) break; // a partial line: wait for its newline
      end = <i32>n;                   // a line longer than the buffer
    }
    if (erase && !erased) {
      putc(13);
      puts("\u001b[K");
      erased = true;
    }
    putText(ringBuf, <u32>end, 10);
    logPos += <u64>end;
  }
  if (erased) prompt();
}

// `console <dom>`: from now on the terminal is domain `id`'s, from `from`.
function attach(id: u64, from: u64): void {
  mode = MODE_CONSOLE;
  conId = id;
  conPos = from;
  conPrev = 10;
  inputLen = 0;
  consoleOutput();
}

function detach(note: string): void {
  sendInput();
  consoleSeen(conId, conPos);
  mode = MODE_PROMPT;
  if (conPrev != 10) newline();
  if (note.length != 0) putsln(note);
  leReset();
  logCatchUp(false);
  prompt();
}

function consoleOutput(): void {
  for (;;) {
    const n = ringRead(<i64>conId, conPos, ringBuf, RING_CHUNK);
    if (n <= 0) return;
    conPrev = putText(ringBuf, <u32>n, conPrev);
    conPos += <u64>n;
  }
}

// Queues the typed bytes to the domain's UART. What its input ring has no
// room for stays here and goes with the next event; a guest that never reads
// loses what is typed beyond INPUT_MAX more bytes, as a full UART would.
function sendInput(): void {
  if (inputLen == 0) return;
  const rc = vmcall(HC_CONSOLE_INPUT, conId, input, <u64>inputLen, 0);
  if (rc > 0 && rc < <i64>inputLen) {
    memory.copy(input, input + <usize>rc, <usize>(inputLen - <i32>rc));
    inputLen -= <i32>rc;
  } else if (rc != 0) {
    inputLen = 0; // all sent, or refused (the domain is gone)
  }
}

function consoleKey(c: u8): void {
  if (c == CTRL_RBRACKET) {
    detach("");
    return;
  }
  if (inputLen == INPUT_MAX) sendInput();
  if (inputLen == INPUT_MAX) return; // its ring and ours are full
  store<u8>(input + <usize>inputLen, c);
  inputLen++;
}

// One received byte at the prompt.
function promptKey(c: u8): void {
  const r = leKey(c);
  sendEcho();
  if (r == LE_LINE) {
    const line = stringFromBytes(lePtr(), <u32>leLen());
    leReset();
    runLine(line);
    const id = sessionTakeAttach();
    if (id != 0) attach(id, sessionAttachFrom());
    if (mode == MODE_PROMPT) {
      logCatchUp(false);
      prompt();
    }
  } else if (r == LE_CANCEL) {
    leReset();
    logCatchUp(false);
    prompt();
  }
}

// One received byte, for the prompt or the attached console.
export function shellInput(c: u8): void {
  if (mode == MODE_CONSOLE) consoleKey(c);
  else promptKey(c);
}

// Handles the pending event bits (dom0/events.ts).
export function shellEvents(bits: u64): void {
  if ((bits & (1 << EVENT_SERIAL)) != 0) {
    for (let c = comRead(); c >= 0; c = comRead()) shellInput(<u8>c);
  }
  if (mode == MODE_CONSOLE) sendInput();
  if ((bits & (1 << EVENT_CONSOLE)) != 0) {
    firstOutputPoll();
    if (mode == MODE_CONSOLE) consoleOutput();
  }
  if ((bits & (1 << EVENT_LOG)) != 0) {
    // A stopped domain is logged: leave its console.
    if (mode == MODE_CONSOLE && consoleDomainGone(conId)) {
      consoleOutput();
      detach("domain " + dec(conId) + " stopped; back to the shell");
    }
    if (mode == MODE_PROMPT) logCatchUp(true);
  }
}
