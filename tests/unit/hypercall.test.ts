// The management hypercalls (src/hypercall/manage.ts, dispatched by
// src/hypercall/dispatch.ts) on the compiled wasm against the simulated VMX
// CPU (tests/sim/vmx.ts): each call's success path, and for every malformed
// or unauthorised call the errno and "nothing changed". Domains are built by
// the real builder (a `control=1` module gets RIGHT_CONTROL) and the caller's
// VMCALL exit is driven through the run loop's enterOnce, as in
// tests/unit/exit-dispatch.test.ts.
import { describe, expect, it } from "vitest";
import { F, REG } from "../sim/vmx";
import { vmxMachine, IMAGE_BYTES } from "./fixtures";

// The ABI (src/arch/abi.ts).
const HC = {
  VERSION: 0, CONSOLE_WRITE: 1, YIELD: 2, SHUTDOWN: 3, DOMAIN_LIST: 4, DOMAIN_INFO: 5, DOMAIN_PAUSE: 6,
  DOMAIN_UNPAUSE: 7, DOMAIN_DESTROY: 8, CONSOLE_READ: 9, LOG_READ: 10, MODULE_LIST: 11, MODULE_READ: 12,
  DOMAIN_CREATE: 13, DOMAIN_LOAD: 14, VCPU_SET_ENTRY: 15, DOMAIN_START: 16, EVENT_SETUP: 17, CONSOLE_INPUT: 18,
  HOST_INFO: 19, CPU_INFO: 20, HOST_POWER: 21,
  VCPU_START: 22, SCHED_GET: 23, SCHED_SET: 24, VCPU_INFO: 25, VCPU_PIN: 26, TIMER_SET: 27,
  DOMAIN_MEM_READ: 28, DOMAIN_MEM_WRITE: 29, VCPU_GET: 30, VCPU_SET: 31,
  SNAPSHOT_CREATE: 32, SNAPSHOT_REVERT: 33, SNAPSHOT_DELETE: 34, SNAPSHOT_LIST: 35, DOMAIN_FORK: 36, DOMAIN_DEDUP: 37, DOMAIN_RIGHTS: 38, DOMAIN_STATE_GET: 39, DOMAIN_STATE_SET: 40, DOMAIN_MEM_PAGES: 41, COUNT: 42,
};
// Every call from HC_DOMAIN_LIST on but the caller's own (HC_EVENT_SETUP,
// HC_VCPU_START, HC_TIMER_SET).
const MANAGEMENT = [HC.DOMAIN_LIST, HC.DOMAIN_INFO, HC.DOMAIN_PAUSE, HC.DOMAIN_UNPAUSE, HC.DOMAIN_DESTROY, HC.CONSOLE_READ, HC.LOG_READ,
  HC.MODULE_LIST, HC.MODULE_READ, HC.DOMAIN_CREATE, HC.DOMAIN_LOAD, HC.VCPU_SET_ENTRY, HC.DOMAIN_START,
  HC.CONSOLE_INPUT, HC.HOST_INFO, HC.CPU_INFO, HC.HOST_POWER,
  HC.SCHED_GET, HC.SCHED_SET, HC.VCPU_INFO, HC.VCPU_PIN, HC.DOMAIN_MEM_READ, HC.DOMAIN_MEM_WRITE, HC.VCPU_GET,
  HC.VCPU_SET, HC.SNAPSHOT_CREATE, HC.SNAPSHOT_REVERT, HC.SNAPSHOT_DELETE, HC.SNAPSHOT_LIST, HC.DOMAIN_FORK, HC.DOMAIN_DEDUP, HC.DOMAIN_RIGHTS,
  HC.DOMAIN_STATE_GET, HC.DOMAIN_STATE_SET, HC.DOMAIN_MEM_PAGES];
const EPERM = -1n, ESRCH = -3n, ENOMEM = -12n, EFAULT = -14n, EINVAL = -22n, ENOSYS = -38n;
const RIGHT_CONTROL = 0x3f;
const RIGHTS = { domains: 1, memory: 2, sched: 4, host: 8, power: 16, console: 32 };
const DOMREC_SIZE = 56, DOMINFO_SIZE = 744;
const DOMFLAG_PAUSED = 1, DOMFLAG_CONTROL = 2;
const DOMAIN_RUNNABLE = 0, DOMAIN_STOPPED = 2;
const VMCALL = 18, CPUID_EXIT = 10;
const ACT_NEXT = 1;

const MEM = 0x120000;     // 1152K: the test domains' memory
const BUF = 0x20000;      // a guest buffer well inside it
const U64 = (1n << 64n) - 1n;

// Frames for the domains: [0x100000, 0x3f0000) below the wasm's static data
// and heap (HV_WASM_BASE, 4 MiB), or a larger range well above the heap.
function world(framesBase = 0x100000n, framesLen = 0x2f0000n) {
  const { m, e, vmx, create } = vmxMachine(framesBase, framesLen);
  // The first domain also allocates the shared VMX bitmaps: frame counts
  // are compared after it.
  e.testDomainStop(create("warmup"), m.newString("warm-up"));
  const w = {
    m, e, vmx, create,
    free: (): bigint => e.framesFree(),
    state: (id: number): number => e.testDomainState(id),
    paused: (id: number): boolean => e.testDomainPaused(id) !== 0,
    stopReason: (id: number): string => m.str("testDomainStopReason", id) ?? "",
    // One VMCALL by domain `id`: RAX = nr, RDI, RSI, RDX, R10 = args; the
    // result as a signed number. `wide` false: a caller in 32-bit mode.
    hc(id: number, nr: number, args: Array<bigint | number> = [], wide = true): bigint {
      const regs = [REG.RDI, REG.RSI, REG.RDX, REG.R10];
      vmx.guest = (c) => {
        c.setReg(REG.RAX, nr);
        for (let i = 0; i < regs.length; i++) c.setReg(regs[i], BigInt.asUintN(64, BigInt(args[i] ?? 0)));
        const ar = c.get(F.GUEST_CS_ACCESS_RIGHTS);
        c.set(F.GUEST_CS_ACCESS_RIGHTS, wide ? ar | 0x2000n : ar & ~0x2000n);
        return c.exit(VMCALL, { length: 3 });
      };
      const action = e.testEnterOnce(id, 0x1000) >>> 0;
      expect(action, `hypercall ${nr} action`).toBe(ACT_NEXT);
      return BigInt.asIntN(64, vmx.reg(e.testVcpuRegs(id), REG.RAX));
    },
    // Guest-physical memory of domain `id`, through its EPT.
    read(id: number, gpa: number, len: number): Uint8Array {
      const out = new Uint8Array(len);
      for (let i = 0; i < len; i++) {
        const h = Number(e.testGuestToHost(id, BigInt(gpa + i)));
        if (h === 0) throw new Error(`gpa ${gpa + i} not mapped`);
        out[i] = m.bytes[h];
      }
      return out;
    },
    write(id: number, gpa: number, data: Uint8Array): void {
      for (let i = 0; i < data.length; i++) m.bytes[Number(e.testGuestToHost(id, BigInt(gpa + i)))] = data[i];
    },
    fill(id: number, gpa: number, len: number, v: number): void { w.write(id, gpa, new Uint8Array(len).fill(v)); },
  };
  return w;
}

// A control domain and an ordinary one.
function pair(framesBase?: bigint, framesLen?: bigint) {
  const w = world(framesBase, framesLen);
  const ctl = w.create("ctl", "control=1");
  const dom = w.create("dom");
  return { w, ctl, dom };
}

interface Rec { id: number; state: number; memKiB: bigint; vcpus: number; flags: number; name: string }
function parseRec(b: Uint8Array, off = 0): Rec {
  const v = new DataView(b.buffer, b.byteOffset + off);
  const nameBytes = b.subarray(off + 24, off + 56);
  const nul = nameBytes.indexOf(0);
  return {
    id: v.getUint32(0, true), state: v.getUint32(4, true), memKiB: v.getBigUint64(8, true),
    vcpus: v.getUint32(16, true), flags: v.getUint32(20, true),
    name: Buffer.from(nameBytes.subarray(0, nul < 0 ? 32 : nul)).toString("latin1"),
  };
}

describe("management hypercalls: the control right", () => {
  it("a module with control=1 holds every right (RIGHT_CONTROL); rights= names some; others hold none", () => {
    const w = world();
    expect(w.e.testDomainRights(w.create("a", "control=1"))).toBe(RIGHT_CONTROL);
    for (const opt of ["control=0", "control=yes", "control=", "xcontrol=1", "rights=none", ""]) {
      expect(w.e.rightsFromCmdline(w.m.newString(`name=x mem=1M ${opt}`)), opt).toBe(0);
    }
    expect(w.e.rightsFromCmdline(w.m.newString("control=0 control=1"))).toBe(RIGHT_CONTROL); // last wins
    expect(w.e.rightsFromCmdline(w.m.newString("rights=host,sched"))).toBe(RIGHTS.host | RIGHTS.sched);
    expect(w.e.rightsFromCmdline(w.m.newString("rights=all"))).toBe(RIGHT_CONTROL);
    // An unknown name is a config error, not a silent nothing.
    expect(() => w.create("b", "rights=domains,root")).toThrow("domain not built");
  });

  it("each management call needs its own right; a domain holding others gets -EPERM from it", () => {
    const w = world();
    const NEED: Record<keyof typeof RIGHTS, number[]> = {
      domains: [HC.DOMAIN_LIST, HC.DOMAIN_INFO, HC.DOMAIN_PAUSE, HC.DOMAIN_UNPAUSE, HC.DOMAIN_DESTROY, HC.CONSOLE_READ,
        HC.MODULE_LIST, HC.MODULE_READ, HC.DOMAIN_CREATE, HC.DOMAIN_LOAD, HC.VCPU_SET_ENTRY, HC.DOMAIN_START,
        HC.CONSOLE_INPUT, HC.SCHED_GET, HC.VCPU_INFO, HC.SNAPSHOT_CREATE, HC.SNAPSHOT_REVERT, HC.SNAPSHOT_DELETE,
        HC.SNAPSHOT_LIST, HC.DOMAIN_FORK, HC.DOMAIN_DEDUP, HC.DOMAIN_RIGHTS],
      memory: [HC.DOMAIN_MEM_READ, HC.DOMAIN_MEM_WRITE, HC.VCPU_GET, HC.VCPU_SET, HC.DOMAIN_STATE_GET, HC.DOMAIN_STATE_SET, HC.DOMAIN_MEM_PAGES],
      sched: [HC.SCHED_SET, HC.VCPU_PIN],
      host: [HC.LOG_READ, HC.HOST_INFO, HC.CPU_INFO],
      power: [HC.HOST_POWER],
      console: [],
    };
    expect(Object.values(NEED).flat().sort((a, b) => a - b)).toEqual(MANAGEMENT);
    // Arguments each call refuses (no such domain, a bad operation) once past its right.
    const bad = (nr: number): Array<number | bigint> =>
      nr === HC.HOST_POWER ? [7] : nr === HC.DOMAIN_CREATE ? [BUF, 0] : nr === HC.DOMAIN_DEDUP ? [BUF, 0] :
      nr === HC.DOMAIN_LIST || nr === HC.MODULE_LIST || nr === HC.HOST_INFO ? [BUF, 0] : [999, 999, BUF, 0];
    for (const [name, bit] of Object.entries(RIGHTS)) {
      const d = w.create(`r-${name}`, `rights=${name}`);
      expect(w.e.testDomainRights(d)).toBe(bit);
      for (const [right, calls] of Object.entries(NEED)) {
        for (const nr of calls) {
          const r = w.hc(d, nr, bad(nr));
          if (right === name) expect(r, `${name}: call ${nr}`).not.toBe(EPERM);
          else expect(r, `${name}: call ${nr}`).toBe(EPERM);
        }
      }
      w.e.testDomainStop(d, w.m.newString("done"));
    }
  });

  it("a domain gives a domain it creates, or sets on one, only rights it holds, and takes them back", () => {
    const w = world(0xa00000n, 0x500000n);
    const ctl = w.create("ctl", "control=1");
    const mgr = w.create("mgr", "rights=domains,host");
    const dom = w.create("dom");
    const config = (caller: number, line: string): bigint => {
      w.write(caller, BUF, Buffer.from(line, "latin1"));
      return w.hc(caller, HC.DOMAIN_CREATE, [BUF, line.length, 0, 0]);
    };
    expect(config(mgr, "domain name=c1 mem=1M rights=host,sched")).toBe(EPERM);
    expect(config(mgr, "domain name=c1 mem=1M control=1")).toBe(EPERM);
    const c1 = Number(config(mgr, "domain name=c1 mem=1M rights=host"));
    expect(c1).toBeGreaterThan(0);
    expect(w.e.testDomainRights(c1)).toBe(RIGHTS.host);
    // Set and taken back; never more than the caller holds, never over one that holds more.
    expect(w.hc(mgr, HC.DOMAIN_RIGHTS, [dom, RIGHTS.domains])).toBe(0n);
    expect(w.e.testDomainRights(dom)).toBe(RIGHTS.domains);
    expect(w.hc(mgr, HC.DOMAIN_RIGHTS, [dom, 0])).toBe(0n);
    expect(w.e.testDomainRights(dom)).toBe(0);
    expect(w.hc(mgr, HC.DOMAIN_RIGHTS, [dom, RIGHTS.memory])).toBe(EPERM);
    expect(w.hc(mgr, HC.DOMAIN_RIGHTS, [ctl, 0])).toBe(EPERM);
    expect(w.e.testDomainRights(ctl)).toBe(RIGHT_CONTROL);
    expect(w.hc(mgr, HC.DOMAIN_RIGHTS, [mgr, 0])).toBe(ESRCH);
    expect(w.hc(mgr, HC.DOMAIN_RIGHTS, [dom, 1 << 6])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_RIGHTS, [mgr, RIGHTS.host])).toBe(0n);
    // mgr lost domains: its management calls are refused now.
    expect(w.hc(mgr, HC.DOMAIN_LIST, [BUF, 1])).toBe(EPERM);
    expect(w.hc(mgr, HC.HOST_INFO, [BUF])).toBe(0n);
    // Ports too: Domain 0 (ctl) reaches COM1 and PCI configuration space and
    // may give those to a driver domain, nothing else; mgr reaches none.
    const passes = (id: number, port: number): boolean => {
      const b = Number(w.e.testDomainIoBitmapA(id));
      return b !== 0 && (w.m.bytes[b + (port >> 3)] & (1 << (port & 7))) === 0;
    };
    expect(passes(ctl, 0xcf8)).toBe(true);
    expect(config(ctl, "domain name=drv1 mem=1M ioports=0x1f0-0x1f7")).toBe(EPERM);
    expect(w.hc(ctl, HC.DOMAIN_RIGHTS, [mgr, RIGHTS.domains])).toBe(0n);
    expect(config(mgr, "domain name=drv2 mem=1M ioports=0xcf8")).toBe(EPERM);
    expect(w.hc(ctl, HC.DOMAIN_DESTROY, [c1])).toBe(0n);     // (its memory, for the next)
    const drv = Number(config(ctl, "domain name=drv3 mem=1M ioports=0xcf8-0xcff"));
    expect(drv).toBeGreaterThan(0);
    expect([0xcf7, 0xcf8, 0xcfc, 0xcff, 0xd00, 0x3f8].map((p) => passes(drv, p))).toEqual([false, true, true, true, false, false]);
  });

  it("ioports= gives a boot module the ports it names and no others; a bad range is a config error", () => {
    const w = world();
    const drv = w.create("drv", "ioports=0x1f0-0x1f7,0x3f6");
    const b = Number(w.e.testDomainIoBitmapA(drv));
    expect(b).not.toBe(0);
    const passes = (p: number) => (w.m.bytes[b + (p >> 3)] & (1 << (p & 7))) === 0;
    expect([0x1ef, 0x1f0, 0x1f7, 0x1f8, 0x3f6, 0x3f7, 0x3f8, 0xcf8].map(passes)).toEqual([false, true, true, false, true, false, false, false]);
    for (const bad of ["0x8000", "0x10-0x8", "x", "0x1f0-", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"]) {
      expect(() => w.create(`bad${bad.length}`, `ioports=${bad}`), bad).toThrow("domain not built");
    }
  });

  it("a domain without the right gets -EPERM from every management call and nothing changes", () => {
    const { w, ctl, dom } = pair();
    w.fill(dom, BUF, 0x1000, 0xa5);
    const free = w.free();
    const calls: Array<[number, Array<number | bigint>]> = [
      [HC.DOMAIN_LIST, [BUF, 4]], [HC.DOMAIN_INFO, [ctl, BUF]], [HC.DOMAIN_PAUSE, [ctl]],
      [HC.DOMAIN_UNPAUSE, [ctl]], [HC.DOMAIN_DESTROY, [ctl]], [HC.CONSOLE_READ, [ctl, 0, BUF, 64]],
      [HC.LOG_READ, [0, BUF, 64]],
      [HC.MODULE_LIST, [BUF, 4]], [HC.MODULE_READ, [0, 0, BUF, 64]], [HC.DOMAIN_CREATE, [BUF, 16]],
      [HC.DOMAIN_LOAD, [ctl, 0x10000, BUF, 16]], [HC.VCPU_SET_ENTRY, [ctl, 0, BUF]], [HC.DOMAIN_START, [ctl]],
      [HC.CONSOLE_INPUT, [ctl, BUF, 4]],
      [HC.HOST_INFO, [BUF]], [HC.CPU_INFO, [0, BUF]], [HC.HOST_POWER, [0]], [HC.HOST_POWER, [1]],
      [HC.SCHED_GET, [ctl, BUF]], [HC.SCHED_SET, [ctl, 1, 10]], [HC.VCPU_INFO, [ctl, 0, BUF]], [HC.VCPU_PIN, [ctl, 0, 1]],
      [HC.DOMAIN_MEM_READ, [ctl, BUF, BUF, 64]], [HC.DOMAIN_MEM_WRITE, [ctl, BUF, BUF, 64]], [HC.VCPU_GET, [ctl, 0, BUF]],
      [HC.VCPU_SET, [ctl, 0, 0, 1]], [HC.SNAPSHOT_CREATE, [ctl, BUF, 0]], [HC.SNAPSHOT_REVERT, [ctl, 1]],
      [HC.SNAPSHOT_DELETE, [ctl, 1, 0]], [HC.SNAPSHOT_LIST, [ctl, BUF, 4]], [HC.DOMAIN_FORK, [ctl, 0, BUF, 0]],
      [HC.DOMAIN_DEDUP, [BUF, 1]], [HC.DOMAIN_RIGHTS, [ctl, 0]],
      [HC.DOMAIN_STATE_GET, [ctl, 1, BUF, 64]], [HC.DOMAIN_STATE_SET, [ctl, BUF, 256]], [HC.DOMAIN_MEM_PAGES, [ctl, 0, 1, BUF]],
      // Even with bad arguments the answer is -EPERM: a DomU learns nothing else.
      [HC.DOMAIN_INFO, [999, BUF]], [HC.DOMAIN_LIST, [BUF, 1 << 20]], [HC.LOG_READ, [0, U64 - 8n, 64]],
    ];
    expect(calls.map(([nr]) => nr).filter((n, i, a) => a.indexOf(n) === i).sort((a, b) => a - b)).toEqual(MANAGEMENT);
    for (const [nr, args] of calls) expect(w.hc(dom, nr, args), `call ${nr}`).toBe(EPERM);
    // Taking the serial console (EVSETUP_FLAG_CONSOLE) is management too.
    expect(w.hc(dom, HC.EVENT_SETUP, [0x10000, 0x40, 1])).toBe(EPERM);
    expect(w.state(ctl)).toBe(DOMAIN_RUNNABLE);
    expect(w.paused(ctl)).toBe(false);
    expect(w.free()).toBe(free);
    expect(w.read(dom, BUF, 0x1000).every((b) => b === 0xa5)).toBe(true);
    expect(w.state(dom)).toBe(DOMAIN_RUNNABLE);
    // Paused by the control domain, the DomU cannot unpause itself either.
    expect(w.hc(ctl, HC.DOMAIN_PAUSE, [dom])).toBe(0n);
    expect(w.hc(dom, HC.DOMAIN_UNPAUSE, [dom])).toBe(EPERM);
    expect(w.paused(dom)).toBe(true);
  });

  it("numbers at or above HC_COUNT are -ENOSYS, with or without the right", () => {
    const { w, ctl, dom } = pair();
    for (const id of [ctl, dom]) {
      expect(w.hc(id, HC.COUNT)).toBe(ENOSYS);
      expect(w.hc(id, 0x7fffffff)).toBe(ENOSYS);
    }
  });
});

describe("management hypercalls: success paths", () => {
  it("HC_DOMAIN_LIST fills one record per domain, in id order, and returns the count", () => {
    const { w, ctl, dom } = pair();
    expect(w.hc(ctl, HC.DOMAIN_PAUSE, [dom])).toBe(0n);
    w.fill(ctl, BUF, 0x400, 0xee);
    const n = w.hc(ctl, HC.DOMAIN_LIST, [BUF, 8]);
    expect(n).toBe(BigInt(w.e.testDomainCount()));
    expect(n).toBe(3n); // warmup (stopped), ctl, dom
    const b = w.read(ctl, BUF, 0x400);
    const recs = [0, 1, 2].map((i) => parseRec(b, i * DOMREC_SIZE));
    expect(recs[0]).toMatchObject({ name: "warmup", state: DOMAIN_STOPPED, memKiB: 1152n, flags: 0 });
    expect(recs[1]).toEqual({ id: ctl, state: DOMAIN_RUNNABLE, memKiB: 1152n, vcpus: 1, flags: DOMFLAG_CONTROL, name: "ctl" });
    expect(recs[2]).toEqual({ id: dom, state: DOMAIN_RUNNABLE, memKiB: 1152n, vcpus: 1, flags: DOMFLAG_PAUSED, name: "dom" });
    // The name field is NUL-padded; nothing past the last record is written.
    expect(b.subarray(DOMREC_SIZE + 24 + 3, DOMREC_SIZE + 56).every((x) => x === 0)).toBe(true);
    expect(b.subarray(3 * DOMREC_SIZE).every((x) => x === 0xee)).toBe(true);
    // A smaller buffer: only that many records.
    w.fill(ctl, BUF, 0x400, 0xee);
    expect(w.hc(ctl, HC.DOMAIN_LIST, [BUF, 1])).toBe(1n);
    expect(parseRec(w.read(ctl, BUF, DOMREC_SIZE)).name).toBe("warmup");
    expect(w.read(ctl, BUF + DOMREC_SIZE, 0x100).every((x) => x === 0xee)).toBe(true);
    expect(w.hc(ctl, HC.DOMAIN_LIST, [BUF, 0])).toBe(0n);
    expect(w.hc(ctl, HC.DOMAIN_LIST, [U64, 0])).toBe(0n); // no bytes: no buffer needed
  });

  it("HC_DOMAIN_INFO: the record, run time and exit counts by reason", () => {
    const { w, ctl, dom } = pair();
    for (let i = 0; i < 3; i++) {
      w.vmx.guest = (c) => (c.setReg(REG.RAX, 0), c.setReg(REG.RCX, 0), c.exit(CPUID_EXIT, { length: 2 }));
      expect(w.e.testEnterOnce(dom, 0x1000)).toBe(ACT_NEXT);
    }
    w.e.testDomainCharge(dom, 1000n);
    w.e.testDomainCharge(dom, 0x100000000n);
    w.fill(ctl, BUF, DOMINFO_SIZE + 16, 0xee);
    expect(w.hc(ctl, HC.DOMAIN_INFO, [dom, BUF])).toBe(0n);
    const b = w.read(ctl, BUF, DOMINFO_SIZE + 16);
    const v = new DataView(b.buffer);
    expect(parseRec(b)).toEqual({ id: dom, state: DOMAIN_RUNNABLE, memKiB: 1152n, vcpus: 1, flags: 0, name: "dom" });
    // Run ticks: the run loop charges per slice (not driven here), so just
    // the charges above.
    expect(v.getBigUint64(56, true)).toBe(0x100000000n + 1000n);
    expect(v.getInt32(64, true)).toBe(-1);                          // exit code
    expect(v.getUint32(68, true)).toBe(80);                         // exit slots
    const exits = Array.from({ length: 80 }, (_, i) => v.getBigUint64(72 + 8 * i, true));
    for (let r = 0; r < 80; r++) expect(exits[r], `reason ${r}`).toBe(w.e.testDomainExitCount(dom, r));
    expect(exits[CPUID_EXIT]).toBe(3n);
    expect(exits.reduce((a, x) => a + x, 0n)).toBe(3n);
    expect(b.subarray(DOMINFO_SIZE).every((x) => x === 0xee)).toBe(true);
    // The caller itself: its VMCALLs so far, this one included.
    expect(w.hc(ctl, HC.DOMAIN_INFO, [ctl, BUF])).toBe(0n);
    const c = new DataView(w.read(ctl, BUF, DOMINFO_SIZE).buffer);
    expect(c.getUint32(20, true)).toBe(DOMFLAG_CONTROL);
    expect(c.getBigUint64(72 + 8 * VMCALL, true)).toBe(2n);
  });

  it("HC_DOMAIN_PAUSE / HC_DOMAIN_UNPAUSE set and clear `paused`, idempotently; not the caller itself", () => {
    const { w, ctl, dom } = pair();
    expect(w.paused(dom)).toBe(false);
    expect(w.hc(ctl, HC.DOMAIN_PAUSE, [dom])).toBe(0n);
    expect(w.paused(dom)).toBe(true);
    expect(w.state(dom)).toBe(DOMAIN_RUNNABLE); // paused is not a state change
    expect(w.hc(ctl, HC.DOMAIN_PAUSE, [dom])).toBe(0n);
    expect(w.paused(dom)).toBe(true);
    expect(w.hc(ctl, HC.DOMAIN_INFO, [dom, BUF])).toBe(0n);
    expect(parseRec(w.read(ctl, BUF, DOMREC_SIZE)).flags).toBe(DOMFLAG_PAUSED);
    expect(w.hc(ctl, HC.DOMAIN_UNPAUSE, [dom])).toBe(0n);
    expect(w.paused(dom)).toBe(false);
    expect(w.hc(ctl, HC.DOMAIN_UNPAUSE, [dom])).toBe(0n);
    expect(w.paused(dom)).toBe(false);
    // Pausing itself would leave nothing to unpause it.
    expect(w.hc(ctl, HC.DOMAIN_PAUSE, [ctl])).toBe(EINVAL);
    expect(w.paused(ctl)).toBe(false);
    expect(w.hc(ctl, HC.DOMAIN_UNPAUSE, [ctl])).toBe(0n);
  });

  it("HC_DOMAIN_DESTROY stops the domain, scrubs and returns its frames; it is never entered again", () => {
    const w = world();
    const before = w.free();
    const ctl = w.create("ctl", "control=1");
    const afterCtl = w.free();
    const dom = w.create("victim");
    expect(w.free()).toBeLessThan(afterCtl);
    w.fill(dom, 0, MEM, 0x5a);
    const hpa = Number(w.e.testGuestToHost(dom, BigInt(BUF)));
    expect(w.hc(ctl, HC.DOMAIN_PAUSE, [dom])).toBe(0n);
    w.m.takeSerial();
    expect(w.hc(ctl, HC.DOMAIN_DESTROY, [dom])).toBe(0n);
    expect(w.state(dom)).toBe(DOMAIN_STOPPED);
    expect(w.stopReason(dom)).toBe(`destroyed by domain ${ctl}`);
    expect(w.m.takeSerial()).toContain(`hv: domain ${dom} (victim) stopped: destroyed by domain ${ctl}`);
    expect(w.free()).toBe(afterCtl);
    expect(w.e.testDomainChunks(dom)).toBe(0);
    expect(w.e.testVcpuVmcs(dom)).toBe(0n);
    expect(w.m.bytes.subarray(hpa, hpa + 0x1000).every((x) => x === 0)).toBe(true); // scrubbed
    expect(w.e.testEnterOnce(dom, 0) >>> 0).toBe(0xffffffff);
    // Its id stays known (stopped) but nothing more can be done to it.
    for (const nr of [HC.DOMAIN_DESTROY, HC.DOMAIN_PAUSE, HC.DOMAIN_UNPAUSE]) expect(w.hc(ctl, nr, [dom]), `call ${nr}`).toBe(ESRCH);
    expect(w.hc(ctl, HC.DOMAIN_INFO, [dom, BUF])).toBe(0n);
    expect(parseRec(w.read(ctl, BUF, DOMREC_SIZE))).toMatchObject({ id: dom, state: DOMAIN_STOPPED, name: "victim" });
    // The caller is unaffected and may not destroy itself.
    expect(w.hc(ctl, HC.DOMAIN_DESTROY, [ctl])).toBe(EINVAL);
    expect(w.state(ctl)).toBe(DOMAIN_RUNNABLE);
    w.e.testDomainStop(ctl, w.m.newString("done"));
    expect(w.free()).toBe(before);
  });

  it("HC_CONSOLE_READ copies the target's console ring from a position", () => {
    const { w, ctl, dom } = pair();
    const text = Buffer.from("hello from dom\n", "latin1");
    w.write(dom, BUF, text);
    expect(w.hc(dom, HC.CONSOLE_WRITE, [BUF, text.length])).toBe(BigInt(text.length));
    w.fill(ctl, BUF, 64, 0xee);
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 0, BUF, 64])).toBe(BigInt(text.length));
    const got = w.read(ctl, BUF, 64);
    expect(Buffer.from(got.subarray(0, text.length)).toString("latin1")).toBe("hello from dom\n");
    expect(got.subarray(text.length).every((x) => x === 0xee)).toBe(true);
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 6, BUF, 4])).toBe(4n);
    expect(Buffer.from(w.read(ctl, BUF, 4)).toString("latin1")).toBe("from");
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, text.length, BUF, 64])).toBe(0n);
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, U64, BUF, 64])).toBe(0n);
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 0, BUF, 0])).toBe(0n);
    // The console of a stopped domain can still be read.
    w.e.testDomainStop(dom, w.m.newString("done"));
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 0, BUF, 5])).toBe(5n);
    expect(Buffer.from(w.read(ctl, BUF, 5)).toString("latin1")).toBe("hello");
  });

  it("HC_LOG_READ copies the hypervisor log ring (what went to the serial port, without CRs)", () => {
    const { w, ctl } = pair();
    const log = w.m.serial.replace(/\r/g, "");
    expect(log.length).toBeGreaterThan(100);
    expect(w.hc(ctl, HC.LOG_READ, [0, BUF, 4096])).toBe(BigInt(Math.min(4096, Number(w.e.logHead()))));
    expect(Buffer.from(w.read(ctl, BUF, 100)).toString("latin1")).toBe(log.slice(0, 100));
    expect(w.hc(ctl, HC.LOG_READ, [10, BUF, 20])).toBe(20n);
    expect(Buffer.from(w.read(ctl, BUF, 20)).toString("latin1")).toBe(log.slice(10, 30));
    expect(w.hc(ctl, HC.LOG_READ, [w.e.logHead(), BUF, 64])).toBe(0n);
    // LOG_READ_OWN: the hypervisor's own lines, here all of them (no domain
    // has printed); other flags are refused.
    expect(w.hc(ctl, HC.LOG_READ, [0, BUF, 100, 1])).toBe(100n);
    expect(Buffer.from(w.read(ctl, BUF, 100)).toString("latin1")).toBe(log.slice(0, 100));
    expect(w.hc(ctl, HC.LOG_READ, [0, BUF, 100, 2])).toBe(EINVAL);
  });

  it("a 32-bit caller: arguments truncated to 32 bits, R10 (len of HC_CONSOLE_READ) reads as 0", () => {
    const { w, ctl, dom } = pair();
    expect(w.hc(ctl, HC.DOMAIN_INFO, [(0xdeadn << 32n) | BigInt(dom), (0xbeefn << 32n) | BigInt(BUF)], false)).toBe(0n);
    expect(parseRec(w.read(ctl, BUF, DOMREC_SIZE)).id).toBe(dom);
    expect(w.hc(ctl, HC.DOMAIN_INFO, [(0xdeadn << 32n) | BigInt(dom), BUF])).toBe(ESRCH); // 64-bit: not truncated
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 0, BUF, 64], false)).toBe(0n);
  });
});

describe("management hypercalls: malformed calls fail and change nothing", () => {
  const badIds = [0n, 999n, 1n << 32n, U64];

  it("-ESRCH for an id that names no domain (ids are not truncated)", () => {
    const { w, ctl, dom } = pair();
    w.fill(ctl, BUF, 0x400, 0xee);
    const free = w.free();
    for (const id of [...badIds, (1n << 32n) | BigInt(dom)]) {
      expect(w.hc(ctl, HC.DOMAIN_INFO, [id, BUF]), `info ${id}`).toBe(ESRCH);
      expect(w.hc(ctl, HC.DOMAIN_PAUSE, [id]), `pause ${id}`).toBe(ESRCH);
      expect(w.hc(ctl, HC.DOMAIN_UNPAUSE, [id]), `unpause ${id}`).toBe(ESRCH);
      expect(w.hc(ctl, HC.DOMAIN_DESTROY, [id]), `destroy ${id}`).toBe(ESRCH);
      expect(w.hc(ctl, HC.CONSOLE_READ, [id, 0, BUF, 64]), `console ${id}`).toBe(ESRCH);
    }
    expect(w.read(ctl, BUF, 0x400).every((x) => x === 0xee)).toBe(true);
    expect([w.state(dom), w.paused(dom), w.free()]).toEqual([DOMAIN_RUNNABLE, false, free]);
  });

  it("-EFAULT for a buffer outside the caller's memory, straddling its end, or wrapping around 2^64; nothing written", () => {
    const { w, ctl, dom } = pair();
    w.write(dom, BUF, Buffer.from("some console bytes for the read\n"));
    w.hc(dom, HC.CONSOLE_WRITE, [BUF, 32]);
    const bad = (len: number): Array<bigint> => [
      BigInt(MEM), BigInt(MEM) + 0x1000n, 1n << 32n, BigInt(MEM - 8), // outside, and straddling the end
      U64 - 0xfn, U64 & ~0xfffn, 1n << 63n,                          // wrapping, or far beyond
    ].filter((g) => g !== BigInt(MEM - 8) || len > 8);
    w.fill(ctl, MEM - 0x1000, 0x1000, 0xee);
    for (const gpa of bad(DOMINFO_SIZE)) {
      expect(w.hc(ctl, HC.DOMAIN_LIST, [gpa, 4]), `list at ${gpa}`).toBe(EFAULT);
      expect(w.hc(ctl, HC.DOMAIN_INFO, [dom, gpa]), `info at ${gpa}`).toBe(EFAULT);
      expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 0, gpa, 32]), `console at ${gpa}`).toBe(EFAULT);
      expect(w.hc(ctl, HC.LOG_READ, [0, gpa, 32]), `log at ${gpa}`).toBe(EFAULT);
    }
    // The whole declared buffer counts, not just what would be filled: 3
    // records fit before the end, room for 1024 was claimed.
    expect(w.hc(ctl, HC.DOMAIN_LIST, [MEM - 4 * DOMREC_SIZE, 1024])).toBe(EFAULT);
    expect(w.hc(ctl, HC.LOG_READ, [w.e.logHead(), MEM - 8, 64])).toBe(EFAULT); // nothing to read, still checked
    expect(w.read(ctl, MEM - 0x1000, 0x1000).every((x) => x === 0xee)).toBe(true);
    // Exactly at the end is fine.
    expect(w.hc(ctl, HC.DOMAIN_INFO, [dom, MEM - DOMINFO_SIZE])).toBe(0n);
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 0, MEM - 32, 32])).toBe(32n);
  });

  it("-EINVAL for sizes over the limits", () => {
    const { w, ctl, dom } = pair();
    w.fill(ctl, BUF, 0x2000, 0xee);
    for (const max of [1025n, 0x100000000n, U64, U64 / 56n + 1n]) expect(w.hc(ctl, HC.DOMAIN_LIST, [BUF, max]), `max ${max}`).toBe(EINVAL);
    for (const len of [4097n, 0x100000000n + 16n, U64]) {
      expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 0, BUF, len]), `console len ${len}`).toBe(EINVAL);
      expect(w.hc(ctl, HC.LOG_READ, [0, BUF, len]), `log len ${len}`).toBe(EINVAL);
    }
    expect(w.read(ctl, BUF, 0x2000).every((x) => x === 0xee)).toBe(true);
    // The limits themselves are accepted.
    expect(w.hc(ctl, HC.DOMAIN_LIST, [0, 1024])).toBe(3n);
    expect(w.hc(ctl, HC.LOG_READ, [0, BUF, 4096])).toBeGreaterThan(0n);
    expect(w.hc(ctl, HC.CONSOLE_READ, [dom, 0, BUF, 4096])).toBe(0n);
  });
});

// ── Run-time domain building (src/hypercall/build.ts, src/domain/builder.ts) ──
const DOMAIN_CREATED = 3;
const MODREC_SIZE = 112, VCPUENTRY_SIZE = 72;
const MODE_REAL = 0, MODE_P32 = 1, MODE_LONG64 = 2, FLAG_TABLES = 1;
const MOD_A = 0x40000, MOD_B = 0x50000, MOD_C = 0x60000; // module bytes, outside the frame allocator's range
const CFG = 0x30000, ENT = 0x31000;                      // caller buffers

function entryRecord(f: Partial<{ mode: number; flags: number; rip: bigint; rsp: bigint; rax: bigint; rbx: bigint; rdi: bigint;
  cr3: bigint; gdtBase: bigint; gdtLimit: number; realCs: number }>): Uint8Array {
  const b = new Uint8Array(VCPUENTRY_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, f.mode ?? MODE_LONG64, true);
  v.setUint32(4, f.flags ?? 0, true);
  const q: Array<[number, bigint | undefined]> = [[8, f.rip], [16, f.rsp], [24, f.rax], [32, f.rbx], [40, f.rdi], [48, f.cr3], [56, f.gdtBase]];
  for (const [o, x] of q) v.setBigUint64(o, x ?? 0n, true);
  v.setUint32(64, f.gdtLimit ?? 0, true);
  v.setUint32(68, f.realCs ?? 0, true);
  return b;
}

// A control domain, three boot modules (0: for Dom0, 1: taken at boot, 2:
// not a domain) and helpers for the build calls.
// Room for two more 1 MiB domains besides ctl and dom.
function builder() {
  const { w, ctl, dom } = pair(0xa00000n, 0x460000n);
  const lineA = "/boot/t.bin domain name=rt mem=1152K kind=flat64 start=dom0";
  const dataB = new Uint8Array(0x1800).map((_, i) => (i * 7) & 0xff);
  w.m.write(MOD_A, IMAGE_BYTES);
  w.m.write(MOD_B, dataB);
  w.m.write(MOD_C, dataB);
  w.e.testModuleRegister(BigInt(MOD_A), BigInt(MOD_A + IMAGE_BYTES.length), w.m.newString(lineA), false);
  w.e.testModuleRegister(BigInt(MOD_B), BigInt(MOD_B + 0x1800), w.m.newString("/boot/b.elf domain name=b mem=1M"), true);
  w.e.testModuleRegister(BigInt(MOD_C), BigInt(MOD_C + 0x1800), w.m.newString("/boot/initrd.img"), false);
  const b = {
    w, ctl, dom, lineA, dataB,
    // HC_DOMAIN_CREATE with `text` placed in the caller's memory.
    create(text: string, from = ctl): bigint {
      w.write(from, CFG, Buffer.from(text, "latin1"));
      return w.hc(from, HC.DOMAIN_CREATE, [CFG, text.length]);
    },
    setEntry(id: number | bigint, rec: Uint8Array, vcpu = 0): bigint {
      w.write(ctl, ENT, rec);
      return w.hc(ctl, HC.VCPU_SET_ENTRY, [id, vcpu, ENT]);
    },
    vmcsField(id: number, field: number): bigint {
      return w.vmx.vmcss.get(w.e.testVcpuVmcs(id))!.fields.get(field) ?? 0n;
    },
    // Nothing of the caller's state moved: its VMCS is current again.
    callerCurrent(): void { expect(w.vmx.current).toBe(w.e.testVcpuVmcs(ctl)); },
  };
  return b;
}

describe("run-time domain building: boot modules", () => {
  it("a `domain` module is built at boot unless marked start=dom0", () => {
    const w = world();
    const take = (l: string) => w.e.isBootDomainModule(w.m.newString(l)) !== 0;
    expect(take("/b domain name=a mem=1M")).toBe(true);
    expect(take("/b domain name=a mem=1M start=dom0")).toBe(false);
    expect(take("/b domain name=a mem=1M start=hv")).toBe(true);
    expect(take("/b initrd")).toBe(false);
    expect(w.e.isForDom0(w.m.newString("/b domain start=dom0 mem=1M"))).toBe(1);
    expect(w.e.isForDom0(w.m.newString("/b domain start=dom0x mem=1M"))).toBe(0);
  });

  it("HC_MODULE_LIST lists the modules not taken at boot: index, full length, size, command line", () => {
    const { w, ctl, lineA } = builder();
    w.fill(ctl, BUF, 0x400, 0xee);
    expect(w.hc(ctl, HC.MODULE_LIST, [BUF, 8])).toBe(2n);
    const b = w.read(ctl, BUF, 0x400);
    const v = new DataView(b.buffer);
    const rec = (i: number) => ({
      index: v.getUint32(i * MODREC_SIZE, true), len: v.getUint32(i * MODREC_SIZE + 4, true),
      size: v.getBigUint64(i * MODREC_SIZE + 8, true),
      cmdline: Buffer.from(b.subarray(i * MODREC_SIZE + 16, i * MODREC_SIZE + 16 + 96)).toString("latin1").replace(/\0+$/, ""),
    });
    expect(rec(0)).toEqual({ index: 0, len: lineA.length, size: BigInt(IMAGE_BYTES.length), cmdline: lineA });
    expect(rec(1)).toEqual({ index: 2, len: 16, size: 0x1800n, cmdline: "/boot/initrd.img" });
    expect(b.subarray(2 * MODREC_SIZE).every((x) => x === 0xee)).toBe(true);
    expect(w.hc(ctl, HC.MODULE_LIST, [BUF, 1])).toBe(1n);
    expect(w.hc(ctl, HC.MODULE_LIST, [U64, 0])).toBe(0n);
    // Limits and buffers: -EINVAL, -EFAULT, nothing written.
    w.fill(ctl, BUF, 0x400, 0xee);
    expect(w.hc(ctl, HC.MODULE_LIST, [BUF, 65])).toBe(EINVAL);
    expect(w.hc(ctl, HC.MODULE_LIST, [BUF, U64])).toBe(EINVAL);
    expect(w.hc(ctl, HC.MODULE_LIST, [MEM - MODREC_SIZE, 2])).toBe(EFAULT);
    expect(w.hc(ctl, HC.MODULE_LIST, [U64 - 0xfn, 1])).toBe(EFAULT);
    expect(w.read(ctl, BUF, 0x400).every((x) => x === 0xee)).toBe(true);
  });

  it("HC_MODULE_READ copies a listed module's bytes, clipped at its end; taken or unknown modules are -ESRCH", () => {
    const { w, ctl, dataB } = builder();
    expect(w.hc(ctl, HC.MODULE_READ, [0, 0, BUF, 64])).toBe(BigInt(IMAGE_BYTES.length));
    expect(w.read(ctl, BUF, IMAGE_BYTES.length)).toEqual(IMAGE_BYTES);
    expect(w.hc(ctl, HC.MODULE_READ, [2, 0x100, BUF, 0x1000])).toBe(0x1000n);
    expect(w.read(ctl, BUF, 0x1000)).toEqual(dataB.subarray(0x100, 0x1100));
    expect(w.hc(ctl, HC.MODULE_READ, [2, 0x1000, BUF, 0x1000])).toBe(0x800n);
    expect(w.hc(ctl, HC.MODULE_READ, [2, 0x1800, BUF, 16])).toBe(0n);
    expect(w.hc(ctl, HC.MODULE_READ, [2, U64, BUF, 16])).toBe(0n);
    expect(w.hc(ctl, HC.MODULE_READ, [2, 0, BUF, 65536])).toBe(0x1800n);
    w.fill(ctl, BUF, 0x100, 0xee);
    for (const idx of [1n, 3n, 999n, 1n << 32n, U64]) expect(w.hc(ctl, HC.MODULE_READ, [idx, 0, BUF, 16]), `module ${idx}`).toBe(ESRCH);
    expect(w.hc(ctl, HC.MODULE_READ, [2, 0, BUF, 65537])).toBe(EINVAL);
    expect(w.hc(ctl, HC.MODULE_READ, [2, 0, MEM - 8, 16])).toBe(EFAULT);
    expect(w.hc(ctl, HC.MODULE_READ, [2, 0x17f8, MEM - 8, 16])).toBe(EFAULT); // the whole len is checked
    expect(w.read(ctl, BUF, 0x100).every((x) => x === 0xee)).toBe(true);
  });
});

describe("run-time domain building: create, load, set entry, start", () => {
  it("the whole path builds a domain that runs like a boot-time one", () => {
    const bld = builder();
    const { w, ctl, lineA } = bld;
    const free = w.free();
    const count = w.e.testDomainCount();
    const id = Number(bld.create(lineA));
    expect(id).toBe(count + 1);
    bld.callerCurrent();
    expect(w.state(id)).toBe(DOMAIN_CREATED);
    expect(w.e.testVcpuSchedId(id)).toBe(-1);       // not on the scheduler
    expect(w.e.testVcpuVmcs(id)).not.toBe(0n);      // VMCS built
    expect(w.free()).toBeLessThan(free);
    expect(w.m.takeSerial()).toContain(`hv: domain ${id} (rt) created by domain ${ctl}: memory 1152 KiB`);
    // Listed as created.
    expect(w.hc(ctl, HC.DOMAIN_INFO, [id, BUF])).toBe(0n);
    expect(parseRec(w.read(ctl, BUF, DOMREC_SIZE))).toMatchObject({ id, state: DOMAIN_CREATED, memKiB: 1152n, vcpus: 1, name: "rt" });
    // Memory is zeroed; load the image from the module through the caller.
    expect(w.read(id, 0x100000, 16).every((x) => x === 0)).toBe(true);
    expect(w.hc(ctl, HC.MODULE_READ, [0, 0, BUF, 64])).toBe(5n);
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0x100000, BUF, 5])).toBe(5n);
    expect(w.read(id, 0x100000, 5)).toEqual(IMAGE_BYTES);
    // Across a page boundary of both sides, 64 KiB at once.
    w.fill(ctl, 0x40ff0, 0x10000, 0x3c);
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0x20ff8, 0x40ff0, 0x10000])).toBe(0x10000n);
    expect(w.read(id, 0x20ff8, 0x10000).every((x) => x === 0x3c)).toBe(true);
    expect(w.read(id, 0x20ff0, 8).every((x) => x === 0)).toBe(true);
    // Start before the entry is set: -EINVAL.
    expect(w.hc(ctl, HC.DOMAIN_START, [id])).toBe(EINVAL);
    expect(w.state(id)).toBe(DOMAIN_CREATED);
    // 64-bit entry with the builder's tables (what imageEntry makes for flat64).
    const used = free - w.free();
    expect(bld.setEntry(id, entryRecord({ mode: MODE_LONG64, flags: FLAG_TABLES, rip: 0x100000n, rsp: 0x80000n,
      rax: 0x36d76289n, rbx: 0x8000n, rdi: 0x8000n }))).toBe(0n);
    bld.callerCurrent();
    expect(free - w.free()).toBe(used); // the old VMCS frame went back
    const pml4 = new DataView(w.read(id, 0x1000, 8).buffer).getBigUint64(0, true);
    expect(pml4).toBe(0x2003n);
    expect(new DataView(w.read(id, 0x7008, 8).buffer).getBigUint64(0, true)).toBe(0x00af9a000000ffffn);
    expect(bld.vmcsField(id, F.GUEST_RIP)).toBe(0x100000n);
    expect(bld.vmcsField(id, F.GUEST_CR3)).toBe(0x1000n);
    expect(bld.vmcsField(id, F.GUEST_RSP)).toBe(0x80000n);
    expect(w.vmx.reg(w.e.testVcpuRegs(id), REG.RBX)).toBe(0x8000n);
    expect(w.e.testVcpuVmcs(id)).not.toBe(0n);
    // Start: on the scheduler, runnable; a second start or load is refused.
    expect(w.hc(ctl, HC.DOMAIN_START, [id])).toBe(0n);
    expect(w.m.takeSerial()).toContain(`hv: domain ${id} (rt) started by domain ${ctl}`);
    expect(w.state(id)).toBe(DOMAIN_RUNNABLE);
    expect(w.e.testVcpuSchedId(id)).toBeGreaterThanOrEqual(0);
    expect(w.hc(ctl, HC.DOMAIN_START, [id])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0x100000, BUF, 5])).toBe(EINVAL);
    expect(bld.setEntry(id, entryRecord({ mode: MODE_LONG64, flags: FLAG_TABLES, rip: 0x100000n }))).toBe(EINVAL);
    // It runs: its first exit is the image's CPUID.
    w.vmx.guest = (c) => {
      expect(c.get(F.GUEST_RIP)).toBe(0x100000n);
      c.setReg(REG.RAX, 0); c.setReg(REG.RCX, 0);
      return c.exit(CPUID_EXIT, { length: 2 });
    };
    expect(w.e.testEnterOnce(id, 0x1000)).toBe(ACT_NEXT);
    // Destroyed, every frame comes back.
    expect(w.hc(ctl, HC.DOMAIN_DESTROY, [id])).toBe(0n);
    expect(w.free()).toBe(free);
  });
  it("protected-mode and real-mode entries set the registers; a destroyed created domain leaks nothing", () => {
    const bld = builder();
    const { w, ctl } = bld;
    const free = w.free();
    const id = Number(bld.create("domain mem=1M"));
    expect(id).toBeGreaterThan(0);
    expect(parseRec((w.hc(ctl, HC.DOMAIN_INFO, [id, BUF]), w.read(ctl, BUF, DOMREC_SIZE))).name).toBe(`dom${id}`);
    expect(bld.setEntry(id, entryRecord({ mode: MODE_P32, rip: 0x20000n, rax: 0x2badb002n, rbx: 0x8000n }))).toBe(0n);
    expect(bld.vmcsField(id, F.GUEST_RIP)).toBe(0x20000n);
    expect(w.vmx.reg(w.e.testVcpuRegs(id), REG.RAX)).toBe(0x2badb002n);
    expect(bld.setEntry(id, entryRecord({ mode: MODE_REAL, rip: 0x7c00n }))).toBe(0n); // may be set again before start
    expect(bld.vmcsField(id, F.GUEST_RIP)).toBe(0x7c00n);
    expect(w.hc(ctl, HC.DOMAIN_DESTROY, [id])).toBe(0n);
    expect(w.free()).toBe(free);
    expect(w.hc(ctl, HC.DOMAIN_START, [id])).toBe(EINVAL);   // stopped: known id, not a created domain
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0, BUF, 1])).toBe(EINVAL);
  });
});

describe("run-time domain building: malformed calls fail and change nothing", () => {
  it("HC_DOMAIN_CREATE: -EINVAL for a bad config or length, -EFAULT for a bad buffer, -ENOMEM when memory is short", () => {
    const b = builder();
    const { w, ctl } = b;
    const free = w.free();
    const count = w.e.testDomainCount();
    for (const text of ["name=x mem=1M", "domain name=x", "domain mem=3G", "domain name=bad/name mem=1M",
      "domain mem=1M weight=0", "domain mem=1M cap=101", "domain mem=1M kind=elf", "domain mem=1M\0"]) {
      expect(b.create(text), text).toBe(EINVAL);
    }
    expect(w.hc(ctl, HC.DOMAIN_CREATE, [CFG, 0])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_CREATE, [CFG, 1025])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_CREATE, [CFG, U64])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_CREATE, [MEM - 4, 16])).toBe(EFAULT);
    expect(w.hc(ctl, HC.DOMAIN_CREATE, [U64 - 3n, 16])).toBe(EFAULT);
    b.callerCurrent();
    expect([w.free(), w.e.testDomainCount()]).toEqual([free, count]);
    // More memory than is free: -ENOMEM, and every frame taken on the way
    // (EPT tables, guest memory) is back.
    expect(free).toBeLessThan(0x800n);
    expect(b.create("domain name=big mem=8M")).toBe(ENOMEM);
    expect(b.create(`domain name=big mem=${Number(free) * 4}K`)).toBe(ENOMEM);       // all of it: no room for EPT/VMCS
    expect(b.create(`domain name=big mem=${Number(free) * 4 - 8}K`)).toBe(ENOMEM);   // the VMCS check
    expect([w.free(), w.e.testDomainCount()]).toEqual([free, count]);
    b.callerCurrent();
    // And a domain still fits afterwards, with the next id (failures use none).
    expect(b.create("domain name=ok mem=1M")).toBe(BigInt(count + 1));
  });

  it("HC_DOMAIN_LOAD: -ESRCH, -EINVAL (started target, len over 64 KiB), -EFAULT on either side; nothing copied", () => {
    const b = builder();
    const { w, ctl, dom } = b;
    const id = Number(b.create("domain name=t mem=1M"));
    w.fill(ctl, BUF, 0x100, 0x77);
    for (const bad of [0n, 999n, (1n << 32n) | BigInt(id), U64]) expect(w.hc(ctl, HC.DOMAIN_LOAD, [bad, 0x10000, BUF, 16])).toBe(ESRCH);
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [dom, 0x10000, BUF, 16])).toBe(EINVAL);   // a running domain
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [ctl, 0x10000, BUF, 16])).toBe(EINVAL);   // the caller itself
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0x10000, BUF, 0x10001])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0x100000 - 8, BUF, 16])).toBe(EFAULT); // past the target's 1 MiB
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, U64 - 7n, BUF, 16])).toBe(EFAULT);
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0x10000, MEM - 8, 16])).toBe(EFAULT);   // past the caller's memory
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0x10000, U64 - 7n, 16])).toBe(EFAULT);
    expect(w.read(id, 0xff000, 0x1000).every((x) => x === 0)).toBe(true);
    expect(w.read(id, 0x10000, 16).every((x) => x === 0)).toBe(true);
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0x100000 - 16, BUF, 16])).toBe(16n);   // exactly at the end
    expect(w.hc(ctl, HC.DOMAIN_LOAD, [id, 0, BUF, 0])).toBe(0n);
  });

  it("HC_VCPU_SET_ENTRY and HC_DOMAIN_START: malformed records are -EINVAL, the vCPU keeps its state", () => {
    const b = builder();
    const { w, ctl, dom } = b;
    const id = Number(b.create("domain name=e mem=1M"));
    const good = entryRecord({ mode: MODE_P32, rip: 0x20000n });
    expect(b.setEntry(id, good)).toBe(0n);
    const bad: Array<[string, Uint8Array]> = [
      ["mode 3", entryRecord({ mode: 3 })],
      ["unknown flag", entryRecord({ mode: MODE_LONG64, flags: 2, rip: 0x100000n })],
      ["tables flag outside long mode", entryRecord({ mode: MODE_P32, flags: FLAG_TABLES, rip: 0x20000n })],
      ["p32 rip past memory", entryRecord({ mode: MODE_P32, rip: 0x100000n })],
      ["p32 rax above 4G", entryRecord({ mode: MODE_P32, rip: 0x20000n, rax: 1n << 32n })],
      ["real cs > 0xffff", entryRecord({ mode: MODE_REAL, realCs: 0x10000 })],
      ["real ip > 0xffff", entryRecord({ mode: MODE_REAL, rip: 0x10000n })],
      ["real cs:ip past memory", entryRecord({ mode: MODE_REAL, realCs: 0xffff, rip: 0xfff0n })],
      ["long64 non-canonical rip", entryRecord({ mode: MODE_LONG64, flags: FLAG_TABLES, rip: 1n << 47n })],
      ["long64 cr3 unaligned", entryRecord({ mode: MODE_LONG64, rip: 0x20000n, cr3: 0x1008n, gdtBase: 0x7000n, gdtLimit: 23 })],
      ["long64 cr3 past memory", entryRecord({ mode: MODE_LONG64, rip: 0x20000n, cr3: 0x100000n, gdtBase: 0x7000n, gdtLimit: 23 })],
      ["long64 gdt limit < 23", entryRecord({ mode: MODE_LONG64, rip: 0x20000n, cr3: 0x1000n, gdtBase: 0x7000n, gdtLimit: 15 })],
      ["long64 gdt past memory", entryRecord({ mode: MODE_LONG64, rip: 0x20000n, cr3: 0x1000n, gdtBase: 0xffff0n, gdtLimit: 23 })],
    ];
    w.fill(id, 0x1000, 0x7000, 0x11);
    const vmcs = w.e.testVcpuVmcs(id);
    for (const [what, rec] of bad) {
      expect(b.setEntry(id, rec), what).toBe(EINVAL);
      b.callerCurrent();
    }
    expect(w.e.testVcpuVmcs(id)).toBe(vmcs);
    expect(b.vmcsField(id, F.GUEST_RIP)).toBe(0x20000n);
    expect(w.read(id, 0x1000, 0x7000).every((x) => x === 0x11)).toBe(true); // no tables written
    // Own tables are accepted when they lie in memory.
    expect(b.setEntry(id, entryRecord({ mode: MODE_LONG64, rip: 0x20000n, cr3: 0xff000n, gdtBase: 0xfffe8n, gdtLimit: 23 }))).toBe(0n);
    expect(b.vmcsField(id, F.GUEST_CR3)).toBe(0xff000n);
    expect(w.read(id, 0x1000, 0x7000).every((x) => x === 0x11)).toBe(true);
    // Ids, vCPUs and the record's buffer.
    expect(b.setEntry(id, good, 1)).toBe(ESRCH);
    expect(w.hc(ctl, HC.VCPU_SET_ENTRY, [id, U64, ENT])).toBe(ESRCH);
    expect(b.setEntry(999, good)).toBe(ESRCH);
    expect(b.setEntry(dom, good)).toBe(EINVAL);
    expect(w.hc(ctl, HC.VCPU_SET_ENTRY, [id, 0, MEM - 8])).toBe(EFAULT);
    for (const bad2 of [0n, 999n, U64]) expect(w.hc(ctl, HC.DOMAIN_START, [bad2])).toBe(ESRCH);
    expect(w.hc(ctl, HC.DOMAIN_START, [dom])).toBe(EINVAL);
    expect(w.state(id)).toBe(DOMAIN_CREATED);
    expect(w.hc(ctl, HC.DOMAIN_START, [id])).toBe(0n);
  });
});

// ── Several vCPUs and the scheduler (src/hypercall/sched.ts) ──────────────
const SCHEDREC_SIZE = 24, VCPUINFO_SIZE = 32;
const VCPUSTATE = { DOWN: 0, RUNNABLE: 1, RUNNING: 2, BLOCKED: 3 };

function schedRec(w: ReturnType<typeof world>, id: number) {
  const v = new DataView(w.read(id, BUF, SCHEDREC_SIZE).buffer);
  return { weight: v.getUint32(0, true), cap: v.getUint32(4, true), credit: v.getBigInt64(8, true), run: v.getBigUint64(16, true) };
}
function vcpuRec(w: ReturnType<typeof world>, id: number) {
  const v = new DataView(w.read(id, BUF, VCPUINFO_SIZE).buffer);
  return {
    state: v.getUint32(0, true), cpu: v.getInt32(4, true), affinity: v.getBigUint64(8, true),
    run: v.getBigUint64(16, true), ranOn: v.getBigUint64(24, true),
  };
}

describe("scheduler hypercalls: weight and cap, vCPU info and pinning", () => {
  it("HC_SCHED_GET / HC_SCHED_SET read and change a domain's weight and cap; bad values change nothing", () => {
    const { w, ctl, dom } = pair();
    expect(w.hc(ctl, HC.SCHED_GET, [dom, BUF])).toBe(0n);
    expect(schedRec(w, ctl)).toMatchObject({ weight: 256, cap: 0 });
    expect(w.hc(ctl, HC.SCHED_SET, [dom, 512, 30])).toBe(0n);
    expect(w.hc(ctl, HC.SCHED_GET, [dom, BUF])).toBe(0n);
    expect(schedRec(w, ctl)).toMatchObject({ weight: 512, cap: 30 });
    for (const [weight, cap] of [[0, 0], [65536, 0], [1, 101], [U64, 0], [1, U64]]) {
      expect(w.hc(ctl, HC.SCHED_SET, [dom, weight, cap]), `${weight} ${cap}`).toBe(EINVAL);
    }
    for (const id of [0, 999, U64]) {
      expect(w.hc(ctl, HC.SCHED_SET, [id, 1, 0])).toBe(ESRCH);
      expect(w.hc(ctl, HC.SCHED_GET, [id, BUF])).toBe(ESRCH);
    }
    w.fill(ctl, BUF, SCHEDREC_SIZE, 0xa5);
    expect(w.hc(ctl, HC.SCHED_GET, [dom, MEM - 8])).toBe(EFAULT);
    expect(w.read(ctl, BUF, SCHEDREC_SIZE).every((b) => b === 0xa5)).toBe(true);
    expect(w.hc(ctl, HC.SCHED_GET, [dom, BUF])).toBe(0n);
    expect(schedRec(w, ctl)).toMatchObject({ weight: 512, cap: 30 });
    // A stopped domain has no scheduler parameters any more.
    w.e.testDomainStop(dom, w.m.newString("test"));
    expect(w.hc(ctl, HC.SCHED_GET, [dom, BUF])).toBe(ESRCH);
  });

  it("HC_VCPU_INFO reports each vCPU; HC_VCPU_PIN sets its affinity to online CPUs only", () => {
    const w = world();
    const ctl = w.create("ctl", "control=1");
    const two = w.create("two", "vcpus=2 cpus=0");
    expect(w.hc(ctl, HC.VCPU_INFO, [two, 0, BUF])).toBe(0n);
    expect(vcpuRec(w, ctl)).toMatchObject({ state: VCPUSTATE.RUNNABLE, cpu: 0, affinity: 1n, run: 0n, ranOn: 0n });
    expect(w.hc(ctl, HC.VCPU_INFO, [two, 1, BUF])).toBe(0n);
    expect(vcpuRec(w, ctl)).toMatchObject({ state: VCPUSTATE.DOWN, cpu: -1, affinity: 1n });
    // The caller itself is running, on CPU 0.
    expect(w.hc(ctl, HC.VCPU_INFO, [ctl, 0, BUF])).toBe(0n);
    expect(vcpuRec(w, ctl).affinity).toBe(U64);
    expect(w.hc(ctl, HC.VCPU_INFO, [two, 2, BUF])).toBe(ESRCH);
    expect(w.hc(ctl, HC.VCPU_INFO, [999, 0, BUF])).toBe(ESRCH);
    expect(w.hc(ctl, HC.VCPU_INFO, [two, 0, MEM - 8])).toBe(EFAULT);
    // One CPU online here: a mask without CPU 0 is refused, and changes nothing.
    expect(w.hc(ctl, HC.VCPU_PIN, [two, 1, 0b10])).toBe(EINVAL);
    expect(w.hc(ctl, HC.VCPU_PIN, [two, 1, 0])).toBe(EINVAL);
    expect(w.hc(ctl, HC.VCPU_PIN, [two, 0, 0b11])).toBe(0n);
    expect(w.hc(ctl, HC.VCPU_INFO, [two, 0, BUF])).toBe(0n);
    expect(vcpuRec(w, ctl).affinity).toBe(0b11n);
    expect(w.hc(ctl, HC.VCPU_PIN, [two, 2, 1])).toBe(ESRCH);
  });

  it("HC_VCPU_START: a domain starts its own further vCPUs, once each, with a valid entry", () => {
    const w = world();
    const ctl = w.create("ctl", "control=1");
    const two = w.create("two", "vcpus=3");     // no control right: its own vCPUs need none
    const good = entryRecord({ mode: MODE_P32, rip: 0x100000n, rsp: 0x90000n });
    w.write(two, ENT, good);
    w.write(two, ENT + 0x100, entryRecord({ mode: 9, rip: 0x100000n }));
    expect(w.hc(two, HC.VCPU_START, [0, ENT])).toBe(EINVAL);          // vCPU 0 runs already
    expect(w.hc(two, HC.VCPU_START, [3, ENT])).toBe(ESRCH);
    expect(w.hc(two, HC.VCPU_START, [1, MEM - 8])).toBe(EFAULT);
    expect(w.hc(two, HC.VCPU_START, [1, ENT + 0x100])).toBe(EINVAL); // unknown mode
    expect(w.hc(ctl, HC.VCPU_INFO, [two, 1, BUF])).toBe(0n);
    expect(vcpuRec(w, ctl).state).toBe(VCPUSTATE.DOWN);
    expect(w.hc(two, HC.VCPU_START, [1, ENT])).toBe(0n);
    expect(w.hc(ctl, HC.VCPU_INFO, [two, 1, BUF])).toBe(0n);
    expect(vcpuRec(w, ctl).state).toBe(VCPUSTATE.RUNNABLE);
    expect(w.hc(two, HC.VCPU_START, [1, ENT])).toBe(EINVAL);          // started already
    // The caller's own VMCS is current again: it goes on where it was.
    expect(w.hc(two, HC.VERSION)).toBe(0x00010000n);
    expect(w.hc(ctl, HC.VCPU_INFO, [two, 2, BUF])).toBe(0n);
    expect(vcpuRec(w, ctl).state).toBe(VCPUSTATE.DOWN);
  });
});

describe("management hypercalls: reading and changing a DomU", () => {
  const EBUSY = -16n;
  const VCPUREGS = 24 * 8;
  const R = { RAX: 0, RBX: 1, RSP: 7, R8: 8, R15: 15, RIP: 16, RFLAGS: 17, CR0: 18 };

  it("HC_DOMAIN_MEM_READ and _WRITE copy between the domain's RAM and the caller's buffer, checked first", () => {
    const { w, ctl, dom } = pair();
    w.fill(dom, 0x30000, 0x3000, 0x5a);
    w.fill(ctl, BUF, 0x2000, 0);
    // Across a page boundary, the domain running.
    expect(w.hc(ctl, HC.DOMAIN_MEM_READ, [dom, 0x30ff0, BUF, 0x20])).toBe(0x20n);
    expect(w.read(ctl, BUF, 0x21).slice(0, 0x20).every((b) => b === 0x5a)).toBe(true);
    expect(w.read(ctl, BUF + 0x20, 1)[0]).toBe(0);
    w.write(ctl, BUF, Uint8Array.from([1, 2, 3, 4]));
    expect(w.hc(ctl, HC.DOMAIN_MEM_WRITE, [dom, 0x31ffe, BUF, 4])).toBe(4n);
    expect([...w.read(dom, 0x31ffd, 6)]).toEqual([0x5a, 1, 2, 3, 4, 0x5a]);
    // Refused, nothing copied: no such domain, itself, past its RAM, too
    // long, wrapping, the caller's buffer outside its memory.
    const before = [...w.read(dom, 0x30000, 16)];
    expect(w.hc(ctl, HC.DOMAIN_MEM_WRITE, [999, 0x30000, BUF, 4])).toBe(ESRCH);
    expect(w.hc(ctl, HC.DOMAIN_MEM_READ, [ctl, BUF, BUF + 0x100, 4])).toBe(ESRCH);
    expect(w.hc(ctl, HC.DOMAIN_MEM_WRITE, [dom, MEM - 2, BUF, 4])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_MEM_WRITE, [dom, 0x30000, BUF, 4097])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_MEM_WRITE, [dom, U64 - 1n, BUF, 4])).toBe(EINVAL);
    expect(w.hc(ctl, HC.DOMAIN_MEM_WRITE, [dom, 0x30000, MEM - 2, 4])).toBe(EFAULT);
    expect(w.hc(ctl, HC.DOMAIN_MEM_READ, [dom, 0x30000, U64 - 1n, 4])).toBe(EFAULT);
    expect([...w.read(dom, 0x30000, 16)]).toEqual(before);
    // A stopped domain is gone for them.
    w.e.testDomainStop(dom, w.m.newString("test"));
    expect(w.hc(ctl, HC.DOMAIN_MEM_READ, [dom, 0x30000, BUF, 4])).toBe(ESRCH);
  });

  it("HC_VCPU_GET and _SET read and change a paused vCPU's registers, and only a paused one's", () => {
    const { w, ctl, dom } = pair();
    const regs = w.e.testVcpuRegs(dom);
    w.vmx.setReg(regs, REG.RBX, 0x1122334455667788n);
    w.vmx.setReg(regs, REG.R15, 0xf15n);
    const vmcs = w.vmx.vmcss.get(w.e.testVcpuVmcs(dom))!.fields;
    vmcs.set(F.GUEST_RIP, 0x101234n);
    vmcs.set(F.GUEST_RSP, 0x7ff0n);
    const get = (): bigint[] => {
      expect(w.hc(ctl, HC.VCPU_GET, [dom, 0, BUF])).toBe(0n);
      const b = w.read(ctl, BUF, VCPUREGS);
      const v = new DataView(b.buffer);
      return Array.from({ length: 24 }, (_, i) => v.getBigUint64(8 * i, true));
    };
    // Running: -EBUSY, for both.
    expect(w.hc(ctl, HC.VCPU_GET, [dom, 0, BUF])).toBe(EBUSY);
    expect(w.hc(ctl, HC.VCPU_SET, [dom, 0, R.RAX, 1])).toBe(EBUSY);
    expect(w.hc(ctl, HC.DOMAIN_PAUSE, [dom])).toBe(0n);
    let r = get();
    expect(r[R.RBX]).toBe(0x1122334455667788n);
    expect(r[R.R15]).toBe(0xf15n);
    expect(r[R.RIP]).toBe(0x101234n);
    expect(r[R.RSP]).toBe(0x7ff0n);
    expect(r[R.CR0]).toBe(vmcs.get(F.GUEST_CR0));
    // The caller's own VMCS is current again: its next call works.
    expect(w.hc(ctl, HC.VCPU_SET, [dom, 0, R.RAX, 0x2a])).toBe(0n);
    expect(w.hc(ctl, HC.VCPU_SET, [dom, 0, R.R8, 8])).toBe(0n);
    expect(w.hc(ctl, HC.VCPU_SET, [dom, 0, R.RIP, 0x105000])).toBe(0n);
    expect(w.hc(ctl, HC.VCPU_SET, [dom, 0, R.RFLAGS, 0x202])).toBe(0n);
    r = get();
    expect([r[R.RAX], r[R.R8], r[R.RIP], r[R.RFLAGS]]).toEqual([0x2an, 8n, 0x105000n, 0x202n]);
    expect(w.vmx.reg(regs, REG.RAX)).toBe(0x2an);
    // Refused, nothing changed: a read-only or unknown register, a non-
    // canonical RIP, RFLAGS without bit 1, with a reserved bit or VM; no
    // such vCPU or domain; itself; the caller's buffer outside its memory.
    for (const [reg, value] of [[R.CR0, 0], [24, 0], [R.RIP, 1n << 48n], [R.RFLAGS, 0x200], [R.RFLAGS, 0x8202],
      [R.RFLAGS, 0x20202]] as Array<[number, number | bigint]>) {
      expect(w.hc(ctl, HC.VCPU_SET, [dom, 0, reg, value]), `reg ${reg} = ${value}`).toBe(EINVAL);
    }
    expect(w.hc(ctl, HC.VCPU_SET, [dom, 1, R.RAX, 0])).toBe(ESRCH);
    expect(w.hc(ctl, HC.VCPU_GET, [999, 0, BUF])).toBe(ESRCH);
    expect(w.hc(ctl, HC.VCPU_GET, [ctl, 0, BUF])).toBe(ESRCH);
    expect(w.hc(ctl, HC.VCPU_GET, [dom, 0, MEM - 8])).toBe(EFAULT);
    r = get();
    expect([r[R.RAX], r[R.RIP], r[R.RFLAGS]]).toEqual([0x2an, 0x105000n, 0x202n]);
  });
});
