// The credit scheduler in Bochs, on one CPU and on 2 and 4 (`cpu: count=N`):
// CPU-bound domains (tests/guests/cpu_share.asm, on all of their vCPUs with
// vcpus=N) count loop iterations over the same window of TSC ticks; the
// counts are their CPU shares. The TSC counts emulated instructions there,
// so these figures repeat from run to run.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";

const GUEST_DIR = path.join(ROOT, "build", "guests");
const GUEST = path.join(GUEST_DIR, "cpu_share.elf");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started|RESULT \S+ FAIL/;
// Millions of guest TSC ticks: start once every domain runs, then 200 slices.
const BEGIN = 20, END = 420;
const WINDOW = `begin=${BEGIN} end=${END}`;
const TEST_MS = 8 * 60_000;
const WAIT_MS = 6 * 60_000;

beforeAll(() => {
  const r = spawnSync("make", ["-s", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
}, 180_000);

interface Module { name: string; file?: string; opts: string }

// Boots the modules on `cpus` CPUs, waits for the RESULT line of each of
// `waitFor` (default: every cpu_share one), returns the serial output.
async function boot(cpus: number, modules: Module[], waitFor?: string[]): Promise<string> {
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

function counts(out: string): Record<string, number> {
  const c: Record<string, number> = {};
  for (const m of out.matchAll(/\[(\S+)\] cpu_share: SHARE (\d+) start/g)) c[m[1]] = Number(m[2]);
  return c;
}

function percent(c: Record<string, number>, names: string[]): Record<string, number> {
  const total = names.reduce((a, n) => a + c[n], 0);
  return Object.fromEntries(names.map((n) => [n, (100 * c[n]) / total]));
}

// The CPUs each vCPU of `domain` ran on, from its stop report.
function ranOn(out: string, domain: string): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const r of out.matchAll(new RegExp(`hv: domain \\d+ \\(${domain}\\) vCPU (\\d+) ran on CPUs ([\\d,]+)`, "g"))) {
    m.set(Number(r[1]), r[2].split(",").map(Number));
  }
  return m;
}

describe("credit scheduler on one CPU (Bochs)", () => {
  test("weights 1:2:4 give CPU shares within 5 points of 1/7, 2/7, 4/7", async () => {
    const out = await boot(1, [{ name: "w1", opts: `weight=1 ${WINDOW}` }, { name: "w2", opts: `weight=2 ${WINDOW}` },
      { name: "w4", opts: `weight=4 ${WINDOW}` }]);
    const p = percent(counts(out), ["w1", "w2", "w4"]);
    console.log("shares (%):", p);
    expect(Math.abs(p.w1 - 100 / 7)).toBeLessThan(5);
    expect(Math.abs(p.w2 - 200 / 7)).toBeLessThan(5);
    expect(Math.abs(p.w4 - 400 / 7)).toBeLessThan(5);
  }, TEST_MS);

  test("a domain capped at 25% stays at or under it; the other takes the rest", async () => {
    // An alone domain's count is 100% of the window: the yardstick.
    const alone = counts(await boot(1, [{ name: "alone", opts: WINDOW }])).alone;
    const c = counts(await boot(1, [{ name: "capped", opts: `cap=25 ${WINDOW}` }, { name: "free", opts: WINDOW }]));
    const capped = (100 * c.capped) / alone;
    const free = (100 * c.free) / alone;
    console.log(`capped ${capped.toFixed(2)}%, free ${free.toFixed(2)}% of one CPU`);
    expect(capped).toBeLessThanOrEqual(25.5);
    expect(capped).toBeGreaterThan(20);
    expect(free).toBeGreaterThan(70);
  }, TEST_MS);
});

describe.each([2, 4])("credit scheduler on %i CPUs (Bochs)", (cpus) => {
  test("weights 1:2:4 (a vCPU per CPU each) get 1/7, 2/7, 4/7 within 5 points; a halted domain uses almost nothing", async () => {
    // The halted domain comes first with the control right: it is Domain 0,
    // which writes to the real COM1 (one line, before the others print);
    // the reporting domain then has its own UART and the [report] prefix.
    const out = await boot(cpus, [
      { name: "idle", file: "halt_forever.elf", opts: "control=1" },
      { name: "w1", opts: `weight=1 vcpus=${cpus} ${WINDOW}` },
      { name: "w2", opts: `weight=2 vcpus=${cpus} ${WINDOW}` },
      { name: "w4", opts: `weight=4 vcpus=${cpus} ${WINDOW}` },
      { name: "report", file: "run_ticks_report.elf", opts: `control=1 weight=1 end=${END} domains=5` },
    ], ["w1", "w2", "w4", "report"]);
    const p = percent(counts(out), ["w1", "w2", "w4"]);
    const rel = { w1: p.w1 / (100 / 7) - 1, w2: p.w2 / (200 / 7) - 1, w4: p.w4 / (400 / 7) - 1 };
    console.log(`${cpus} CPUs: shares (%)`, p, "relative error", rel);
    // As on one CPU: within 5 percentage points (the relative error, printed,
    // is a few % for the weight-1 domain: its share is close to one slice per
    // accounting period, and a vCPU that starts counting late counts less).
    expect(Math.abs(p.w1 - 100 / 7)).toBeLessThan(5);
    expect(Math.abs(p.w2 - 200 / 7)).toBeLessThan(5);
    expect(Math.abs(p.w4 - 400 / 7)).toBeLessThan(5);
    for (const e of Object.values(rel)) expect(Math.abs(e)).toBeLessThan(0.1);
    // Domain 1 halted at once: its run time, against all CPUs' whole run so far.
    const run = new Map([...out.matchAll(/run_ticks_report: RUN (\d+) ([0-9a-f]{16})/g)].map((m) => [Number(m[1]), BigInt(`0x${m[2]}`)]));
    expect(out).toMatch(/halt_forever: halting with interrupts off/);
    const idleShare = Number(run.get(1)!) / (cpus * END * 1e6);
    console.log(`${cpus} CPUs: halted domain ran ${run.get(1)} ticks, ${(100 * idleShare).toFixed(4)}% of the CPUs`);
    expect(idleShare).toBeLessThan(0.001);
  }, TEST_MS);

  test("a capped domain stays at its cap; pinned vCPUs never leave their CPUs", async () => {
    // CPU 0: the capped domain and a competitor; the last CPU: a reference
    // domain alone, whose count is 100% of one CPU; CPUs between: more load.
    const last = cpus - 1;
    const mods: Module[] = [
      { name: "capped", opts: `cap=25 cpus=0 ${WINDOW}` },
      { name: "hog", opts: `cpus=0 ${WINDOW}` },
      { name: "ref", opts: `cpus=${last} ${WINDOW}` },
    ];
    if (cpus > 2) mods.push({ name: "mid", opts: `vcpus=${cpus - 2} cpus=1-${last - 1} ${WINDOW}` });
    const out = await boot(cpus, mods);
    const c = counts(out);
    const capped = (100 * c.capped) / c.ref;
    const hog = (100 * c.hog) / c.ref;
    console.log(`${cpus} CPUs: capped ${capped.toFixed(2)}%, its competitor ${hog.toFixed(2)}% of one CPU`);
    expect(capped).toBeLessThanOrEqual(25.5);
    expect(capped).toBeGreaterThan(20);
    expect(hog).toBeGreaterThan(70);
    expect(ranOn(out, "capped")).toEqual(new Map([[0, [0]]]));
    expect(ranOn(out, "hog")).toEqual(new Map([[0, [0]]]));
    expect(ranOn(out, "ref")).toEqual(new Map([[0, [last]]]));
    if (cpus > 2) {
      for (const on of ranOn(out, "mid").values()) for (const cpu of on) expect(cpu >= 1 && cpu < last).toBe(true);
    }
  }, TEST_MS);

  test("16 domains share the CPUs for a long window; none starves", async () => {
    const names = Array.from({ length: 16 }, (_, i) => `d${i + 1}`);
    const c = counts(await boot(cpus, names.map((name) => ({ name, opts: WINDOW }))));
    const p = percent(c, names);
    const worst = Math.max(...names.map((n) => Math.abs(p[n] / (100 / 16) - 1)));
    console.log(`${cpus} CPUs, 16 domains: shares ${names.map((n) => p[n].toFixed(2)).join(" ")} (%), worst relative error ${(100 * worst).toFixed(2)}%`);
    for (const n of names) expect(c[n], n).toBeGreaterThan(0);
    expect(worst).toBeLessThan(0.1);
  }, TEST_MS);

  test("a two-vCPU guest runs on two CPUs at once", async () => {
    const out = await boot(cpus, [{ name: "pair", file: "two_vcpus_run_at_once.elf", opts: "vcpus=2" }], ["pair"]);
    expect(out).toMatch(/\[pair\] two_vcpus_run_at_once: vCPU 1 ran during \d+ of vCPU 0's \d+ short spins/);
  }, TEST_MS);
});
