import { test } from "vitest";
import * as path from "node:path";
import { bootBochs, makeIso, ROOT } from "../../qemu/emulator";
test("boot log", async () => {
  const cmdline = process.env.HVCMD ?? "";
  const iso = makeIso({ modules: [{ path: path.join(ROOT, "build/guests/exit_cost.elf"), cmdline: "domain name=ec mem=2M" }], title: "scratch", cmdline });
  const e = await bootBochs({ iso: iso.path, memoryMb: 256, cpus: 2 });
  try { await e.waitFor(/RESULT|stopped/, 120000); await new Promise(r => setTimeout(r, 3000)); } finally {
    console.log(e.output().split("\n").slice(0, 80).join("\n")); await e.kill(); iso.cleanup(); }
}, 200000);
