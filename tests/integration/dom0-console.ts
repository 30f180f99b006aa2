// Reading and typing on Domain 0's serial console in an emulator: waiting
// for output, the failures that end a wait at once, and commands typed at a
// shell prompt (Domain 0's, or a guest's through `console`). Shared by the
// shell, heap, Linux and state-tree tests, which it also boots (bootShell).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";

export const FAIL = /hv: PANIC|hv: EXCEPTION|hv: halted|dom0: PANIC|dom0: EXCEPTION|wasm trap/;

export const CMD_MS = 2 * 60_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Waits until `re` matches the output after `from`; the match's end.
export async function until(e: Emulator, from: number, re: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = e.output().slice(from);
    const m = re.exec(s);
    if (m) return m;
    const f = FAIL.exec(s);
    if (f) throw new Error(`${what}: ${f[0]} in the output:\n${s.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`${what}: no ${re} within ${ms} ms; output since:\n${s.slice(-3000)}`);
    await sleep(100);
  }
}

const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Types `text` (no Enter): printable runs in chunks of 4, each after the
// previous one's echo, so no receive FIFO on the way overruns; a control
// byte or an escape sequence alone, then a pause (its echo is not the bytes
// typed).
export async function type(e: Emulator, text: string): Promise<void> {
  for (const token of text.match(/\x1b\[[0-9;]*[@-~]|[\x00-\x1f\x7f]|[ -~]+/g) ?? []) {
    if (!/^[ -~]+$/.test(token)) {
      e.write(token);
      await sleep(1000);
      continue;
    }
    for (let i = 0; i < token.length; i += 4) {
      const chunk = token.slice(i, i + 4);
      const mark = e.output().length;
      e.write(chunk);
      await until(e, mark, new RegExp(quote(chunk)), CMD_MS, `echo of "${chunk}"`);
    }
  }
}

// The prompt with an empty line: a command is done (a prompt redrawn with
// the line being typed has text after it, and a line editor may follow it
// with an escape sequence).
export const idlePrompt = (prompt: string) => new RegExp(`(?:^|\\n)${quote(prompt)}(?=\\x1b|$)`);
export const IDLE_PROMPT = idlePrompt("dom0# ");

// Runs `cmd` at `prompt` and returns its answer (log lines printed after it
// included): the lines between the command line (its last drawing: log
// lines may have redrawn it) and the next empty prompt, escape sequences
// removed.
export async function run(e: Emulator, cmd: string, ms = CMD_MS, prompt = "dom0# "): Promise<string> {
  await type(e, cmd);
  const mark = e.output().length;
  e.write("\r");
  const m = await until(e, mark, idlePrompt(prompt), ms, `the prompt after "${cmd}"`);
  const out = e.output();
  const idle = mark + m.index + m[0].indexOf(prompt);
  const line = out.lastIndexOf(prompt, idle - 1);
  return out.slice(out.indexOf("\n", line) + 1, idle).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

// The domain list as `[id, name, state]`.
export function listed(answer: string): string[][] {
  return [...answer.matchAll(/^ +(\d+) {2}(\S+) +\d+ +\d+ {2}(\w+)/gm)].map((m) => [m[1], m[2], m[3]]);
}
// `mem`'s free memory: as text ("477.5 MiB") and in KiB.
export const freeText = (memAnswer: string) => /free ([\d.]+ [MK]iB) \(/.exec(memAnswer)?.[1] ?? "?";
export const freeKiB = (memAnswer: string) => Number(/free [\d.]+ [MK]iB \((\d+) KiB\)/.exec(memAnswer)?.[1] ?? NaN);

// Reads `log <dom>` every 2 s until `ok` says yes; that log.
export async function waitForLog(e: Emulator, what: string, dom: string, ok: (log: string) => boolean, ms = 180_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const log = await run(e, `log ${dom}`);
    if (ok(log)) return log;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; log:\n${log.slice(-2000)}`);
    await sleep(2000);
  }
}

// Domain 0's command line, as qemu/grub.cfg has it: both IDE channels'
// ports for the image store's disk.
export const DOM0_LINE = "domain name=dom0 mem=16M control=1 ioports=0x1f0-0x1f7,0x3f6,0x170-0x177,0x376";

// Domain 0's shell booted in Bochs on `cpus` CPUs, the guests `elves`
// (build/guests/<name>.elf, built first) left to it as boot modules, and
// `disk` as its store disk; at its first prompt. `done` stops Bochs and
// removes the ISO.
export async function bootShell(title: string, elves: string[], cpus: number, disk?: string): Promise<{ e: Emulator; done: () => Promise<void> }> {
  const r = spawnSync("make", ["-s", "build/dom0.elf", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make failed:\n${r.stdout}\n${r.stderr}`);
  const iso = makeIso({
    title,
    modules: [
      { path: path.join(ROOT, "build", "dom0.elf"), cmdline: DOM0_LINE },
      ...elves.map((n) => ({ path: path.join(ROOT, "build", "guests", `${n}.elf`), cmdline: `/boot/guests/${n}.elf` })),
    ],
  });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus, disk });
    await e.waitFor(/dom0: shell ready after \d+ TSC ticks/, 4 * 60_000);
    await until(e, 0, IDLE_PROMPT, 60_000, "the first prompt");
  } catch (err) {
    await e?.kill();
    iso.cleanup();
    throw err;
  }
  const booted = e;
  return { e: booted, done: async () => { await booted.kill(); iso.cleanup(); } };
}
