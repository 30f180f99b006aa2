// Memory that comes back, on the real boot path (Bochs, 2 CPUs): through
// Domain 0's shell, 200 domains created and destroyed, then a guest trying
// 100,000 unknown MSRs, leave the hypervisor's heap and the host's free
// memory where they were (`mem`). The first cycles fill the records of
// stopped domains the hypervisor keeps (16: `list -a`, `log`, `info`).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";
import { FAIL, until } from "./dom0-console";

const GUESTS = path.join(ROOT, "build", "guests");
const STOPPED_KEEP = 16;
const WARMUP = STOPPED_KEEP + 4;
const CYCLES = 200;
let dir = "";

beforeAll(() => {
  const r = spawnSync("make", ["-s", "build/dom0.elf", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make build/dom0.elf guests failed:\n${r.stdout}\n${r.stderr}`);
  dir = mkdtempSync(path.join(tmpdir(), "hv-heap-"));
  writeFileSync(path.join(dir, "c.cfg"), 'name = "c"\nmemory = 2\nkernel = "halt_forever.elf"\n');
  writeFileSync(path.join(dir, "f.cfg"), 'name = "flood"\nmemory = 2\nkernel = "msr_flood_is_counted.elf"\n');
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));


// A short command (it fits the UART's 16-byte FIFO: typed at once) and its
// answer, up to the next empty prompt.
async function run(e: Emulator, cmd: string): Promise<string> {
  expect(cmd.length).toBeLessThan(16);
  const mark = e.output().length;
  e.write(cmd + "\r");
  const m = await until(e, mark, /\ndom0# (?=\x1b|$)/, 120_000, `the prompt after "${cmd}"`);
  return e.output().slice(mark, mark + m.index);
}

// `mem`: the host's free memory and the hypervisor heap's three figures (KiB).
function memFigures(answer: string) {
  const free = /free [\d.]+ [MK]iB \((\d+) KiB\)/.exec(answer);
  const heap = /hypervisor heap (\d+) KiB in use \(domain state (\d+) KiB\), (\d+) KiB free/.exec(answer);
  if (!free || !heap) throw new Error(`mem: no figures in\n${answer}`);
  return { hostFree: Number(free[1]), heapUsed: Number(heap[1]), domainState: Number(heap[2]), heapFree: Number(heap[3]) };
}

test("200 domains created and destroyed, and a guest trying 100,000 unknown MSRs, leave the heap and free memory unchanged", async () => {
  const iso = makeIso({
    title: "tshv-heap",
    modules: [
      { path: path.join(ROOT, "build", "dom0.elf"), cmdline: "domain name=dom0 mem=16M control=1" },
      { path: path.join(GUESTS, "halt_forever.elf"), cmdline: "/boot/guests/halt_forever.elf" },
      { path: path.join(GUESTS, "msr_flood_is_counted.elf"), cmdline: "/boot/guests/msr_flood_is_counted.elf" },
      { path: path.join(dir, "c.cfg"), cmdline: "/boot/c.cfg" },
      { path: path.join(dir, "f.cfg"), cmdline: "/boot/f.cfg" },
    ],
  });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 2 });
    await e.waitFor(/dom0: shell ready after \d+ TSC ticks/, 4 * 60_000);
    await until(e, 0, /dom0# /, 60_000, "the first prompt");
    const cycle = async () => {
      expect(await run(e!, "create c.cfg")).toMatch(/created domain \d+ \(c\)/);
      expect(await run(e!, "destroy c")).not.toMatch(/destroy:/);
    };
    for (let i = 0; i < WARMUP; i++) await cycle();
    const before = memFigures(await run(e, "mem"));
    const t0 = Date.now();
    for (let i = 0; i < CYCLES; i++) await cycle();
    const after = memFigures(await run(e, "mem"));
    console.log(`bochs: ${CYCLES} create/destroy cycles in ${((Date.now() - t0) / 1000).toFixed(1)} s; mem before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    expect(after).toEqual(before);

    // A guest probing 100,000 MSRs: #GP each, 32 logged, the heap as it was.
    const mark = e.output().length;
    expect(await run(e, "create f.cfg")).toMatch(/created domain \d+ \(flood\)/);
    await until(e, mark, /\[flood\] RESULT msr_flood_is_counted PASS/, 10 * 60_000, "the MSR flood's result");
    await until(e, mark, /hv: domain \d+ \(flood\) stopped: exit code 0/, 60_000, "the flood's stop");
    const logged = e.output().slice(mark).match(/\(flood\): (?:rd|wr)msr of unknown MSR/g) ?? [];
    expect(logged.length).toBe(32);
    // One more stopped record now: the oldest kept one was reaped for it.
    expect(memFigures(await run(e, "mem"))).toEqual(before);
  } finally {
    await e?.kill();
  }
}, 30 * 60_000);
