// The ring sizes Domain 0 relies on (LOG_RING_BYTES, CONSOLE_RING_BYTES in
// src/arch/abi.ts) against the hypervisor's rings, and Domain 0's
// whole-ring reads (dmesg, log, the first console) when a ring has wrapped:
// it finds the head and prints exactly what the ring still holds.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";
import { Dom0 } from "../sim/dom0";

const abi = readFileSync(fileURLToPath(new URL("../../src/arch/abi.ts", import.meta.url)), "utf8");
const abiConst = (name: string) => Number(new RegExp(`export const ${name}: u32 = (\\d+);`).exec(abi)?.[1]);
const LOG_RING_BYTES = abiConst("LOG_RING_BYTES");
const CONSOLE_RING_BYTES = abiConst("CONSOLE_RING_BYTES");

// Lines "line 00001\n" ... : 11 bytes each.
const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${String(i + 1).padStart(5, "0")}\n`).join("");

describe("ring sizes in the ABI", () => {
  it("CONSOLE_RING_BYTES is the hypervisor's console ring", () => {
    const m = new Machine();
    expect(CONSOLE_RING_BYTES).toBe(m.exports.CONSOLE_RING_SIZE.value);
  });

  it("LOG_RING_BYTES is the hypervisor's log ring: it keeps exactly that many bytes", () => {
    const m = new Machine();
    const e = m.exports;
    const con = e.consoleCreate(m.newString("x")) >>> 0;
    // Each console line reaches the log as "[x] line NNNNN\n" (15 bytes),
    // a second apart (the log takes a domain's lines at a bounded rate).
    m.tscStep = 1n << 32n;
    for (const b of Buffer.from(lines(6000))) e.consolePut(con, b);
    m.tscStep = 1000n;
    const head = Number(e.logHead());
    expect(head).toBeGreaterThan(LOG_RING_BYTES);
    const dst = 0x20000;
    expect(e.logRead(BigInt(head - LOG_RING_BYTES), dst, 16)).toBe(16);
    const atOldest = Buffer.from(m.bytes.subarray(dst, dst + 16)).toString("latin1");
    expect(e.logRead(0n, dst, 16)).toBe(16);   // clamped to the oldest byte
    expect(Buffer.from(m.bytes.subarray(dst, dst + 16)).toString("latin1")).toBe(atOldest);
    expect(e.logRead(BigInt(head - LOG_RING_BYTES - 1), dst, 16)).toBe(16);
    expect(Buffer.from(m.bytes.subarray(dst, dst + 16)).toString("latin1")).toBe(atOldest);
  });
});

describe("Domain 0's whole-ring reads", () => {
  it("dmesg prints the last LOG_RING_BYTES of a wrapped log, once", () => {
    const d = new Dom0();
    d.exports.domainsFindSelf(d.str("dom0"));
    const text = lines(9000); // 99000 bytes
    for (const c of Buffer.from(text)) d.log.push(c);
    d.start();
    const out = d.run("dmesg");
    expect(out).toBe(`dmesg\n${text.slice(text.length - LOG_RING_BYTES)}dom0# `);
  });

  it("log prints the last CONSOLE_RING_BYTES of a wrapped console; console shows only what is new", () => {
    const d = new Dom0();
    const dom = d.addDomain({ name: "chatty" });
    d.exports.domainsFindSelf(d.str("dom0"));
    const text = lines(2000); // 22000 bytes
    d.consoleWrite(dom, text);
    d.start();
    expect(d.run("log chatty")).toBe(`log chatty\n${text.slice(text.length - CONSOLE_RING_BYTES)}dom0# `);
    expect(d.run("console chatty")).toBe(
      `console chatty\n[console of domain 2 (chatty); Ctrl-] returns to the shell]\n${text.slice(text.length - CONSOLE_RING_BYTES)}`);
    d.consoleWrite(dom, "more\n");
    expect(d.event(4)).toBe("more\n");
  });

  it("live log printing that fell a whole ring behind resumes at the oldest byte", () => {
    const d = new Dom0();
    d.exports.domainsFindSelf(d.str("dom0"));
    d.start(0);
    const text = lines(8000); // 88000 bytes
    for (const c of Buffer.from(text)) d.log.push(c);
    const out = d.event(2);
    const kept = text.slice(text.length - LOG_RING_BYTES);
    // From the oldest byte still held (mid-line, as the ring has it).
    expect(out).toBe(`\r\x1b[K${kept}dom0# `);
  });
});
