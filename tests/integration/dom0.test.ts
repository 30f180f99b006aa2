// Domain 0 under the hypervisor (Bochs): build/dom0.elf, an AssemblyScript
// kernel built through the same asc -> wasm2c -> clang pipeline, started from
// a boot module as a 64-bit domain. With `control=1` it lists the domains
// (HC_DOMAIN_LIST), reads the hypervisor log (HC_LOG_READ) and prints its
// prompt; without it the management call fails with -EPERM. With the right
// it is Domain 0 and writes to the real COM1 (lines as they are); without,
// its emulated UART's lines reach the hypervisor log as `[dom0] ...`.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";

const DOM0_ELF = path.join(ROOT, "build", "dom0.elf");
const GUEST = path.join(ROOT, "build", "guests", "hypercall_version.elf");
const FAIL_ON = /hv: PANIC|hv: EXCEPTION|hv: halted|hv: module \d+ not started|dom0: PANIC|\[dom0\] .*wasm trap/;
const BOOT_MS = 4 * 60_000;
const TEST_MS = 6 * 60_000;

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
  test("with the control right: ABI version, domain list, hypervisor log, prompt", async () => {
    await bootDom0("domain name=dom0 mem=16M control=1", async (e) => {
      await e.waitFor("dom0: Domain 0 up, ABI 0x00010000 (1.0)\n", BOOT_MS);
      const up = e.elapsed();
      await e.waitFor(/dom0# *\n/, 60_000);
      const out = e.output();
      const list = [...out.matchAll(/dom0: domain (\d+) (\S+) (runnable|blocked|stopped) (\d+)\n/g)];
      const byName = new Map(list.map((m) => [m[2], { id: Number(m[1]), state: m[3], kib: Number(m[4]) }]));
      expect(byName.get("dom0")).toEqual({ id: 1, state: "runnable", kib: 16 * 1024 });
      expect(byName.get("hypercall_version")?.id).toBe(2);
      expect(byName.get("hypercall_version")?.kib).toBe(2 * 1024);
      expect(out).toContain("dom0: hypervisor log readable\n");
      expect(out).not.toMatch(/no control right/);
      const ticks = /dom0: at the prompt after (\d+) TSC ticks/.exec(out);
      console.log(`bochs: dom0 up after ${up.toFixed(1)} s, prompt after ${e.elapsed().toFixed(1)} s` +
        (ticks ? `, ${ticks[1]} guest TSC ticks` : ""));
    });
  }, TEST_MS);

  test("without the control right: HC_DOMAIN_LIST is -EPERM", async () => {
    await bootDom0("domain name=dom0 mem=16M", async (e) => {
      await e.waitFor("[dom0] dom0: Domain 0 up, ABI 0x00010000 (1.0)\n", BOOT_MS);
      await e.waitFor("[dom0] dom0: no control right (-EPERM)\n", 60_000);
      const out = e.output();
      expect(out).not.toMatch(/\[dom0\] dom0: domain \d+/);
      expect(out).not.toMatch(/\[dom0\] dom0#/);
    });
  }, TEST_MS);

  test("a module marked start=dom0 is built and started by Domain 0 through hypercalls, not at boot", async () => {
    await bootDom0("domain name=dom0 mem=16M control=1", async (e) => {
      await e.waitFor("dom0: Domain 0 up, ABI 0x00010000 (1.0)\n", BOOT_MS);
      await e.waitFor(/dom0: created domain (\d+) hypercall_version from module 1\n/, 120_000);
      const created = e.elapsed();
      await e.waitFor("[hypercall_version] RESULT hypercall_version PASS", 120_000);
      // Domain 0 reaches its prompt too (before or after the guest's line).
      if (!/dom0# *\n/.test(e.output())) await e.waitFor(/dom0# *\n/, 60_000);
      const out = e.output();
      // Not started by the hypervisor at boot: the boot-time list has only dom0.
      const list = [...out.matchAll(/dom0: domain (\d+) (\S+) (runnable|blocked|stopped) (\d+)\n/g)];
      expect(list.map((m) => m[2])).toEqual(["dom0"]);
      expect(out).toMatch(/hv: domain 2 \(hypercall_version\) created by domain 1: memory 2048 KiB\n/);
      expect(out).toMatch(/hv: domain 2 \(hypercall_version\) started by domain 1\n/);
      expect(out).toContain("dom0: created domain 2 hypercall_version from module 1\n");
      expect(out.indexOf("dom0: created domain 2")).toBeLessThan(out.indexOf("[hypercall_version] RESULT"));
      expect(out).not.toMatch(/dom0: module \d+:/);
      expect(out).toMatch(/dom0# *\n/);
      const ticks = /dom0: create to start took (\d+) TSC ticks/.exec(out);
      console.log(`bochs: domain created by dom0 at ${created.toFixed(1)} s, guest PASS at ${e.elapsed().toFixed(1)} s` +
        (ticks ? `; HC_DOMAIN_CREATE..HC_DOMAIN_START ${ticks[1]} dom0 TSC ticks` : ""));
    }, "domain name=hypercall_version mem=2M start=dom0");
  }, TEST_MS);
});
