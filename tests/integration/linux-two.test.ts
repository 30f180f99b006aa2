// Two Linux guests at once next to a guest that only spins (Bochs, VT-x, 2
// CPUs): each boots to its shell, each console reaches its own guest, a file
// one writes is not in the other, and destroying them gives all their memory
// back while the spinner keeps going.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { beforeAll, expect, test } from "vitest";
import { bootBochs, makeIso, ROOT, type Emulator } from "../../qemu/emulator";
import { CMD_MS, FAIL, freeKiB, IDLE_PROMPT, listed, run, sleep, type, until } from "./dom0-console";
import { linuxModules, LINUX_BOOT_MS, LINUX_PROMPT, sh } from "./linux-console";

beforeAll(() => {
  const r = spawnSync("make", ["-s", "build/dom0.elf", "linux-guest", "guests"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`make build/dom0.elf linux-guest guests failed:\n${r.stdout}\n${r.stderr}`);
}, 600_000);

const CMDLINE = "console=ttyS0,115200 quiet cryptomgr.notests";

// Attaches the console of `name` and waits for its shell's prompt.
async function attach(e: Emulator, name: string): Promise<void> {
  await type(e, `console ${name}`);
  const mark = e.output().length;
  e.write("\r");
  await until(e, mark, /Ctrl-\] returns to the shell\]\n/, CMD_MS, `the console of ${name}`);
  await sleep(1000);
  e.write("\r");
  await until(e, mark, new RegExp(`${LINUX_PROMPT}[^\\n]*$`), CMD_MS, `the shell of ${name}`);
  await sleep(500);
}

async function detach(e: Emulator): Promise<void> {
  const mark = e.output().length;
  e.write("\x1d");
  await until(e, mark, IDLE_PROMPT, CMD_MS, "Ctrl-]");
}

test("two Linux guests and a spinner share 2 CPUs", async () => {
  const iso = makeIso({
    title: "tshv-linux-two",
    modules: linuxModules([{ path: path.join(ROOT, "build", "guests", "spin_forever.elf"), cmdline: "/boot/guests/spin_forever.elf" }]),
  });
  let e: Emulator | undefined;
  try {
    e = await bootBochs({ iso: iso.path, failOn: FAIL, cpus: 2, memoryMb: 1024 });
    await until(e, 0, IDLE_PROMPT, 4 * 60_000, "the first prompt");
    const mem0 = freeKiB(await run(e, "mem"));
    expect(await run(e, "create spin_forever.elf name=spin memory=2")).toMatch(/created domain \d+ \(spin\)/);
    const t0 = e.elapsed();
    for (const name of ["l1", "l2"]) {
      expect(await run(e, `create linux.cfg name=${name} vcpus=1 cmdline="${CMDLINE} tshv=${name}"`)).toMatch(new RegExp(`created domain \\d+ \\(${name}\\)`));
    }
    // Both boot at once; each one's console log says when it is ready.
    const ready = new Map<string, number>();
    const deadline = Date.now() + LINUX_BOOT_MS;
    while (ready.size < 2) {
      for (const name of ["l1", "l2"]) {
        if (ready.has(name)) continue;
        const m = /tshv-linux: ready ([\d.]+) s/.exec(await run(e, `log ${name}`));
        if (m) ready.set(name, Number(m[1]));
      }
      if (Date.now() > deadline) throw new Error(`Linux guests ready: ${[...ready.keys()].join(", ") || "none"} after ${LINUX_BOOT_MS} ms`);
      await sleep(5000);
    }
    console.log(`bochs: two Linux guests ready at ${ready.get("l1")} s and ${ready.get("l2")} s of their uptimes, ` +
      `${(e.elapsed() - t0).toFixed(1)} s wall after create (1 vCPU each, a spinner, 2 CPUs, default ips)`);

    // Each console is its own guest's; what one writes the other lacks.
    await attach(e, "l1");
    expect(await sh(e, "cat /proc/cmdline")).toMatch(/ tshv=l1$/m);
    expect(await sh(e, "echo only-l1 > /tmp/mine && cat /tmp/mine")).toBe("only-l1\n");
    expect(await sh(e, "nproc")).toBe("1\n");
    await detach(e);
    await attach(e, "l2");
    expect(await sh(e, "cat /proc/cmdline")).toMatch(/ tshv=l2$/m);
    expect(await sh(e, "cat /tmp/mine 2>&1")).toMatch(/No such file/);
    expect(await sh(e, "seq 5000 | md5sum")).toMatch(/^[0-9a-f]{32}  -\n$/);
    await detach(e);

    const vcpus = await run(e, "vcpu-list");
    for (const name of ["spin", "l1", "l2"]) expect(vcpus).toMatch(new RegExp(`^${name} +\\d+ +0 +[-01] +(running|runnable|blocked) +\\d+ `, "m"));
    for (const name of ["l1", "l2"]) expect(await run(e, `destroy ${name}`)).toMatch(new RegExp(`destroyed domain \\d+ \\(${name}\\)`));
    expect(listed(await run(e, "list")).map((d) => d[1])).toEqual(["dom0", "spin"]);
    expect(await run(e, "destroy spin")).toMatch(/destroyed domain \d+ \(spin\)/);
    expect(freeKiB(await run(e, "mem"))).toBe(mem0);
    console.log(`bochs: two-guest session done at ${e.elapsed().toFixed(1)} s`);
  } finally {
    await e?.kill();
    iso.cleanup();
  }
}, LINUX_BOOT_MS * 2);
