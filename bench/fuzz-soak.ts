// The exit fuzzer's soak: tests/integration/fuzz.test.ts at 1,000,000 steps
// (FUZZ_STEPS to change it), beside the same canary, with the same checks
// after; prints the seed, the steps, the wall time, the fuzzer's VM exits
// and exits per second. FUZZ_SEED replays a seed. Exit code 1 if a check
// failed.
//
//   make soak    (or: make -s build/dom0.elf guests && node_modules/.bin/tsx bench/fuzz-soak.ts)
import { fuzzRun } from "../tests/integration/fuzz-run";

const steps = Number(process.env.FUZZ_STEPS ?? 1_000_000);
const seed = Number(process.env.FUZZ_SEED ?? (Date.now() % 0xffffffff) + 1);
// 100,000 steps take about 12 s in Bochs on the 2-core machine: a generous bound.
const resultMs = Math.max(10 * 60_000, steps * 2);

console.log(`soak: exit fuzzer seed=${seed} steps=${steps} (FUZZ_SEED=${seed} replays it)`);
const t0 = Date.now();
async function main(): Promise<void> {
  const f = await fuzzRun({ seed, count: steps, resultMs, title: "tshv-soak" });
  console.log(`soak: ${f.summary}`);
  console.log(`soak: RESULT ${f.result}; seed ${f.seed}, ${f.steps} steps in ${f.seconds.toFixed(1)} s wall, ` +
    `${f.exits} VM exits, ${(f.exits / f.seconds).toFixed(0)} exits a second; canary from pass ${f.canaryBefore} to ${f.canaryPasses} ` +
    `(${f.canaryChecked} sums checked), ${f.dmesgLines} dmesg lines about the fuzzer, Domain 0 answered; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
  if (f.result !== "PASS") process.exitCode = 1;
}

main().catch((err) => {
  console.error(`soak: seed ${seed}: ${(err as Error).message}`);
  process.exit(1);
});
