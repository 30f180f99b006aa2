// The build refuses a microkernel that uses floating point: guest FPU state
// must never be clobbered by the hypervisor.
import { describe, it, expect } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, existsSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(__dirname, "../..");
// An asc build of the tree takes 20-60 s on this machine, more beside Bochs runs.
const BUILD_MS = 180_000;

function treeCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "hv-float-"));
  cpSync(join(root, "src"), join(dir, "src"), { recursive: true });
  cpSync(join(root, "Makefile"), join(dir, "Makefile"));
  cpSync(join(root, "tests/guests/guests.mk"), join(dir, "tests/guests/guests.mk"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

function buildWasm(dir: string, target = "build/hv.wasm") {
  return spawnSync("make", ["-s", target], { cwd: dir, encoding: "utf8" });
}

describe("float check", () => {
  it("passes the microkernel as it is", () => {
    const dir = treeCopy();
    try {
      const r = buildWasm(dir);
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(join(dir, "build/hv.wasm"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, BUILD_MS);

  it("fails the build when a float is introduced", () => {
    const dir = treeCopy();
    try {
      appendFileSync(join(dir, "src/main.ts"),
        "\nexport function average(a: u32, b: u32): u32 { return <u32>((<f64>a + <f64>b) / 2.0); }\n");
      const r = buildWasm(dir);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/uses floating point \(f32\/f64\)/);
      expect(r.stdout + r.stderr).toMatch(/f64/);
      expect(existsSync(join(dir, "build/hv.wasm"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, BUILD_MS);

  it("checks the test build too, which alone holds the test-only exports", () => {
    const dir = treeCopy();
    try {
      appendFileSync(join(dir, "src/exports.ts"),
        "\nexport function testAverage(a: u32, b: u32): u32 { return <u32>((<f64>a + <f64>b) / 2.0); }\n");
      const test = buildWasm(dir, "build/hv-test.wasm");
      expect(test.status).not.toBe(0);
      expect(test.stderr).toMatch(/hv-test\.wasm uses floating point \(f32\/f64\)/);
      expect(existsSync(join(dir, "build/hv-test.wasm"))).toBe(false);
      const image = buildWasm(dir);
      expect(image.status, image.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, BUILD_MS);
});
