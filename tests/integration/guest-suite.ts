// Running guest kernels (tests/guests/) as boot-time domains in one Bochs
// boot: each prints one `RESULT <test> PASS|FAIL <reason>` line on its UART,
// which the hypervisor logs as `[<domain>] RESULT ...`; hostile guests are
// expected to be stopped instead (`hv: domain <id> (<name>) stopped: ...`).
// Shared by the guest suite (guests.test.ts) and the virtual-PC suites
// (pc-*.test.ts).
import * as path from "node:path";
import { bootBochs, makeIso, ROOT, type Emulator, type IsoModule } from "../../qemu/emulator";

export const GUEST_DIR = path.join(ROOT, "build", "guests");

export interface Guest {
  /** Domain name (the log prefix) and file name. */
  domain: string;
  file: string;
  /** Name in the RESULT line (default: the file's base name). */
  test?: string;
  mem: string;
  kind?: "flat64" | "realmode";
  args?: string;
  /** pass: RESULT PASS + exit code 0; stopped: stopped by the hv (reason), no RESULT; runs: never stops. */
  expect: "pass" | "stopped" | "runs";
  stopReason?: RegExp;
}

export interface Result {
  domain: string;
  test: string;
  verdict: "PASS" | "FAIL";
  reason: string;
  at: number;
  seconds: number;
}

// [<domain>] RESULT <test> PASS|FAIL <reason>
export const RESULT_RE = /\[([\w.-]+)\] RESULT (\S+) (PASS|FAIL)(?: ([^\n]*))?\n/;
// A module the hypervisor refuses to start fails the run at once.
export const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started/;

export const testName = (g: Guest) => g.test ?? path.basename(g.file).replace(/\.\w+$/, "");
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
export const stoppedRe = (domain: string, rest: string) =>
  new RegExp(`hv: domain (\\d+) \\(${escapeRe(domain)}\\) stopped: ${rest}`);

export function moduleCmdline(g: Guest) {
  return ["domain", `name=${g.domain}`, `mem=${g.mem}`, g.kind && `kind=${g.kind}`, g.args].filter(Boolean).join(" ");
}

export function printTable(rows: string[][]) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n"));
}

export interface SuiteOpts {
  title: string;
  cpus?: number;
  /** The hypervisor's command line. */
  cmdline?: string;
  resultsMs: number;
  /** Called with the emulator before it is killed (further checks on the live machine). */
  live?: (e: Emulator) => Promise<void>;
}

// Boots `guests` together and waits for every "pass" guest's RESULT and
// exit and every "stopped" guest's stop; prints a table of what happened.
// Returns the whole output and the RESULT lines by domain.
export async function runGuests(guests: Guest[], o: SuiteOpts): Promise<{ out: string; results: Map<string, Result> }> {
  const modules: IsoModule[] = guests.map((g) => ({ path: path.join(GUEST_DIR, g.file), cmdline: moduleCmdline(g) }));
  const iso = makeIso({ modules, title: o.title, cmdline: o.cmdline });
  let e: Emulator | undefined;
  const results = new Map<string, Result>();
  const expected = guests.filter((g) => g.expect === "pass");
  try {
    // TSHV_IPS: another Bochs rate, to shake out timing-dependent faults.
    e = await bootBochs({ iso: iso.path, failOn: FAIL_ON, memoryMb: 512, cpus: o.cpus ?? 1, ips: process.env.TSHV_IPS ? Number(process.env.TSHV_IPS) : undefined });
    const deadline = Date.now() + o.resultsMs;
    try {
      while (expected.some((g) => !results.has(g.domain))) {
        const m = await e.waitFor(RESULT_RE, Math.max(1, deadline - Date.now()));
        const [, domain, test, verdict, reason = ""] = m;
        results.set(domain, { domain, test, verdict: verdict as "PASS" | "FAIL", reason, at: m.index, seconds: e.elapsed() });
        console.log(`bochs: [${domain}] RESULT ${test} ${verdict} ${reason} after ${e.elapsed().toFixed(1)} s`);
      }
      // Exit and stop lines may follow the last RESULT by a little.
      for (const g of guests) {
        if (g.expect === "pass") await e.waitFor(stoppedRe(g.domain, "exit code 0\\b"), 60_000, { fromStart: true });
        if (g.expect === "stopped") await e.waitFor(stoppedRe(g.domain, g.stopReason!.source), 60_000, { fromStart: true });
      }
      if (o.live) await o.live(e);
    } finally {
      const out = e.output();
      const rows = [["domain", "test", "result", "s", "hypervisor"]];
      for (const g of guests) {
        const r = results.get(g.domain);
        const stop = stoppedRe(g.domain, "([^\\n]*)").exec(out);
        rows.push([
          g.domain, testName(g), r ? `${r.verdict}${r.reason ? " " + r.reason : ""}` : "-",
          r ? r.seconds.toFixed(1) : "-", stop ? `stopped: ${stop[2]}` : "running",
        ]);
      }
      printTable(rows);
    }
    return { out: e.output(), results };
  } finally {
    await e?.kill();
    iso.cleanup();
  }
}

// The checks every suite makes: no panic, no FAIL from anyone, every "pass"
// guest passed under its own test name, hostile ones stopped for their
// reason without a RESULT line, "runs" ones still running.
export function checkGuests(guests: Guest[], out: string, results: Map<string, Result>, expect: (v: unknown, msg?: string) => any) {
  expect(out).not.toMatch(/hv: PANIC|hv: EXCEPTION/);
  const fails = [...out.matchAll(new RegExp(RESULT_RE.source, "g"))].filter((m) => m[3] === "FAIL").map((m) => m[0].trim());
  expect(fails).toEqual([]);
  for (const g of guests.filter((x) => x.expect === "pass")) {
    const r = results.get(g.domain)!;
    expect(r.test, `${g.domain}: test name`).toBe(testName(g));
    expect(r.verdict, `${g.domain}: ${r.reason}`).toBe("PASS");
  }
  for (const g of guests.filter((x) => x.expect !== "pass")) {
    expect(results.has(g.domain), `${g.domain} printed a RESULT line`).toBe(false);
    if (g.expect === "stopped") expect(out).toMatch(stoppedRe(g.domain, g.stopReason!.source));
    if (g.expect === "runs") expect(out, `${g.domain} must not be stopped`).not.toMatch(stoppedRe(g.domain, ""));
  }
}
