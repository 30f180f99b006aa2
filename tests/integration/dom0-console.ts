// Reading Domain 0's serial console in an emulator: waiting for output and
// the failures that end a wait at once. Shared by the shell and heap tests.
import type { Emulator } from "../../qemu/emulator";

export const FAIL = /hv: PANIC|hv: EXCEPTION|hv: halted|dom0: PANIC|dom0: EXCEPTION|wasm trap/;

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
