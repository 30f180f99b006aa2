// Every VMCS access in src/ against its field (tests/unit/vmcs.test.ts): the
// accessor's width (vmcsRead16/32/64/Nat, vmcsWrite16/32/64/Nat,
// src/vmx/vmcs.ts) must be the field encoding's bits 14:13 (SDM Vol. 3D
// Appendix B). The field argument is a constant of src/arch/vmcs.ts (`NAME`
// or `F.NAME`), or a parameter of the calling function, followed to every
// call of that function in the same file.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const ACCESSOR_WIDTH: Record<string, number> = {
  vmcsRead16: 0, vmcsRead64: 1, vmcsRead32: 2, vmcsReadNat: 3,
  vmcsWrite16: 0, vmcsWrite64: 1, vmcsWrite32: 2, vmcsWriteNat: 3,
};
export const WIDTH_NAME = ["16-bit", "64-bit", "32-bit", "natural-width"];

export interface Access { file: string; line: number; accessor: string; field: string; encoding: number }
export interface Report {
  accesses: Access[];     // resolved to a field
  problems: string[];     // a wrong width, or a field argument that resolves to nothing
  dynamic: string[];      // "file function": the field is a parameter nobody in the file passes
}

// `export const NAME: u32 = 0x....;` of src/arch/vmcs.ts.
export function vmcsConstants(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^export const ([A-Z0-9_]+): u32 = (0x[0-9a-fA-F]+|\d+);/gm)) out.set(m[1], Number(m[2]));
  return out;
}

export function sourceFiles(root: string, dir = "src", out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) sourceFiles(root, rel, out);
    else if (name.endsWith(".ts")) out.set(rel, readFileSync(join(root, rel), "utf8"));
  }
  return out;
}

// Comments blanked to spaces, so that offsets and line numbers still hold.
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, " "));
}

// The arguments of the call whose "(" is at `open`, split at top-level commas.
function callArgs(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0, start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (--depth === 0) { args.push(text.slice(start, i).trim()); return args; }
    } else if (c === "," && depth === 1) { args.push(text.slice(start, i).trim()); start = i + 1; }
  }
  throw new Error(`unclosed call at offset ${open}`);
}

interface Fn { name: string; params: string[]; start: number; end: number }

// Top-level and nested `function name(params) { ... }` with their body span.
function functions(text: string): Fn[] {
  const out: Fn[] = [];
  for (const m of text.matchAll(/\bfunction\s+(\w+)\s*\(/g)) {
    const open = m.index! + m[0].length - 1;
    const params = callArgs(text, open).map((p) => p.split(":")[0].trim()).filter((p) => p.length > 0);
    let i = text.indexOf("{", open), depth = 0;
    const start = i;
    for (; i < text.length; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}" && --depth === 0) break;
    }
    out.push({ name: m[1], params, start, end: i });
  }
  return out;
}

export function checkAccesses(files: Map<string, string>, fields: Map<string, number>): Report {
  const report: Report = { accesses: [], problems: [], dynamic: [] };
  for (const [file, raw] of files) {
    const text = stripComments(raw);
    const fns = functions(text);
    // `import { vmcsWrite32 as w }` calls w.
    const names = new Map(Object.keys(ACCESSOR_WIDTH).map((a) => [a, a]));
    for (const m of text.matchAll(/\b(vmcs(?:Read|Write)(?:16|32|64|Nat))\s+as\s+(\w+)/g)) names.set(m[2], m[1]);
    const lineOf = (at: number) => text.slice(0, at).split("\n").length;

    // Where `expr`, seen at offset `at`, gets its field; depth bounds the chase.
    const resolve = (expr: string, at: number, via: string, accessor: string, depth: number): void => {
      const where = `${file}:${lineOf(at)}`;
      const c = /^(?:\w+\.)?([A-Z][A-Z0-9_]*)$/.exec(expr);
      if (c) {
        const encoding = fields.get(c[1]);
        if (encoding === undefined) { report.problems.push(`${where}: ${accessor}(${expr}${via}): not a VMCS field of src/arch/vmcs.ts`); return; }
        report.accesses.push({ file, line: lineOf(at), accessor, field: c[1], encoding });
        const width = (encoding >> 13) & 3;
        if (width !== ACCESSOR_WIDTH[accessor]) {
          report.problems.push(`${where}: ${accessor}(${c[1]}${via}): the field is ${WIDTH_NAME[width]} (encoding 0x${encoding.toString(16).padStart(4, "0")})`);
        }
        return;
      }
      const fn = fns.filter((f) => f.start < at && at < f.end).at(-1);
      const index = fn?.params.indexOf(expr) ?? -1;
      if (fn === undefined || index < 0 || depth > 4) { report.problems.push(`${where}: ${accessor}(${expr}${via}): field not resolved to a constant`); return; }
      const calls = [...text.matchAll(new RegExp(`(?<!function\\s+)\\b${fn.name}\\s*\\(`, "g"))];
      if (calls.length === 0) { report.dynamic.push(`${file} ${fn.name}`); return; }
      for (const call of calls) {
        const open = call.index! + call[0].length - 1;
        resolve(callArgs(text, open)[index] ?? "", open, `${via} via ${fn.name}()`, accessor, depth + 1);
      }
    };

    const callRe = new RegExp(`(?<!function\\s+)\\b(${[...names.keys()].join("|")})\\s*\\(`, "g");
    for (const m of text.matchAll(callRe)) {
      const open = m.index! + m[0].length - 1;
      resolve(callArgs(text, open)[0], open, "", names.get(m[1])!, 0);
    }
  }
  report.dynamic = [...new Set(report.dynamic)];
  return report;
}
