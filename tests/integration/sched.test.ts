// The credit scheduler on one CPU, in Bochs: CPU-bound domains
// (tests/guests/cpu_share.asm) count loop iterations over the same window of
// TSC ticks; the counts are their CPU shares. The TSC counts emulated
// instructions there, so these figures repeat exactly from run to run.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT } from "../../qemu/emulator";

const GUEST = path.join(ROOT, "build", "guests", "cpu_share.elf");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started|RESULT cpu_share FAIL/;
// Millions of guest TSC ticks: start once every domain runs, then 200 slices.
const WINDOW = "begin=20 end=420";
const TEST_MS = 6 * 60_000;

beforeAll(() => {
  const r = spawnSync("make", ["-s", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
}, 180_000);

// Boots one domain per [name, options] and returns each one's count.
async function shares(domains: Array<[string, string]>): Promise<Record<string, number>> {
  const iso = makeIso({
    modules: domains.map(([name, opts]) => ({ path: GUEST, cmdline: `domain name=${name} mem=2M ${opts} ${WINDOW}` })),
  });
  const e = await bootBochs({ iso: iso.path, failOn: FAIL_ON });
  try {
    const counts: Record<string, number> = {};
    for (const [name] of domains) {
      const m = await e.waitFor(new RegExp(`\\[${name}\\] cpu_share: SHARE (\\d+) start`), 4 * 60_000, { fromStart: true });
      counts[name] = Number(m[1]);
    }
    return counts;
  } finally {
    await e.kill();
    iso.cleanup();
  }
}

function percent(counts: Record<string, number>): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(counts).map(([n, c]) => [n, (100 * c) / total]));
}

describe("credit scheduler on one CPU (Bochs)", () => {
  test("weights 1:2:4 give CPU shares within 5 points of 1/7, 2/7, 4/7", async () => {
    const p = percent(await shares([["w1", "weight=1"], ["w2", "weight=2"], ["w4", "weight=4"]]));
    console.log("shares (%):", p);
    expect(Math.abs(p.w1 - 100 / 7)).toBeLessThan(5);
    expect(Math.abs(p.w2 - 200 / 7)).toBeLessThan(5);
    expect(Math.abs(p.w4 - 400 / 7)).toBeLessThan(5);
  }, TEST_MS);

  test("a domain capped at 25% stays at or under it; the other takes the rest", async () => {
    // An alone domain's count is 100% of the window: the yardstick.
    const alone = (await shares([["alone", ""]])).alone;
    const c = await shares([["capped", "cap=25"], ["free", ""]]);
    const capped = (100 * c.capped) / alone;
    const free = (100 * c.free) / alone;
    console.log(`capped ${capped.toFixed(2)}%, free ${free.toFixed(2)}% of one CPU`);
    expect(capped).toBeLessThanOrEqual(25.5);
    expect(capped).toBeGreaterThan(20);
    expect(free).toBeGreaterThan(70);
  }, TEST_MS);
});
