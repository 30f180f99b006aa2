// The world the state-tree tests share: a control domain and a 2 MiB DomU
// on the compiled wasm against the simulated VMX CPU, with management calls
// made as the control domain makes them and guest writes made as a guest
// makes them (a write to a read-only page is an EPT violation exit, copied
// on write by the run loop's exit path).
import { expect } from "vitest";
import { REG } from "../sim/vmx";
import { vmxMachine } from "./fixtures";

export const HC = { DOMAIN_PAUSE: 6, DOMAIN_UNPAUSE: 7, DOMAIN_DESTROY: 8, DOMAIN_INFO: 5, MEM_WRITE: 29, SNAP_CREATE: 32, SNAP_REVERT: 33, SNAP_DELETE: 34, SNAP_LIST: 35, FORK: 36, DEDUP: 37 };
const VMCALL = 18, EPT_VIOLATION = 48;
const ACT_RESUME = 0, ACT_NEXT = 1;
const EPT_WRITE = 2n, EPT_QUAL_WRITE = 2;
export const ESRCH = -3n, ENOENT = -2n, EEXIST = -17n, EBUSY = -16n, EINVAL = -22n, EPERM = -1n;
export const SNAPDEL_CHILDREN = 1;
const SNAPREC_SIZE = 56, SNAPFLAG_CURRENT = 1;
const DOMINFO_PAGES_OWN = 720, DOMINFO_PAGES_SHARED = 724, DOMINFO_PAGES_SNAPSHOTS = 728, DOMINFO_SNAPSHOTS = 732, DOMINFO_SIZE = 744;
export const NAME = 0x30000, BUF = 0x20000;
export const MEM = 2 << 20;            // the guest's RAM: one 2 MiB page
export const PAGES = MEM >> 12;

// Frames with two aligned 2 MiB runs (as tests/unit/mmio.test.ts has them).
export function world(gMem = "2M") {
  const { m, e, vmx, create } = vmxMachine(0xa00000n, 0x500000n);
  const ctl = create("ctl", "control=1");
  expect(e.heapRunning()).toBe(1);
  const g = create("g", "", gMem);
  expect(e.stateStart(g)).toBe(0);
  const hc = (nr: number, args: Array<number | bigint>, caller = ctl): bigint => {
    vmx.guest = (c) => {
      c.setReg(REG.RAX, nr);
      [REG.RDI, REG.RSI, REG.RDX, REG.R10].forEach((r, i) => c.setReg(r, BigInt.asUintN(64, BigInt(args[i] ?? 0))));
      c.set(0x4816, c.get(0x4816) | 0x2000n);   // CS.L: a 64-bit caller
      return c.exit(VMCALL, { length: 3 });
    };
    expect(e.testEnterOnce(caller, 0x1000) >>> 0).toBe(ACT_NEXT);
    return BigInt.asIntN(64, vmx.reg(e.testVcpuRegs(caller), REG.RAX));
  };
  const host = (id: number, gpa: number): number => {
    const h = Number(e.testGuestToHost(id, BigInt(gpa)));
    if (h === 0) throw new Error(`gpa ${gpa.toString(16)} not mapped`);
    return h;
  };
  const writable = (id: number, gpa: number): boolean => (e.stateEptLeaf(id, BigInt(gpa)) & EPT_WRITE) !== 0n;
  // The guest writes `v` at `gpa`: through an EPT violation first if its
  // page is read-only (the exit path copies it), as the CPU would.
  const poke = (id: number, gpa: number, v: number): void => {
    if (!writable(id, gpa)) {
      e.stateSetPaused(id, 0);
      vmx.guest = (c) => c.exit(EPT_VIOLATION, { qualification: EPT_QUAL_WRITE, gpa: BigInt(gpa) });
      expect(e.stateEnterOnce(id, 0, 0x1000) >>> 0, `fault at ${gpa.toString(16)}`).toBe(ACT_RESUME);
      expect(writable(id, gpa)).toBe(true);
      e.stateSetPaused(id, 1);
    }
    m.bytes[host(id, gpa)] = v;
  };
  const peek = (id: number, gpa: number): number => m.bytes[host(id, gpa)];
  // A word per page: its page number plus `seed`, and the page's hash.
  const stamp = (id: number, seed: number, pages: number[]): void => {
    for (const p of pages) poke(id, p << 12, (p + seed) & 0xff);
  };
  const image = (id: number): number[] => Array.from({ length: PAGES }, (_, p) => peek(id, p << 12));
  const name = (s: string): number => {
    const b = Buffer.from(s, "latin1");
    for (let i = 0; i < b.length; i++) m.bytes[host(ctl, NAME + i)] = b[i];
    return b.length;
  };
  const snap = (dom: number, label = ""): number => {
    const r = hc(HC.SNAP_CREATE, [dom, NAME, name(label)]);
    expect(r, `snapshot ${label}`).toBeGreaterThan(0n);
    return Number(r);
  };
  const revert = (dom: number, s: number): void => { expect(hc(HC.SNAP_REVERT, [dom, s])).toBe(0n); };
  const del = (dom: number, s: number, flags = 0): void => { expect(hc(HC.SNAP_DELETE, [dom, s, flags])).toBe(0n); };
  const list = (dom: number) => {
    const n = Number(hc(HC.SNAP_LIST, [dom, BUF, 64]));
    return Array.from({ length: n }, (_, i) => {
      const at = BUF + i * SNAPREC_SIZE;
      const u32 = (o: number) => new DataView(m.bytes.buffer, host(ctl, at + o), 4).getUint32(0, true);
      const raw = Array.from({ length: 32 }, (_, k) => m.bytes[host(ctl, at + 24 + k)]);
      const nul = raw.indexOf(0);
      return { id: u32(0), parent: u32(4), current: (u32(8) & SNAPFLAG_CURRENT) !== 0, pages: u32(12), name: Buffer.from(raw.slice(0, nul < 0 ? 32 : nul)).toString("latin1") };
    });
  };
  const info = (dom: number) => {
    expect(hc(HC.DOMAIN_INFO, [dom, BUF])).toBe(0n);
    const u32 = (o: number) => new DataView(m.bytes.buffer, host(ctl, BUF + o), 4).getUint32(0, true);
    return { own: u32(DOMINFO_PAGES_OWN), shared: u32(DOMINFO_PAGES_SHARED), snapshots: u32(DOMINFO_PAGES_SNAPSHOTS), count: u32(DOMINFO_SNAPSHOTS) };
  };
  const rbx = (dom: number): bigint => vmx.reg(e.testVcpuRegs(dom), REG.RBX);
  const setRbx = (dom: number, v: bigint): void => vmx.setReg(e.testVcpuRegs(dom), REG.RBX, v);
  // Forks of `dom` (from snapshot `s`, 0: now): the first new id.
  const fork = (dom: number, s = 0, label = "", count = 1): number => {
    const r = hc(HC.FORK, [dom, s, NAME, name(label) | (count << 16)]);
    expect(r, `fork of ${dom}`).toBeGreaterThan(0n);
    return Number(r);
  };
  const heap = () => ({ permanent: Number(e.heapPermanentUsed()), arenas: Number(e.heapArenaBytes()), frames: e.framesFree() });
  e.stateSetPaused(g, 1);
  return { m, e, vmx, ctl, g, hc, poke, peek, stamp, image, snap, revert, del, list, info, rbx, setRbx, heap, writable, create, name, fork };
}

export const all = Array.from({ length: PAGES }, (_, p) => p);

