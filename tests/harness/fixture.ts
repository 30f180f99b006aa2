// Builds tests/harness/fixture.asm, a tiny multiboot1+2 kernel that prints its
// command line, echoes COM1 input and powers off on 'q', into a temp dir.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new Error(`fixture: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`fixture: ${cmd} ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
}

export function buildFixture(): { elf: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hv-fixture-"));
  const obj = path.join(dir, "fixture.o");
  const elf = path.join(dir, "fixture.elf");
  run("nasm", ["-f", "elf32", path.join(here, "fixture.asm"), "-o", obj]);
  run("ld.lld", ["-m", "elf_i386", "-nostdlib", "-static", "-T", path.join(here, "fixture.ld"), obj, "-o", elf]);
  return { elf, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
