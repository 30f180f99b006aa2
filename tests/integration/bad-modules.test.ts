// Bad boot modules in Bochs: a truncated ELF, a corrupt one and a bad config
// are each refused with a clear line naming the problem; the good domain
// next to them runs to completion.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT } from "../../qemu/emulator";

const GOOD = path.join(ROOT, "build", "guests", "hypercall_version.elf");
let dir = "";

beforeAll(() => {
  const r = spawnSync("make", ["-s", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make guests failed:\n${r.stdout}\n${r.stderr}`);
  dir = mkdtempSync(path.join(tmpdir(), "hv-bad-"));
  const elf = readFileSync(GOOD);
  writeFileSync(path.join(dir, "truncated.elf"), elf.subarray(0, 100));
  const corrupt = Buffer.from(elf);
  corrupt.writeUInt32LE(0x7fffff00, 0x1c); // e_phoff far past the end of the file
  writeFileSync(path.join(dir, "corrupt.elf"), corrupt);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("truncated and corrupt images and a bad config are refused; the good domain runs", async () => {
  const iso = makeIso({
    modules: [
      { path: path.join(dir, "truncated.elf"), cmdline: "domain name=truncated mem=2M" },
      { path: path.join(dir, "corrupt.elf"), cmdline: "domain name=corrupt mem=2M" },
      { path: GOOD, cmdline: "domain name=badmem mem=12Q" },
      { path: GOOD, cmdline: "domain name=good mem=2M" },
    ],
  });
  const e = await bootBochs({ iso: iso.path, failOn: /hv: PANIC|hv: EXCEPTION|hv: halted/ });
  try {
    await e.waitFor(/hv: module 0 not started: truncated: .+/, 120_000);
    await e.waitFor(/hv: module 1 not started: corrupt: ELF: .*program header.*/, 60_000);
    await e.waitFor(/hv: module 2 not started: mem=12Q: bad size/, 60_000);
    await e.waitFor("[good] RESULT hypercall_version PASS", 120_000);
    await e.waitFor(/hv: domain 1 \(good\) stopped: exit code 0/, 60_000);
    const out = e.output();
    for (const line of out.split("\n").filter((l) => l.includes("not started"))) console.log(line);
    expect(out).not.toMatch(/hv: domain \d+ \((truncated|corrupt|badmem)\)/);
  } finally {
    await e.kill();
    iso.cleanup();
  }
}, 5 * 60_000);
