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

  it("the AP trampoline page and its parameters", () => {
    const v = exported;
    const pa = v("HV_TRAMPOLINE_PA");
    // A STARTUP IPI names a 4 KiB page below 1 MiB; keep clear of the IVT
    // and BIOS data area (0-0x4ff) and of the EBDA (from 0x80000 at worst).
    expect(pa % 0x1000n).toBe(0n);
    expect(pa >= 0x1000n && pa + 0x1000n <= 0x80000n).toBe(true);
    const params = ["TRAMP_CR3", "TRAMP_ENTRY", "TRAMP_PERCPU"].map(v);
    for (const p of params) {
      expect(p >= v("TRAMP_PARAMS") && p + 8n <= 0x1000n).toBe(true);
      expect(p % 8n).toBe(0n);
    }
    expect(new Set(params).size).toBe(params.length);
  });

  it("the per-CPU block: fields, GDTR, GDT and TSS fit, and the class matches", () => {
    const v = exported;
    expect(v("PERCPU_SIZE")).toBe(0x1000n);
    const u64 = ["SELF", "STACK_TOP", "GDT", "TSS", "VMXON", "VMCS", "VMCLEAR_REQ", "LAPIC", "BUSY_TICKS", "IDLE_TICKS", "START_TSC", "UP_TSC"];
    const u32 = ["INDEX", "APIC_ID", "STATE", "IN_GUEST", "XSAVE_OWNER", "VMCS_OWNER", "RESCHED", "TLB_GEN", "CURRENT"];
    const spans: Array<[bigint, bigint]> = [];
    for (const f of u64) { const o = v(`PERCPU_${f}`); expect(o % 8n, f).toBe(0n); spans.push([o, o + 8n]); }
    for (const f of u32) { const o = v(`PERCPU_${f}`); expect(o % 4n, f).toBe(0n); spans.push([o, o + 4n]); }
    spans.push([v("PERCPU_IRQ_PENDING"), v("PERCPU_IRQ_PENDING") + 32n]); // 256 bits
    expect(v("PERCPU_IRQ_PENDING") % 8n).toBe(0n);
    spans.push([v("PERCPU_GDTR"), v("PERCPU_GDTR") + 10n]);         // limit u16 + base u64
    spans.push([v("PERCPU_GDT_AREA"), v("PERCPU_GDT_AREA") + 40n]); // null, code, data, 16-byte TSS
    spans.push([v("PERCPU_TSS_AREA"), v("PERCPU_TSS_AREA") + 104n]); // 64-bit TSS
    spans.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (let i = 1; i < spans.length; i++) expect(spans[i][0] >= spans[i - 1][1], `overlap at ${spans[i][0]}`).toBe(true);
    expect(spans.at(-1)![1] <= v("PERCPU_SIZE")).toBe(true);
    expect((v("PERCPU_GDTR") + 2n) % 8n).toBe(0n);                  // the base u64 aligned
    expect(v("PERCPU_GDT_AREA") % 8n).toBe(0n);
    expect(wasm.percpuLayoutCheck()).toBe(0);
    // The boot CPU's block is 4 KiB aligned in the bss; CPU states distinct.
    const states = ["ABSENT", "STARTING", "ALIVE", "ONLINE", "FAILED"].map((s) => v(`CPU_STATE_${s}`));
    expect(new Set(states).size).toBe(states.length);
    expect(v("HV_CPUS_MAX") <= 64n).toBe(true);                      // scheduler masks are u64
  });
});
