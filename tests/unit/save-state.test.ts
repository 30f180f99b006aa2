// HC_DOMAIN_STATE_GET and _SET, the hypervisor's part of save and restore
// (src/hypercall/save.ts): a DomU's config and state record out, a new
// domain made from them, its memory loaded, the record taken in.
import { describe, it, expect } from "vitest";
import { world, ESRCH, EBUSY, EINVAL, EPERM } from "./state-world";

const STATE_GET = 39, STATE_SET = 40, CREATE = 13, LOAD = 14, DESTROY = 8;
const STATE_RECORD = 0, STATE_CONFIG = 1, STATE_WHY_MAX = 128;
const EFAULT = -14n;
const CFG = 0x40000, REC = 0x80000, PAGE = 0x3000;
const DOMSTATE_RUNNABLE = 0, DOMSTATE_CREATED = 3;
// A guest small enough that the machine has room for a second one.
const PAGES = 257, all = Array.from({ length: PAGES }, (_, p) => p);

function saveWorld() {
  const w = world("1028K");
  const ctlHost = (gpa: number) => Number(w.e.testGuestToHost(w.ctl, BigInt(gpa)));
  const bytesAt = (gpa: number, n: number) => w.m.bytes.slice(ctlHost(gpa), ctlHost(gpa) + n);
  const putAt = (gpa: number, b: Uint8Array) => w.m.bytes.set(b, ctlHost(gpa));
  const text = (gpa: number, n: number) => Buffer.from(bytesAt(gpa, n)).toString("latin1");
  const config = (dom: number): string => {
    const n = Number(w.hc(STATE_GET, [dom, STATE_CONFIG, CFG, 0]));
    expect(w.hc(STATE_GET, [dom, STATE_CONFIG, CFG, n])).toBe(BigInt(n));
    return text(CFG, n);
  };
  const record = (dom: number): Uint8Array => {
    const n = Number(w.hc(STATE_GET, [dom, STATE_RECORD, REC, 0]));
    expect(n).toBeGreaterThan(0);
    expect(w.hc(STATE_GET, [dom, STATE_RECORD, REC, n])).toBe(BigInt(n));
    return bytesAt(REC, n);
  };
  // A domain made from `line`, given the memory of `from` page by page.
  const create = (line: string): number => {
    putAt(CFG, Buffer.from(line, "latin1"));
    const id = Number(w.hc(CREATE, [CFG, line.length, 0, 0]));
    expect(id, `create ${line}`).toBeGreaterThan(0);
    return id;
  };
  const loadFrom = (to: number, from: number) => {
    for (const p of all) {
      const src = Number(w.e.testGuestToHost(from, BigInt(p << 12)));
      w.m.bytes.copyWithin(ctlHost(PAGE), src, src + 4096);
      expect(w.hc(LOAD, [to, p << 12, PAGE, 4096])).toBe(4096n);
    }
  };
  const set = (dom: number, rec: Uint8Array) => {
    putAt(REC, rec);
    return w.hc(STATE_SET, [dom, REC, rec.length]);
  };
  const why = () => {
    const b = bytesAt(REC, STATE_WHY_MAX);
    return Buffer.from(b.slice(0, b.indexOf(0))).toString("latin1");
  };
  const image = (dom: number) => all.map((p) => {
    const h = Number(w.e.testGuestToHost(dom, BigInt(p << 12)));
    return Buffer.from(w.m.bytes.slice(h, h + 4096)).toString("base64");
  });
  return { ...w, config, record, create, loadFrom, set, why, image };
}

describe("save and restore: the hypervisor's part", () => {
  it("a domain made from a DomU's config, memory and record runs on as it: bytes, registers, paused until unpaused", () => {
    const w = saveWorld();
    w.stamp(w.g, 7, all);
    w.setRbx(w.g, 0x1234n);
    const line = w.config(w.g);
    expect(line).toContain("name=g");
    expect(line).toContain("mem=1028K");
    const rec = w.record(w.g);
    const r = w.create(line.replace("name=g", "name=g2"));
    w.loadFrom(r, w.g);
    expect(w.set(r, rec)).toBe(0n);
    expect(w.e.testDomainState(r)).toBe(DOMSTATE_RUNNABLE);
    expect(w.e.testDomainPaused(r)).toBe(1);
    expect(w.image(r)).toEqual(w.image(w.g));
    expect(w.rbx(r)).toBe(0x1234n);
    // Its own record is the source's, but for the TSC it carried on with.
    expect(w.record(r).length).toBe(rec.length);
  });

  it("the VM-entry control for IA-32e mode follows the record's EFER.LMA, whatever mode the domain was built in", () => {
    const w = saveWorld();
    const VM_ENTRY_CONTROLS = 0x4012, GUEST_IA32_EFER = 0x2806, IA32E = 1n << 9n, LMA = 1n << 10n;
    const field = (id: number, f: number) => w.vmx.vmcss.get(w.e.stateVcpuVmcs(id, 0))!.fields.get(f) ?? 0n;
    expect(field(w.g, GUEST_IA32_EFER) & LMA).toBe(LMA);
    const rec = w.record(w.g);
    // Built for real mode: no IA-32e control until the long-mode record comes.
    const r = w.create(w.config(w.g).replace("name=g", "name=rm").replace("kind=flat64", "kind=realmode"));
    expect(field(r, VM_ENTRY_CONTROLS) & IA32E).toBe(0n);
    w.loadFrom(r, w.g);
    expect(w.set(r, rec)).toBe(0n);
    expect(field(r, VM_ENTRY_CONTROLS) & IA32E).toBe(IA32E);
  });

  it("refuses what it cannot take, with the reason at the buffer, and leaves the domain created", () => {
    const w = saveWorld();
    const rec = w.record(w.g);
    const r = w.create(w.config(w.g).replace("name=g", "name=g2"));
    const bad = rec.slice();
    bad[0] ^= 0xff;
    expect(w.set(r, bad)).toBe(EINVAL);
    expect(w.why()).toBe("not a domain's state (magic)");
    expect(w.set(r, rec.slice(0, rec.length - 8))).toBe(EINVAL);
    expect(w.why()).toMatch(/^the record is \d+ bytes, a domain of this shape has \d+$/);
    expect(w.e.testDomainState(r)).toBe(DOMSTATE_CREATED);
    // Too short a buffer for the reason; a bad pointer.
    expect(w.hc(STATE_SET, [r, REC, 16])).toBe(EFAULT);
    expect(w.hc(STATE_SET, [r, 0xfff00000, rec.length])).toBe(EFAULT);
    expect(w.set(r, rec)).toBe(0n);
    // Started now: a second record is refused.
    expect(w.set(r, rec)).toBe(EINVAL);
  });

  it("MEM_PAGES: a batch of frames, zero pages as a flag, the others' bytes in order; bad batches refused", () => {
    const w = saveWorld();
    const MEM_PAGES = 41, ZERO = 1n << 63n, BUF = 0xa0000;
    // Of frames 40-44 (nothing of the guest's there yet), 41 and 43 get data.
    const [a, b] = [41, 43];
    for (const p of [a, b]) for (let i = 0; i < 4096; i += 512) w.poke(w.g, p * 4096 + i, p - 39);
    expect(w.hc(MEM_PAGES, [w.g, 40, 5, BUF])).toBe(2n);
    const h = Number(w.e.testGuestToHost(w.ctl, BigInt(BUF)));
    const v = new DataView(w.m.bytes.buffer, h);
    expect(Array.from({ length: 5 }, (_, i) => v.getBigUint64(i * 8, true))).toEqual([40n | ZERO, 41n, 42n | ZERO, 43n, 44n | ZERO]);
    expect(w.m.bytes[h + 40]).toBe(2);
    expect(w.m.bytes[h + 40 + 4096 + 512]).toBe(4);
    // The last frame alone; past it, none at all, too many: -EINVAL.
    expect(w.hc(MEM_PAGES, [w.g, PAGES - 1, 1, BUF])).toBe(1n);   // the image is there
    expect(w.hc(MEM_PAGES, [w.g, PAGES - 1, 2, BUF])).toBe(EINVAL);
    expect(w.hc(MEM_PAGES, [w.g, PAGES, 1, BUF])).toBe(EINVAL);
    expect(w.hc(MEM_PAGES, [w.g, 0, 0, BUF])).toBe(EINVAL);
    expect(w.hc(MEM_PAGES, [w.g, 0, 65, BUF])).toBe(EINVAL);
    expect(w.hc(MEM_PAGES, [w.g, -1n, 2, BUF])).toBe(EINVAL);
    // The buffer is checked for the whole batch before anything is written.
    expect(w.hc(MEM_PAGES, [w.g, 0, 64, 0x1000000 - 64 * 4104 + 8])).toBe(EFAULT);
    expect(w.hc(MEM_PAGES, [999, 0, 1, BUF])).toBe(ESRCH);
    expect(w.hc(MEM_PAGES, [w.ctl, 0, 1, BUF])).toBe(ESRCH);
    expect(w.hc(MEM_PAGES, [w.g, 0, 1, BUF], w.g)).toBe(EPERM);
  });

  it("GET: only a live, paused DomU other than the caller; unknown what; a bad buffer", () => {
    const w = saveWorld();
    expect(w.hc(STATE_GET, [w.ctl, STATE_CONFIG, CFG, 0])).toBe(ESRCH);
    expect(w.hc(STATE_GET, [999, STATE_CONFIG, CFG, 0])).toBe(ESRCH);
    expect(w.hc(STATE_GET, [w.g, 5, CFG, 0])).toBe(EINVAL);
    w.e.stateSetPaused(w.g, 0);
    expect(w.hc(STATE_GET, [w.g, STATE_RECORD, REC, 0])).toBe(EBUSY);
    w.e.stateSetPaused(w.g, 1);
    const n = w.hc(STATE_GET, [w.g, STATE_RECORD, REC, 0]);
    expect(w.hc(STATE_GET, [w.g, STATE_RECORD, 0xfff00000, n])).toBe(EFAULT);
    const c = w.create(w.config(w.g).replace("name=g", "name=c"));
    expect(w.hc(STATE_GET, [c, STATE_CONFIG, CFG, 0])).toBe(ESRCH);
    expect(w.hc(STATE_SET, [w.g, REC, Number(n)])).toBe(EINVAL);
    expect(w.hc(STATE_SET, [999, REC, Number(n)])).toBe(ESRCH);
    // A DomU holds no right to either.
    expect(w.hc(STATE_GET, [c, STATE_CONFIG, CFG, 0], w.g)).toBe(EPERM);
    expect(w.hc(STATE_SET, [c, REC, Number(n)], w.g)).toBe(EPERM);
  });

  it("save/restore/destroy cycles give back every frame", () => {
    // (The simulated machine's heap holds the records of the last stopped
    // domains, which the real one reaps beyond STOPPED_KEEP: a dozen here.)
    const w = saveWorld();
    const line = w.config(w.g).replace("name=g", "name=r");
    const rec = w.record(w.g);
    const cycle = () => {
      const r = w.create(line);
      w.loadFrom(r, w.g);
      expect(w.set(r, rec)).toBe(0n);
      expect(w.record(r).length).toBe(rec.length);
      expect(w.hc(DESTROY, [r])).toBe(0n);
    };
    cycle();
    const before = w.heap();
    for (let i = 0; i < 12; i++) cycle();
    expect(w.heap().frames).toBe(before.frames);
  });
});
