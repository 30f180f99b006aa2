// The credit scheduler in Bochs on one CPU (tests/integration/sched-lib.ts;
// on 2 and 4 CPUs: sched-2cpus.test.ts, sched-4cpus.test.ts).
import { beforeAll, describe, expect, test } from "vitest";
import { buildGuests, BUILD_MS, boot, counts, percent, WINDOW, TEST_MS } from "./sched-lib";

beforeAll(buildGuests, BUILD_MS);

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
