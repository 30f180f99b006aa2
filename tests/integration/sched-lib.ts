// What the scheduler suites share (sched.test.ts on one CPU, sched-smp.ts
// on 2 and 4, `cpu: count=N`): CPU-bound domains (tests/guests/cpu_share.asm,
// on all of their vCPUs with vcpus=N) count loop iterations over the same
// window of TSC ticks; the counts are their CPU shares. The TSC counts
// emulated instructions there, so these figures repeat from run to run.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";

const GUEST_DIR = path.join(ROOT, "build", "guests");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started|RESULT \S+ FAIL/;
// Millions of guest TSC ticks: start once every domain runs, then 200 slices.
const BEGIN = 20;
export const END = 420;
export const WINDOW = `begin=${BEGIN} end=${END}`;
export const TEST_MS = 8 * 60_000;
const WAIT_MS = 6 * 60_000;

// Builds the guests (each suite's beforeAll, with BUILD_MS).
export function buildGuests(): void {
  const r = spawnSync("make", ["-s", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
}
export const BUILD_MS = 180_000;

export interface Module { name: string; file?: string; opts: string }

// Boots the modules on `cpus` CPUs, waits for the RESULT line of each of
// `waitFor` (default: every cpu_share one), returns the serial output.
export async function boot(cpus: number, modules: Module[], waitFor?: string[]): Promise<string> {
  const iso = makeIso({
    modules: modules.map((m) => ({
      path: path.join(GUEST_DIR, m.file ?? "cpu_share.elf"), cmdline: `domain name=${m.name} mem=2M ${m.opts}`,
    })),
  });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL_ON, cpus });
    for (const name of waitFor ?? modules.filter((m) => !m.file).map((m) => m.name)) {
      await e.waitFor(new RegExp(`\\[${name}\\] RESULT \\S+ PASS\\n`), WAIT_MS, { fromStart: true });
    }
    // A domain's stop report ("ran on CPUs") follows its RESULT line.
    await new Promise((r) => setTimeout(r, 1000));
    return e.output();
  } finally {
    await e?.kill();
    iso.cleanup();
  }
}

export function counts(out: string): Record<string, number> {
  const c: Record<string, number> = {};
  for (const m of out.matchAll(/\[(\S+)\] cpu_share: SHARE (\d+) start/g)) c[m[1]] = Number(m[2]);
  return c;
}

export function percent(c: Record<string, number>, names: string[]): Record<string, number> {
  const total = names.reduce((a, n) => a + c[n], 0);
  return Object.fromEntries(names.map((n) => [n, (100 * c[n]) / total]));
}

// The CPUs each vCPU of `domain` ran on, from its stop report.
export function ranOn(out: string, domain: string): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const r of out.matchAll(new RegExp(`hv: domain \\d+ \\(${domain}\\) vCPU (\\d+) ran on CPUs ([\\d,]+)\\n`, "g"))) {
    m.set(Number(r[1]), r[2].split(",").map(Number));
  }
  return m;
}
