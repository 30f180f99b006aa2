// The layers of the microkernel (src/) and of Domain 0 (dom0/), and a check
// of every import against them (tests/unit/layering.test.ts).
//
// A file's layer is its folder under src/ (subfolders belong to it:
// src/vmx/exit/ is vmx); files directly in src/ are the top ("src"). A file
// may import files of its own layer or of a layer below it, never above,
// and no files may import each other in a cycle. Domain 0 is a program of
// its own: it may import, from src/, only the portable files, which compile
// into both programs.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

// Lowest first (README "Layout" says what each owns).
export const LAYERS = [
  "arch", "lib", "log", "boot", "mm", "ept", "platform", "cpu", "devices", "domain", "sched", "vmx",
  "lifecycle", "state", "hypercall", "src",
];

// What Domain 0 shares with the hypervisor.
export const PORTABLE = [
  /^src\/arch\/(?!hw\.ts$)[^/]+\.ts$/, /^src\/lib\/[^/]+\.ts$/, /^src\/boot\/(cmdline|bootinfo|multiboot[12]?)\.ts$/,
  /^src\/domain\/(config|image|entry|bootinfo-writer|bzimage)\.ts$/, /^src\/devices\/(e820|device)\.ts$/,
  // The save stream and the state record's framing (Domain 0 writes and reads the stream).
  /^src\/state\/(stream|record)\.ts$/,
];

export interface Edge { from: string; to: string }

function tsFiles(root: string, dir: string, out: string[]): string[] {
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) tsFiles(root, rel, out);
    else if (name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

// Every relative import and re-export of the .ts files under src/ and dom0/
// of `root`, as paths relative to it.
export function importEdges(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const from of [...tsFiles(root, "src", []), ...tsFiles(root, "dom0", [])]) {
    const text = readFileSync(join(root, from), "utf8").replace(/^\s*\/\/.*$/gm, "");
    for (const m of text.matchAll(/\b(?:import|export)\b[^;"]*?\bfrom\s+"(\.{1,2}\/[^"]+)"|\bimport\s+"(\.{1,2}\/[^"]+)"/g)) {
      const spec = m[1] ?? m[2];
      const to = normalize(join(dirname(from), spec)).replace(/\.ts$/, "") + ".ts";
      edges.push({ from, to });
    }
  }
  return edges;
}

export function layerOf(file: string): string {
  if (file.startsWith("dom0/")) return "dom0";
  const parts = file.split("/");
  return parts.length == 2 ? "src" : parts[1];
}

// Cycles among `nodes` (Tarjan's strongly connected components of more
// than one node, or a node importing itself), each as a sorted list.
export function cycles(edges: Array<[string, string]>): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) {
    if (!next.has(a)) next.set(a, []);
    if (!next.has(b)) next.set(b, []);
    next.get(a)!.push(b);
  }
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), found: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || next.get(v)!.includes(v)) found.push(scc.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

// Every import against the order, every import of Domain 0 into src/ that
// is not portable, and every cycle between folders or files: one line each.
export function layeringProblems(root: string): string[] {
  const edges = importEdges(root);
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from), b = layerOf(to);
    if (a === "dom0") {
      if (b !== "dom0" && !PORTABLE.some((p) => p.test(to))) problems.push(`${from} imports ${to}: not portable (Domain 0 may use ${PORTABLE.map(String).join(" ")})`);
      continue;
    }
    if (b === "dom0") { problems.push(`${from} imports ${to}: the microkernel never imports Domain 0`); continue; }
    const ia = LAYERS.indexOf(a), ib = LAYERS.indexOf(b);
    if (ia < 0) problems.push(`${from}: folder ${a} has no layer (tests/harness/layering.ts LAYERS)`);
    else if (ib < 0) problems.push(`${to}: folder ${b} has no layer (tests/harness/layering.ts LAYERS)`);
    else if (ib > ia) problems.push(`${from} imports ${to}: ${a} is below ${b}`);
  }
  const folderEdges = edges.map((e): [string, string] => [layerOf(e.from), layerOf(e.to)]).filter(([a, b]) => a !== b);
  for (const c of cycles(folderEdges)) problems.push(`folders import each other in a cycle: ${c.join(", ")}`);
  for (const c of cycles(edges.map((e): [string, string] => [e.from, e.to]))) {
    problems.push(`files import each other in a cycle: ${c.join(", ")}`);
  }
  return problems;
}

// The folder -> folder import graph, one line per folder: what it imports.
export function folderGraph(root: string): string[] {
  const out = new Map<string, Set<string>>();
  for (const { from, to } of importEdges(root)) {
    const a = layerOf(from), b = layerOf(to);
    if (a === b) continue;
    if (!out.has(a)) out.set(a, new Set());
    out.get(a)!.add(b);
  }
  const order = [...LAYERS, "dom0"];
  return [...out.keys()].sort((x, y) => order.indexOf(x) - order.indexOf(y))
    .map((a) => `${a} -> ${[...out.get(a)!].sort((x, y) => order.indexOf(x) - order.indexOf(y)).join(", ")}`);
}

