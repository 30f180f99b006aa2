// vCPU switch benchmark: tests/guests/yield_cost.asm times HC_YIELD round
// trips in Bochs on one CPU, first alone (each yield comes straight back to
// the same vCPU: no switch) and then with a second copy on the CPU (each
// yield switches to the other, which yields back: two yields and two
// switches per round). The switch costs (pair / 2) - alone: the FPU state
// (XSAVE/XRSTOR), the SYSCALL MSRs and the VMCS (VMPTRLD). In Bochs the TSC
// counts emulated instructions, so the figures repeat exactly. It prints; it
// does not judge.
//
//   make -s build/hv.iso guests && node_modules/.bin/tsx bench/switch-cost.ts
import * as path from "node:path";
import { bootBochs, makeIso, ROOT } from "../qemu/emulator";

const GUEST = path.join(ROOT, "build", "guests", "yield_cost.elf");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted/;
const BENCH_RE = /\[([\w.-]+)\] BENCH yield (\d+) n (\d+)/g;

async function perYield(names: string[]): Promise<Map<string, number>> {
  const iso = makeIso({ modules: names.map((n) => ({ path: GUEST, cmdline: `domain name=${n} mem=2M` })) });
  const e = await bootBochs({ iso: iso.path, failOn: FAIL_ON });
  try {
    for (const n of names) await e.waitFor(`[${n}] RESULT yield_cost PASS`, 5 * 60_000, { fromStart: true });
    const got = new Map<string, number>();
    for (const m of e.output().matchAll(BENCH_RE)) got.set(m[1], Number(m[2]));
    return got;
  } finally {
    await e.kill();
    iso.cleanup();
  }
}

async function main(): Promise<number> {
  try {
    const alone = (await perYield(["alone"])).get("alone")!;
    const pair = await perYield(["ping", "pong"]);
    // The one that started second measures only rounds with both yielding
    // until the first stops: the smaller figure is the clean one.
    const round = Math.min(...pair.values());
    const switchCost = round / 2 - alone;
    console.log("HC_YIELD round trip on one CPU, guest TSC ticks (Bochs: emulated instructions)\n");
    console.log(`  alone (no switch):          ${alone}`);
    console.log(`  two guests (per round):     ${round}   (ping ${pair.get("ping")}, pong ${pair.get("pong")})`);
    console.log(`  vCPU switch: ${round} / 2 - ${alone} = ${switchCost.toFixed(0)}`);
    return 0;
  } catch (err) {
    console.error(`bench/switch-cost: run failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main();
