// The exit fuzzer (tests/guests/exit_fuzzer.asm) from Domain 0's shell in
// Bochs, beside a canary neighbour, and the checks after: shared by
// fuzz.test.ts (100,000 steps in `make test`) and bench/fuzz-soak.ts
// (`make soak`, 1,000,000).
//
// The canary is tests/guests/memory_integrity.asm, whose every pass prints
// a sum that depends only on the pass number and its memory: each sum it
// prints must be the one a model of its memory computes for that pass, so
// a byte the fuzzing changed in it shows. Domain 0 must still answer.
import { bootShell, listed, run, until, freeKiB } from "./dom0-console";

export interface FuzzFigures {
  seed: number;
  steps: number;
  /** Wall seconds from the fuzzer's first line to its RESULT line. */
  seconds: number;
  /** The fuzzer's VM exits (`info`), all reasons. */
  exits: number;
  summary: string;
  result: string;
  /** The canary's last pass seen before the fuzzer started, and after it stopped. */
  canaryBefore: number;
  canaryPasses: number;
  canaryChecked: number;
  /** dmesg lines about the fuzzer (its unknown MSRs are logged once each, the first 32). */
  dmesgLines: number;
  dmesgFuzz: string;
  dom0Answers: string;
}

// memory_integrity's BASE, fill pattern, pass sum and scribbles (default
// scribble=37, fill=1), over [BASE, top).
export function integrityModel(top: number): () => number {
  const BASE = 0x200000, SCRIBBLES = 37;
  const words = (top - BASE) / 4, pages = (top - BASE) >>> 12;
  const mem = new Uint32Array(words);
  for (let i = 0; i < words; i++) mem[i] = Math.imul(BASE + 4 * i, 0x9e3779b1) >>> 0;
  let pass = 0;
  return () => {
    pass++;
    let sum = 0;
    for (let i = 0; i < words; i++) sum = (((sum << 5) | (sum >>> 27)) + mem[i]) >>> 0;
    for (let k = 0; k < SCRIBBLES; k++) {
      const page = ((Math.imul(pass, 97) + k * 131) >>> 0) % pages;
      mem[page * 1024 + (k & 1023)] = (Math.imul(k, 0x01010101) ^ pass) >>> 0;
    }
    return sum;
  };
}

const CANARY_MEM_MIB = 4;
// Live lines ("[canary] integrity ...", after a prompt Domain 0 redrew) and
// its ring's ("integrity ...").
const INTEGRITY_RE = /integrity (\d+) ([0-9a-f]{8})\b/g;
const exitsOf = (info: string) => Number(/VM exits +(\d+)/.exec(info)?.[1] ?? NaN);

// Checks every canary sum seen (live lines and its ring) against the model;
// the passes checked and the last pass.
function checkCanary(lines: Map<number, number>): { checked: number; last: number } {
  const passes = [...lines.keys()].sort((a, b) => a - b);
  const next = integrityModel(CANARY_MEM_MIB << 20);
  let at = 0;
  for (const p of passes) {
    let sum = 0;
    while (at < p) { sum = next(); at++; }
    if (sum !== lines.get(p)) throw new Error(`canary pass ${p}: sum ${lines.get(p)!.toString(16)}, its memory model says ${sum.toString(16)}`);
  }
  return { checked: passes.length, last: passes.at(-1) ?? 0 };
}

function collect(into: Map<number, number>, text: string, re: RegExp) {
  for (const m of text.matchAll(re)) into.set(Number(m[1]), parseInt(m[2], 16));
}

export async function fuzzRun(o: { seed: number; count: number; resultMs: number; title: string }): Promise<FuzzFigures> {
  const { e, done } = await bootShell(o.title, ["exit_fuzzer", "memory_integrity"], 2);
  try {
    const freeBefore = freeKiB(await run(e, "mem"));
    expect(await run(e, `create memory_integrity.elf name=canary memory=${CANARY_MEM_MIB}`), /created domain \d+ \(canary\)/);
    await until(e, 0, /\[canary\] integrity 2 /, 120_000, "the canary's second pass");
    const from = e.output().length;
    const canaryBefore = Math.max(...[...e.output().matchAll(INTEGRITY_RE)].map((m) => Number(m[1])));
    // rights=host: HC_LOG_READ, HC_HOST_INFO and HC_CPU_INFO take its pointers.
    expect(await run(e, `create exit_fuzzer.elf name=fuzz memory=4 rights=host cmdline="seed=${o.seed} count=${o.count}"`),
      /created domain \d+ \(fuzz\)/);
    const first = await until(e, from, /\[fuzz\] exit_fuzzer: seed=(\d+) count=(\d+)/, 120_000, "the fuzzer's first line");
    const t0 = Date.now();
    const result = await until(e, from, /\[fuzz\] RESULT exit_fuzzer (PASS|FAIL[^\r\n]*)/, o.resultMs, "the fuzzer's RESULT");
    const seconds = (Date.now() - t0) / 1000;
    const out = e.output().slice(from);
    const summary = [/\[fuzz\] (exit_fuzzer: \d+ steps: [^\r\n]*)/, /\[fuzz\] exit_fuzzer: (hypercalls [^\r\n]*)/]
      .map((re) => re.exec(out)?.[1] ?? "").join("; ");
    const stop = await until(e, from, /hv: domain \d+ \(fuzz\) stopped: ([^\r\n]*)/, 60_000, "the fuzzer's stop");
    if (stop[1] !== "exit code 0") throw new Error(`the fuzzer stopped: ${stop[1]}`);

    // Domain 0 answers; the canary runs on, its sums right; the fuzzer's exits.
    const list = await run(e, "list");
    const info = await run(e, "info fuzz");
    const canaryInfo = await run(e, "info canary");
    const sums = new Map<number, number>();
    collect(sums, e.output(), INTEGRITY_RE);
    collect(sums, await run(e, "log canary"), INTEGRITY_RE);
    const canary = checkCanary(sums);
    const state = listed(list).find((r) => r[1] === "canary")?.[2];
    if (state !== "runnable") throw new Error(`the canary is ${state ?? "gone"} after the fuzzing:\n${list}`);
    expect(await run(e, "destroy canary"), /destroyed/);
    const freeAfter = freeKiB(await run(e, "mem"));
    if (freeAfter !== freeBefore) throw new Error(`free memory ${freeBefore} KiB before, ${freeAfter} KiB after both domains are gone`);
    const dmesg = await run(e, "dmesg");
    if (/hv: (PANIC|EXCEPTION)|VM entry failed/.test(dmesg)) throw new Error(`dmesg:\n${dmesg.slice(-3000)}`);
    const fuzzLines = dmesg.split("\n").filter((l) => l.includes("(fuzz)"));
    const dmesgLines = fuzzLines.length;
    return {
      seed: Number(first[1]), steps: Number(first[2]), seconds, exits: exitsOf(info), summary, result: result[1],
      canaryBefore, canaryPasses: canary.last, canaryChecked: canary.checked, dmesgLines, dmesgFuzz: fuzzLines.join("\n"), dom0Answers: `${list.trim()}\n${canaryInfo.split("\n")[0]}`,
    };
  } finally {
    await done();
  }
}

function expect(answer: string, re: RegExp) {
  if (!re.test(answer)) throw new Error(`expected ${re} in:\n${answer}`);
}
