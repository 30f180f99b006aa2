// The memory map and hand-off offsets have one source, src/arch/layout.ts;
// the Makefile derives build/layout.inc (NASM) and build/layout.ld (linker
// script) from it. Check all three views agree with the compiled wasm.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

function parse(file: string, re: RegExp): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of readFileSync(root(file), "utf8").split("\n")) {
    const m = re.exec(line.trim());
    if (m) {
      expect(out.has(m[1]), `${file}: ${m[1]} defined twice`).toBe(false);
      out.set(m[1], BigInt(m[2]));
    }
  }
  return out;
}

describe("layout constants", () => {
  const source = [...readFileSync(root("src/arch/layout.ts"), "utf8").matchAll(/^export const ([A-Z0-9_]+)\b/gm)].map((m) => m[1]);
  const inc = parse("build/layout.inc", /^([A-Z0-9_]+)\s+equ\s+(0x[0-9a-fA-F]+|[0-9]+)$/);
  const ld = parse("build/layout.ld", /^([A-Z0-9_]+)\s*=\s*(0x[0-9a-fA-F]+|[0-9]+);$/);
  const wasm = new Machine().exports;
  // i32 globals arrive as (signed) numbers, i64 ones as BigInt.
  const exported = (name: string): bigint => {
    const v = (wasm[name] as WebAssembly.Global).value;
    return typeof v === "number" ? BigInt(v >>> 0) : BigInt.asUintN(64, v);
  };

  it("layout.ts defines constants", () => {
    expect(source.length).toBeGreaterThan(5);
    expect(source).toContain("HV_WASM_BASE");
  });

  it("every constant of layout.ts is in layout.inc, layout.ld and the wasm exports", () => {
    for (const name of source) {
      expect(inc.has(name), `${name} missing from build/layout.inc`).toBe(true);
      expect(ld.has(name), `${name} missing from build/layout.ld`).toBe(true);
      expect(wasm[name], `${name} not exported by the wasm (src/exports.ts)`).toBeInstanceOf(WebAssembly.Global);
    }
    expect([...inc.keys()].sort()).toEqual([...source].sort());
    expect([...ld.keys()].sort()).toEqual([...source].sort());
  });

  it("layout.inc values equal the wasm's", () => {
    for (const [name, v] of inc) expect(exported(name), name).toBe(v);
  });

  it("layout.ld values equal the wasm's", () => {
    for (const [name, v] of ld) expect(exported(name), name).toBe(v);
  });

  it("the regions are ordered and page aligned", () => {
    const v = exported;
    expect(v("HV_IMAGE_BASE") < v("HV_WASM_BASE")).toBe(true);
    expect(v("HV_WASM_BASE") < v("HV_WASM_END")).toBe(true);
    for (const n of ["HV_IMAGE_BASE", "HV_WASM_BASE", "HV_WASM_END"]) expect(v(n) % 0x10000n, n).toBe(0n);
    // The wasm's static data starts at HV_WASM_BASE (asc --memoryBase).
    expect(wasm.memory.buffer.byteLength).toBeLessThanOrEqual(Number(v("HV_WASM_END")));
  });
});
