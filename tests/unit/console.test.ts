// A domain's console (src/devices/console.ts): the byte ring Dom0 reads and
// the `[name] line` output to the hypervisor log, seen on the simulated COM1.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const DST = 0x20000;
const RING = 16384;

function console_(name = "linux") {
  const m = new Machine();
  const e = m.exports;
  const con = e.consoleCreate(m.newString(name)) >>> 0;
  m.takeSerial();
  const put = (s: string | number[]): void => {
    for (const b of typeof s === "string" ? Buffer.from(s, "latin1") : s) e.consolePut(con, b);
  };
  const read = (from: bigint, len: number): { n: number; text: string; bytes: number[] } => {
    const n = e.consoleRead(con, from, DST, len);
    const bytes = [...m.bytes.subarray(DST, DST + n)];
    return { n, text: Buffer.from(bytes).toString("latin1"), bytes };
  };
  // The log as lines; the log turns '\n' into "\r\n" on the serial port.
  const logLines = (): string[] => m.takeSerial().split("\r\n").filter((l, i, a) => i < a.length - 1 || l !== "");
  return { m, e, con, put, read, logLines };
}

describe("domain console", () => {
  it("keeps every byte, \\r included, at absolute positions", () => {
    const { e, con, put, read } = console_();
    expect(e.consoleHead(con)).toBe(0n);
    expect(e.CONSOLE_RING_SIZE.value).toBe(RING);
    put("ab\r\ncd");
    expect(e.consoleHead(con)).toBe(6n);
    expect(read(0n, 100).text).toBe("ab\r\ncd");
    expect(read(4n, 100).text).toBe("cd");
    expect(read(2n, 1).text).toBe("\r");
    expect(read(6n, 100).n).toBe(0);
    expect(read(1000n, 100).n).toBe(0);
  });

  it("wraps: after more than 16 KiB it holds the newest 16 KiB and clamps reads to them", () => {
    const { e, con, put, read } = console_();
    e.consoleSetLog(con, 0);
    const total = RING * 2 + 1234;
    const data = Array.from({ length: total }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    put(data);
    expect(e.consoleHead(con)).toBe(BigInt(total));
    const oldest = total - RING;
    const all = read(0n, RING + 100); // from before the oldest: clamped
    expect(all.n).toBe(RING);
    expect(all.bytes).toEqual(data.slice(oldest));
    const tail = read(BigInt(total - 10), 100);
    expect(tail.bytes).toEqual(data.slice(total - 10));
    const mid = read(BigInt(oldest + 5000), 300); // across the wrap point
    expect(mid.bytes).toEqual(data.slice(oldest + 5000, oldest + 5300));
  });

  it("the log takes a domain's lines at a bounded rate; the ring keeps them all; one line says how many it did not take", () => {
    const { m, e, con, put, read, logLines } = console_("flood");
    const burst = Number(e.LOG_BURST.value), rate = Number(e.LOG_RATE.value);
    expect([burst, rate]).toEqual([256, 32]);
    const second = BigInt(e.tscHz());
    m.tscStep = 0n;   // all at once
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join("");
    put(text);
    const first = logLines();
    expect(first.length).toBe(burst);
    expect(first.at(-1)).toBe(`[flood] line ${burst - 1}`);
    expect(read(0n, text.length).text).toBe(text);
    // A second later: the count of lines it did not take, then a second's worth.
    m.tsc += second;
    put(Array.from({ length: 100 }, (_, i) => `more ${i}\n`).join(""));
    const next = logLines();
    expect(next[0]).toBe(`hv: [flood] ${1000 - burst} lines not logged (over ${rate} a second; its console ring has them)`);
    expect(next.slice(1)).toEqual(Array.from({ length: rate }, (_, i) => `[flood] more ${i}`));
    // The rest is counted, and the total said when the domain stops.
    e.consoleFlush(con);
    expect(logLines()).toEqual([`hv: [flood] ${1000 - burst + 100 - rate} lines in all not logged (over ${rate} a second; its console ring has them)`]);
    // The hypervisor's own ring (dmesg) has the first note and the total,
    // none of the domain's lines.
    const own = Buffer.from(m.bytes.subarray(DST, DST + e.logReadOwn(0n, DST, 4096))).toString("latin1");
    expect(own.split("\n").filter((l) => l.includes("[flood]"))).toEqual([
      `hv: [flood] ${1000 - burst} lines not logged (over ${rate} a second; its console ring has them)`,
      `hv: [flood] ${1000 - burst + 100 - rate} lines in all not logged (over ${rate} a second; its console ring has them)`,
    ]);
    // A quiet domain's lines all go: the bucket fills again up to its burst.
    m.tsc += second * 100n;
    put(Array.from({ length: burst }, (_, i) => `calm ${i}\n`).join(""));
    expect(logLines().length).toBe(burst);
  });

  it("prints completed lines to the hypervisor log as [name] line", () => {
    const { put, logLines } = console_("web1");
    put("Linux version 6.1\r\n");
    put("partial");
    expect(logLines()).toEqual(["[web1] Linux version 6.1"]);
    put(" line\n\n");
    expect(logLines()).toEqual(["[web1] partial line", "[web1] "]);
  });

  it("shows non-printable bytes as '.' and strips \\r", () => {
    const { put, logLines } = console_("d");
    put([0x41, 0x1b, 0x5b, 0x6d, 0x0d, 0x09, 0xff, 0x7f, 0x42, 0x0a]);
    expect(logLines()).toEqual(["[d] A.[m...B"]);
  });

  it("splits lines longer than 200 characters", () => {
    const { put, logLines } = console_("long");
    const s = Array.from({ length: 450 }, (_, i) => String.fromCharCode(0x61 + (i % 26))).join("");
    put(s);
    const lines = logLines();
    expect(lines).toEqual([`[long] ${s.slice(0, 200)}`, `[long] ${s.slice(200, 400)}`]);
    put("\n");
    expect(logLines()).toEqual([`[long] ${s.slice(400)}`]);
    put("x".repeat(200) + "\n"); // exactly 200: one line, no empty one after it
    expect(logLines()).toEqual([`[long] ${"x".repeat(200)}`]);
  });

  it("flushes a partial line on request and can stay out of the log", () => {
    const { e, con, put, logLines, read } = console_("q");
    put("prompt$ ");
    e.consoleFlush(con);
    expect(logLines()).toEqual(["[q] prompt$ "]);
    e.consoleFlush(con);
    expect(logLines()).toEqual([]);
    e.consoleSetLog(con, 0);
    put("quiet\n");
    expect(logLines()).toEqual([]);
    expect(read(8n, 100).text).toBe("quiet\n");
  });

  it("truncates long domain names and keeps them ASCII", () => {
    const { put, logLines } = console_("a".repeat(40));
    put("x\n");
    expect(logLines()).toEqual([`[${"a".repeat(32)}] x`]);
  });

  it("receives what the guest writes to its UART's THR", () => {
    const { m, e, con, logLines } = console_("dom1");
    const u = e.uartCreate(con);
    for (const c of Buffer.from("Hello from the guest\r\n")) e.uartWrite(u, 0, c);
    expect(logLines()).toEqual(["[dom1] Hello from the guest"]);
    expect(e.consoleHead(con)).toBe(22n);
    expect(m.serial).toBe("");
  });
});
