// Memory that comes back (src/mm/region.ts, src/mm/heap.ts): what is made
// for a domain lives in its arena and goes back when it is reaped; what an
// exit or hypercall makes for a moment lives in the scratch arena, emptied
// after it. So creating and destroying domains, or a guest trying every
// MSR, leaves the hypervisor's heap and the host's frames where they were.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { REG } from "../sim/vmx";
import { vmxMachine } from "./fixtures";

const HC_DOMAIN_CREATE = 13, HC_DOMAIN_DESTROY = 8, HC_DOMAIN_LIST = 4;
const VMCALL = 18, RDMSR = 31, WRMSR = 32;
const CFG = 0x30000, BUF = 0x20000;
const STOPPED_KEEP = 16;
const RUNNABLE = 0;

function world() {
  const { m, e, vmx, create } = vmxMachine();
  const ctl = create("ctl", "control=1");
  // From here on as in the run loop: allocations are for a moment.
  expect(e.heapRunning()).toBe(1);
  const hc = (nr: number, args: Array<number | bigint>): bigint => {
    vmx.guest = (c) => {
      c.setReg(REG.RAX, nr);
      [REG.RDI, REG.RSI, REG.RDX, REG.R10].forEach((r, i) => c.setReg(r, BigInt(args[i] ?? 0)));
      c.set(0x4816, c.get(0x4816) | 0x2000n);   // CS.L: a 64-bit caller
      return c.exit(VMCALL, { length: 3 });
    };
    expect(e.testEnterOnce(ctl, 0x1000) >>> 0).toBe(1);
    return BigInt.asIntN(64, vmx.reg(e.testVcpuRegs(ctl), REG.RAX));
  };
  const text = (s: string) => {
    const b = Buffer.from(s, "latin1");
    for (let i = 0; i < b.length; i++) m.bytes[Number(e.testGuestToHost(ctl, BigInt(CFG + i)))] = b[i];
    return b.length;
  };
  const heap = () => ({
    permanent: Number(e.heapPermanentUsed()), arenas: Number(e.heapArenaBytes()), frames: e.framesFree(),
  });
  return { m, e, vmx, ctl, hc, text, heap };
}

describe("the hypervisor's heap", () => {
  it("10,000 domains created and destroyed leave the heap and the free frames exactly where they were", () => {
    const w = world();
    const len = w.text("domain mem=1M vcpus=2");
    const cycle = (): void => {
      const id = w.hc(HC_DOMAIN_CREATE, [CFG, len]);
      expect(id).toBeGreaterThan(0n);
      expect(w.hc(HC_DOMAIN_DESTROY, [id])).toBe(0n);
    };
    // The records of the last STOPPED_KEEP stopped domains are kept (list -a,
    // log, info); the first cycles fill them.
    for (let i = 0; i < STOPPED_KEEP + 4; i++) cycle();
    const before = w.heap();
    const frames0 = w.e.framesFree();
    for (let i = 0; i < 10_000; i++) cycle();
    expect(w.heap()).toEqual(before);
    expect(w.e.framesFree()).toBe(frames0);
    // Control domain, stopped records kept: nothing else is known.
    expect(w.e.testDomainCount()).toBe(1 + STOPPED_KEEP);
    expect(w.e.testDomainState(w.ctl)).toBe(RUNNABLE);
    expect(w.hc(HC_DOMAIN_LIST, [BUF, 32])).toBe(BigInt(1 + STOPPED_KEEP));
    console.log(`after 10,020 create/destroy cycles: permanent heap ${before.permanent} bytes, arenas ${before.arenas} bytes (${STOPPED_KEEP} stopped records kept)`);
  }, 120_000);

  it("a destroyed domain's frames come back at once; its record goes once STOPPED_KEEP newer ones stopped", () => {
    const w = world();
    const frames = w.e.framesFree();
    const arenas = Number(w.e.heapArenaBytes());
    const len = w.text("domain mem=1M");
    const first = Number(w.hc(HC_DOMAIN_CREATE, [CFG, len]));
    expect(w.hc(HC_DOMAIN_DESTROY, [first])).toBe(0n);
    expect(w.e.framesFree()).toBe(frames);
    expect(Number(w.e.heapArenaBytes())).toBeGreaterThan(arenas);   // its record is kept
    expect(w.e.testDomainState(first)).toBe(2);
    for (let i = 0; i < STOPPED_KEEP - 1; i++) w.hc(HC_DOMAIN_DESTROY, [w.hc(HC_DOMAIN_CREATE, [CFG, len])]);
    expect(w.e.testDomainState(first)).toBe(2);       // the 16th newest stopped: still there
    w.hc(HC_DOMAIN_DESTROY, [w.hc(HC_DOMAIN_CREATE, [CFG, len])]);
    expect(w.e.testDomainState(first) >>> 0).toBe(0xffffffff);   // reaped: unknown
    expect(w.e.framesFree()).toBe(frames);
  });

  it("a guest reading and writing 100,000 distinct unknown MSRs leaves the heap unchanged; 32 are logged", () => {
    const w = world();
    const id = w.e.testDomainCreate(0x20000n, 5n, w.m.newString("/boot/t.bin domain name=msr mem=1152K kind=flat64"), 0x3000);
    expect(id).toBeGreaterThan(0);
    w.m.takeSerial();
    const probe = (msr: number, write: boolean) => {
      w.vmx.guest = (c) => (c.setReg(REG.RCX, msr), c.exit(write ? WRMSR : RDMSR, { length: 2 }));
      w.e.testEnterOnce(id, 0x1000);
      w.e.scratchReset();   // as the run loop does between slices
    };
    for (let i = 0; i < 100; i++) probe(0x40001000 + i, false);
    const first = w.m.takeSerial().split("\r\n").filter((l) => l.includes("unknown MSR"));
    expect(first.length).toBe(32);
    expect(first[31]).toMatch(/: #GP injected \(reported once; further unknown MSRs are only counted\)$/);
    const before = w.heap();
    for (let i = 100; i < 100_000; i++) probe(0x40001000 + i, (i & 1) != 0);
    expect(w.heap()).toEqual(before);
    const lines = w.m.takeSerial().split("\n").filter((l) => l.includes("unknown MSR"));
    expect(lines.length).toBe(0);
    expect(w.e.testDomainState(id)).toBe(RUNNABLE);
  }, 60_000);

  it("has no shadow stack: the runtime keeps no stack of references in linear memory", () => {
    const wat = readFileSync(fileURLToPath(new URL("../../build/hv-test.wat", import.meta.url)), "utf8");
    expect(wat).not.toMatch(/__stack_pointer|__tostack/);
  });
});
