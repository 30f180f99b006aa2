// Shell state that commands read or request and dom0/shell.ts acts on (kept
// apart so commands need not import the shell that runs them).

let liveLog = false;   // events work: log lines reach the terminal as they come
let logSeenUpTo: u64 = 0;
let attachId: u64 = 0; // `console` asked to attach to this domain (0: no)
let attachFrom: u64 = 0;

export function sessionLiveLog(): bool { return liveLog; }
export function sessionSetLiveLog(on: bool): void { liveLog = on; }

// `dmesg` printed the log up to `pos`: the live log need not print it again.
export function sessionLogSeen(pos: u64): void { if (pos > logSeenUpTo) logSeenUpTo = pos; }
export function sessionLogSeenUpTo(): u64 { return logSeenUpTo; }

// `console <dom>`: after the command, the terminal goes to domain `id`'s
// console from position `from`.
export function sessionAttach(id: u64, from: u64): void {
  attachId = id;
  attachFrom = from;
}

// The pending attach request's domain (0: none); clears it.
export function sessionTakeAttach(): u64 {
  const id = attachId;
  attachId = 0;
  return id;
}
export function sessionAttachFrom(): u64 { return attachFrom; }
