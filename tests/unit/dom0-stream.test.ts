// The save stream (src/state/stream.ts) as Domain 0 writes and reads it
// (dom0/save.ts), on its compiled wasm against the simulated hypervisor:
// the bytes as the README documents them, a restore that gives back the
// memory and the state, and every kind of bad stream refused with the
// record and offset at fault, never a trap, and nothing left created.
import { describe, expect, it } from "vitest";
import { crc32c as crc32 } from "../sim/crc32c";
import { Dom0, STATE, stateRecord, DOMREC_HEADER } from "../sim/dom0";

const REC = { CONFIG: 1, PAGES: 2, DOMAIN: 3, VCPU: 4, DEVICE: 5, END: 6 };
const PAGE_ZERO = 1n << 63n;
const MAX = 4 << 20;

function world(memKiB = 512, pages: Record<number, number> = { 0: 1, 5: 2, 6: 3, 70: 4, 127: 5 }) {
  const d = new Dom0({ domains: [{ name: "dom0", memKiB: 16384, control: true }] });
  d.exports.domainsFindSelf(d.str("dom0"));
  const g = d.addDomain({ name: "g", memKiB, paused: true, config: `domain name=g mem=${memKiB}K kind=flat64` });
  for (const [p, v] of Object.entries(pages)) for (let i = 0; i < 4096; i += 7) g.ram.set(Number(p) * 4096 + i, (v + i) & 0xff || 1);
  g.record = stateRecord(memKiB, 2, [64, 300, 8]);
  const buf = d.exports.bufferAlloc(MAX) >>> 0;
  const save = (id = g.id) => {
    const o = d.json("saveToBufferJson", id, memKiB, buf, MAX);
    return { ...o, stream: Uint8Array.from(d.bytes.subarray(buf, buf + o.bytes)) };
  };
  const restore = (s: Uint8Array, name = "") => {
    d.bytes.set(s, buf);
    return d.json("restoreFromBufferJson", buf, s.length, d.str(name));
  };
  const live = () => d.domains.filter((x) => x.state !== STATE.STOPPED).map((x) => x.name);
  return { d, g, save, restore, live };
}

// The records of a stream, decoded by this file alone.
function decode(s: Uint8Array) {
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
  expect(Buffer.from(s.subarray(0, 8)).toString("latin1")).toBe("TSHVSAVE");
  expect([v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true)]).toEqual([1, 12, 0]);
  expect(v.getUint32(20, true)).toBe(crc32(s.subarray(0, 20)));
  const recs: Array<{ type: number; at: number; body: Uint8Array }> = [];
  for (let at = 24; at < s.length;) {
    const [type, len, crc, zero] = [0, 4, 8, 12].map((o) => v.getUint32(at + o, true));
    expect(zero).toBe(0);
    const body = s.subarray(at + 16, at + 16 + len);
    expect(crc32(body), `record ${recs.length + 1}`).toBe(crc);
    recs.push({ type, at, body });
    at += 16 + ((len + 7) & ~7);
  }
  return recs;
}

describe("the save stream", () => {
  it("is laid out as documented: CONFIG, PAGES with zero pages flagged, DOMAIN, a VCPU each, a DEVICE each, END", () => {
    const w = world();
    const o = w.save();
    expect(o.error).toBe("");
    expect(o.frames).toBe(128);
    expect(o.dataPages).toBe(5);
    const recs = decode(o.stream);
    expect(recs.map((r) => r.type)).toEqual([REC.CONFIG, REC.PAGES, REC.PAGES, REC.DOMAIN, REC.VCPU, REC.VCPU,
      REC.DEVICE, REC.DEVICE, REC.DEVICE, REC.END]);
    const cfg = new DataView(recs[0].body.buffer, recs[0].body.byteOffset);
    expect(cfg.getBigUint64(8, true)).toBe(512n * 1024n);
    expect(cfg.getBigUint64(0, true)).toBe(BigInt(w.d.wallSecs));
    expect(Buffer.from(recs[0].body.subarray(16)).toString("latin1")).toBe("domain name=g mem=512K kind=flat64");
    // Batches of 64 frames; a page with data follows the entries in order.
    const pages = recs[1].body, pv = new DataView(pages.buffer, pages.byteOffset);
    expect(pv.getUint32(0, true)).toBe(64);
    const entries = Array.from({ length: 64 }, (_, i) => pv.getBigUint64(8 + i * 8, true));
    expect(entries.filter((e) => (e & PAGE_ZERO) === 0n).map(Number)).toEqual([0, 5, 6]);
    expect(pages.length).toBe(8 + 64 * 8 + 3 * 4096);
    expect(pages[8 + 64 * 8 + 4096 + 7]).toBe(w.g.ram.get(5 * 4096 + 7));
    // The state parts end to end are the state record.
    const state = Buffer.concat(recs.slice(3, 9).map((r) => r.body));
    expect(state.equals(Buffer.from(w.g.record!))).toBe(true);
    expect(recs[3].body.length).toBe(DOMREC_HEADER);
    const end = new DataView(recs[9].body.buffer, recs[9].body.byteOffset);
    expect([end.getUint32(0, true), Number(end.getBigUint64(8, true))]).toEqual([9, 128]);
    const headers = Buffer.concat(recs.slice(0, 9).map((r) => o.stream.subarray(r.at, r.at + 16)));
    expect(end.getUint32(16, true)).toBe(crc32(headers));
  });

  it("restores into a new domain: its memory, its state, paused; under its name or a new one", () => {
    const w = world();
    const o = w.save();
    expect(w.restore(o.stream).error).toMatch(/^a domain named g runs/);
    expect(w.live()).toEqual(["dom0", "g"]);
    const r = w.restore(o.stream, "g2");
    expect(r.error).toBe("");
    expect(r.name).toBe("g2");
    const n = w.d.byId(r.id)!;
    expect(n.config).toBe("domain name=g2 mem=512K kind=flat64");
    expect([n.state, n.paused]).toEqual([STATE.RUNNABLE, true]);
    expect(Buffer.from(n.record!).equals(Buffer.from(w.g.record!))).toBe(true);
    for (const [a, v] of w.g.ram) expect(n.ram.get(a) ?? 0, `byte ${a}`).toBe(v);
    expect(n.ram.size).toBe(w.g.ram.size);
    // Consecutive pages with data go in one load.
    expect(n.loads.map((l) => [Number(l.dst) >> 12, l.bytes.length >> 12])).toEqual([[0, 1], [5, 2], [70, 1], [127, 1]]);
    w.g.state = STATE.STOPPED;
    expect(w.restore(o.stream).error).toBe("");
  });

  it("a truncated stream names where it ends, for every record, and leaves nothing created", () => {
    const w = world();
    const s = w.save().stream;
    const recs = decode(s);
    const cuts = [0, 5, 23, 24];
    for (const r of recs) cuts.push(r.at + 3, r.at + 16, r.at + 16 + (r.body.length >> 1), r.at + 16 + r.body.length - 1);
    for (const n of cuts) {
      const o = w.restore(s.subarray(0, n), "t");
      expect(o.error, `cut at ${n}`).toMatch(/^truncated at offset \d+/);
      expect(w.live()).toEqual(["dom0", "g"]);
    }
  });

  it("refuses bad checksums, lengths, order, versions and trailing bytes with the record and offset", () => {
    const w = world();
    const s = w.save().stream;
    const recs = decode(s);
    const at = (i: number) => recs[i].at;
    const bad = (edit: (b: Uint8Array, v: DataView) => void) => {
      const b = s.slice();
      edit(b, new DataView(b.buffer));
      const o = w.restore(b, "t");
      expect(w.live()).toEqual(["dom0", "g"]);
      return o.error;
    };
    expect(bad((b) => { b[0] ^= 1; })).toBe("stream header: not a saved domain (magic)");
    expect(bad((b) => { b[21] ^= 1; })).toBe("stream header: checksum");
    expect(bad((b, v) => { v.setUint32(8, 2, true); v.setUint32(20, crc32(b.subarray(0, 20)), true); })).toBe("stream header: version 2, this reads version 1");
    for (let i = 0; i < recs.length; i++) {
      const name = ["CONFIG", "PAGES", "PAGES", "DOMAIN", "VCPU", "VCPU", "DEVICE", "DEVICE", "DEVICE", "END"][i];
      const where = `record ${i + 1} (${name}) at offset ${at(i)}`;
      expect(bad((b) => { b[at(i) + 16 + (recs[i].body.length >> 1)] ^= 0x40; })).toBe(`${where}: checksum`);
      expect(bad((_b, v) => { v.setUint32(at(i) + 4, 0x7fffffff, true); })).toMatch(new RegExp(`^${where.replace(/[()]/g, "\\$&")}: length \\d+`));
      expect(bad((_b, v) => { v.setUint32(at(i) + 12, 1, true); })).toBe(`${where}: reserved header word not 0`);
    }
    expect(bad((_b, v) => { v.setUint32(at(0), REC.PAGES, true); })).toBe(`record 1 (PAGES) at offset 24: the stream must begin with CONFIG`);
    expect(bad((_b, v) => { v.setUint32(at(4), 77, true); })).toBe(`record 5 (type 77) at offset ${at(4)}: unknown record type`);
    // A record moved out of its place: END where a vCPU belongs.
    expect(bad((_b, v) => { v.setUint32(at(5), REC.END, true); })).toMatch(/^record 6 \(END\) at offset \d+: the stream ends before every vCPU and device$/);
    const more = Buffer.concat([s, Buffer.alloc(16)]);
    expect(w.restore(more, "t").error).toMatch(/^bytes after the END record at offset \d+$/);
    expect(w.live()).toEqual(["dom0", "g"]);
  });

  it("refuses contents a record cannot hold: frames beyond its memory, a batch's length, the state's framing", () => {
    const w = world();
    const s = w.save().stream;
    const recs = decode(s);
    // Rewrite record i's body and its CRC (and END's header checksum, so
    // only the edit is at fault).
    const edit = (i: number, f: (v: DataView) => void) => {
      const b = s.slice();
      const v = new DataView(b.buffer);
      f(new DataView(b.buffer, recs[i].at + 16));
      v.setUint32(recs[i].at + 8, crc32(b.subarray(recs[i].at + 16, recs[i].at + 16 + recs[i].body.length)), true);
      const o = w.restore(b, "t");
      expect(w.live()).toEqual(["dom0", "g"]);
      return o.error;
    };
    expect(edit(1, (v) => v.setBigUint64(8 + 8 * 3, 999n | PAGE_ZERO, true))).toMatch(/entry 3: frame 0x3e7 beyond its memory$/);
    expect(edit(1, (v) => v.setBigUint64(8, 1n << 50n, true))).toMatch(/entry 0 has unknown flags$/);
    expect(edit(1, (v) => v.setUint32(0, 65, true))).toMatch(/batch of 65 frames$/);
    expect(edit(1, (v) => v.setBigUint64(8 + 8 * 5, 5n | PAGE_ZERO, true))).toMatch(/length \d+ for 64 entries, 2 with data$/);
    expect(edit(0, (v) => v.setBigUint64(8, 12345n, true))).toMatch(/^record 1 \(CONFIG\) at offset 24: memory size 12345 bytes$/);
    expect(edit(0, (v) => v.setUint8(20, 0x0a))).toMatch(/the config line holds byte 0xa at 20$/);
    expect(edit(3, (v) => v.setUint32(12, 65, true))).toMatch(/65 vCPUs$/);
    expect(edit(3, (v) => v.setBigUint64(24, 1024n * 1024n, true))).toMatch(/memory size differs from CONFIG's$/);
    expect(edit(5, (v) => v.setUint32(12, 0, true))).toMatch(/vCPU 0 where vCPU 1 belongs$/);
    expect(edit(7, (v) => v.setUint32(8, 299, true))).toMatch(/its size field says 299$/);
    expect(edit(9, (v) => v.setUint32(0, 8, true))).toMatch(/^record 10 \(END\) at offset \d+: says 8 records, there were 9$/);
    // The hypervisor's own check of the state: its reason comes back.
    expect(edit(3, (v) => v.setUint32(0, 0x4d445354 ^ 1, true))).toMatch(/not a domain header \(magic\)$/);
  });

  it("CRC-32C: software (slicing by 8) and the CPU's CRC32 instruction agree, on the known answer and on streams", () => {
    const w = world();
    const check = (what: string) => {
      w.d.bytes.set(Buffer.from("123456789"), 0x100000);
      expect(w.d.exports.crc32Of(0x100000, 9) >>> 0, what).toBe(0xe3069283);
      for (const n of [0, 1, 7, 8, 9, 4095, 4096, 10007]) {
        const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
        w.d.bytes.set(b, 0x100000);
        expect(w.d.exports.crc32Of(0x100000, n) >>> 0, `${what}, ${n} bytes`).toBe(crc32(b));
      }
    };
    check("software");
    const soft = w.save().stream;
    w.d.sse42 = false;
    expect(w.d.exports.crcInit()).toBe(0);
    w.d.sse42 = true;
    expect(w.d.exports.crcInit()).toBe(1);
    check("hardware");
    expect(Buffer.from(w.save().stream).equals(Buffer.from(soft))).toBe(true);
    expect(w.restore(soft, "h").error).toBe("");
  });

  it("random bytes, and random damage to a good stream: an error every time, never a trap", () => {
    const w = world(256, { 1: 9 });
    const s = w.save().stream;
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let k = 0; k < 150; k++) {
      const junk = Uint8Array.from({ length: Math.floor(rand() * 3000) }, () => Math.floor(rand() * 256));
      if (k % 3 === 0 && junk.length >= 24) junk.set(s.subarray(0, 24));   // a good header, then junk
      expect(w.restore(junk, "t").error).not.toBe("");
    }
    for (let k = 0; k < 150; k++) {
      const b = s.slice();
      for (let n = 0; n < 1 + (k % 4); n++) b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
      expect(w.restore(b, "t").error).not.toBe("");
      expect(w.live()).toEqual(["dom0", "g"]);
    }
  });
});
