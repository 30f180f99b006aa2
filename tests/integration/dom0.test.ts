// Domain 0 under the hypervisor (Bochs): build/dom0.elf, an AssemblyScript
// kernel built through the same asc -> wasm2c -> clang pipeline, started from
// a boot module as a 64-bit domain. With `control=1` it takes the physical
// console, builds the `start=dom0` modules and reaches its shell prompt;
// without it the management calls fail with -EPERM.
//
// Domain 0 writes to the real COM1 (the hypervisor passes the ports through),
// so its lines reach the serial port as they are. Without the control right
// the kernel is an ordinary DomU: its emulated UART's lines reach the log as
// `[dom0] ...`. The shell itself is tests/integration/shell.test.ts.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";

const DOM0_ELF = path.join(ROOT, "build", "dom0.elf");
const GUEST = path.join(ROOT, "build", "guests", "hypercall_version.elf");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started|dom0: PANIC|dom0: EXCEPTION|wasm trap/;
const BOOT_MS = 4 * 60_000;
const TEST_MS = 6 * 60_000;
// A whole line of Domain 0 on the real COM1, and of the kernel as a DomU.
const line = (s: string) => new RegExp("^" + s, "m");
const domuLine = (s: string) => new RegExp("^\\[dom0\\] " + s, "m");

beforeAll(() => {
  // Normally built by `make test`; this makes the file runnable on its own.
  const r = spawnSync("make", ["-s", "build/dom0.elf", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make build/dom0.elf guests failed:\n${r.stdout}\n${r.stderr}`);
}, 180_000);

async function bootDom0(dom0Cmdline: string, run: (e: Emulator) => Promise<void>,
  guestCmdline = "domain name=hypercall_version mem=2M") {
  const iso = makeIso({
    modules: [
      { path: DOM0_ELF, cmdline: dom0Cmdline },
      { path: GUEST, cmdline: guestCmdline },
    ],
    title: "tshv-dom0",
  });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL_ON, memoryMb: 256 });
    await run(e);
  } finally {
    await e?.kill();
    iso.cleanup();
  }
}

describe("Domain 0 (Bochs)", () => {
  test("with the control right: ABI version, the shell's prompt, the time to get there", async () => {
    await bootDom0("domain name=dom0 mem=16M control=1", async (e) => {
      await e.waitFor(line("dom0: Domain 0 up, ABI 0x00010000 \\(1\\.0\\)\\n"), BOOT_MS);
      const up = e.elapsed();
      const ready = await e.waitFor(line("dom0: shell ready after (\\d+) (TSC ticks of hypervisor uptime)\\n"), 60_000);
      await e.waitFor(line("dom0# "), 60_000);
      const out = e.output();
      expect(out).not.toMatch(/no control right|no event support|\[dom0\]/);
      console.log(`bochs: dom0 up after ${up.toFixed(1)} s, prompt after ${e.elapsed().toFixed(1)} s, ${ready[1]} ${ready[2]}`);
    });
  }, TEST_MS);

  test("without the control right: HC_DOMAIN_LIST is -EPERM", async () => {
    await bootDom0("domain name=dom0 mem=16M", async (e) => {
      await e.waitFor(domuLine("dom0: Domain 0 up, ABI 0x00010000 \\(1\\.0\\)\\n"), BOOT_MS);
      await e.waitFor(domuLine("dom0: no control right \\(-EPERM\\)\\n"), 60_000);
      expect(e.output()).not.toMatch(/dom0# /);
    });
  }, TEST_MS);

  test("a module marked start=dom0 is built and started by Domain 0 through hypercalls, not at boot", async () => {
    await bootDom0("domain name=dom0 mem=16M control=1", async (e) => {
      await e.waitFor(line("dom0: Domain 0 up, ABI 0x00010000 \\(1\\.0\\)\\n"), BOOT_MS);
      const m = await e.waitFor(
        line("dom0: module 1: created domain 2 \\(hypercall_version\\), create to start (\\d+) TSC ticks\\n"), 120_000);
      const created = e.elapsed();
      await e.waitFor("[hypercall_version] RESULT hypercall_version PASS", 120_000);
      const out = e.output();
      // Not started by the hypervisor at boot: built at run time by domain 1.
      expect(out).not.toMatch(/hv: domain \d+ \(hypercall_version\) memory/);
      expect(out).toMatch(/hv: domain 2 \(hypercall_version\) created by domain 1: memory 2048 KiB\n/);
      expect(out).toMatch(/hv: domain 2 \(hypercall_version\) started by domain 1\n/);
      expect(out).not.toMatch(line("dom0: module \\d+: (?!created)"));
      console.log(`bochs: domain created by dom0 at ${created.toFixed(1)} s, guest PASS at ${e.elapsed().toFixed(1)} s; ` +
        `HC_DOMAIN_CREATE..HC_DOMAIN_START ${m[1]} TSC ticks`);
    }, "domain name=hypercall_version mem=2M start=dom0");
  }, TEST_MS);
});
