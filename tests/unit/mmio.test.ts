// MMIO: the decoder of the instruction behind an access (src/vmx/decode.ts),
// and the whole path on the simulated CPU: an EPT violation on a range the
// domain's MMIO bus claims is decoded from the bytes at the guest's RIP
// (found through its own paging, src/vmx/guest-fetch.ts), handed to the
// device, the register written, RIP advanced; anything else stops it.
import { describe, expect, it } from "vitest";
import { F, REG } from "../sim/vmx";
import { vmxMachine } from "./fixtures";

const CODE = 0x40000;
const LOAD = 1, STORE = 2, STORE_IMM = 3;
const ZERO = 1, SIGN = 2;
const CODE16 = 2, CODE32 = 4, CODE64 = 8;

describe("MMIO instruction decoder", () => {
  const { m, e } = vmxMachine();
  const decode = (bytes: number[], cs = CODE64) => {
    m.write(CODE, Uint8Array.from(bytes));
    return JSON.parse(m.str("mmioDecodeJson", CODE, bytes.length, cs)!);
  };
  const cases: Array<[string, number[], number, Record<string, unknown>]> = [
    ["mov [rdi], eax", [0x89, 0x07], CODE64, { op: STORE, width: 4, reg: 0, length: 2 }],
    ["mov [rdi+0x30], esi", [0x89, 0x77, 0x30], CODE64, { op: STORE, width: 4, reg: 6, length: 3 }],
    ["mov rax, [rip+0x1234]", [0x48, 0x8b, 0x05, 0x34, 0x12, 0, 0], CODE64, { op: LOAD, width: 8, reg: 0, length: 7 }],
    ["mov r9d, [r8+rcx*4+0x100]", [0x45, 0x8b, 0x8c, 0x88, 0, 1, 0, 0], CODE64, { op: LOAD, width: 4, reg: 9, length: 8 }],
    ["mov ax, [rbx]", [0x66, 0x8b, 0x03], CODE64, { op: LOAD, width: 2, reg: 0, length: 3 }],
    ["mov al, [rbx]", [0x8a, 0x03], CODE64, { op: LOAD, width: 1, reg: 0, high8: false, length: 2 }],
    ["mov ah, [rbx]", [0x8a, 0x23], CODE64, { op: LOAD, width: 1, reg: 4, high8: true, length: 2 }],
    ["mov spl, [rbx] (REX)", [0x40, 0x8a, 0x23], CODE64, { op: LOAD, width: 1, reg: 4, high8: false, length: 3 }],
    ["mov byte [rdx], 0x5a", [0xc6, 0x02, 0x5a], CODE64, { op: STORE_IMM, width: 1, imm: "0x5a", length: 3 }],
    ["mov dword [rdx+8], 0x12345678", [0xc7, 0x42, 0x08, 0x78, 0x56, 0x34, 0x12], CODE64, { op: STORE_IMM, width: 4, imm: "0x12345678", length: 7 }],
    ["mov qword [rdx], -2", [0x48, 0xc7, 0x02, 0xfe, 0xff, 0xff, 0xff], CODE64, { op: STORE_IMM, width: 8, imm: "0xfffffffffffffffe", length: 7 }],
    ["mov word [rdx], 0x1234", [0x66, 0xc7, 0x02, 0x34, 0x12], CODE64, { op: STORE_IMM, width: 2, imm: "0x1234", length: 5 }],
    ["movzx eax, byte [rsi]", [0x0f, 0xb6, 0x06], CODE64, { op: LOAD, width: 1, regWidth: 4, extend: ZERO, length: 3 }],
    ["movzx ecx, word [rsi]", [0x0f, 0xb7, 0x0e], CODE64, { op: LOAD, width: 2, regWidth: 4, reg: 1, extend: ZERO, length: 3 }],
    ["movsx rax, byte [rsi]", [0x48, 0x0f, 0xbe, 0x06], CODE64, { op: LOAD, width: 1, regWidth: 8, extend: SIGN, length: 4 }],
    ["mov [ds:0xff000000], eax (32-bit)", [0x3e, 0xa3 - 0x1a, 0x05, 0, 0, 0, 0xff], CODE32, { op: STORE, width: 4, length: 7 }],
    ["mov eax, [0xff000000] (32-bit, moffs)", [0xa1, 0, 0, 0, 0xff], CODE32, { op: LOAD, width: 4, reg: 0, length: 5 }],
    ["mov [0xff000000], al (32-bit, moffs)", [0xa2, 0, 0, 0, 0xff], CODE32, { op: STORE, width: 1, reg: 0, length: 5 }],
    ["mov rax, [moffs64]", [0x48, 0xa1, 0, 0, 0, 0xff, 0, 0, 0, 0], CODE64, { op: LOAD, width: 8, reg: 0, length: 10 }],
    ["mov ax, [moffs16] (16-bit)", [0xa1, 0x34, 0x12], CODE16, { op: LOAD, width: 2, length: 3 }],
    ["mov eax, [esi+ebx*2] (32-bit, SIB)", [0x8b, 0x04, 0x5e], CODE32, { op: LOAD, width: 4, length: 3 }],
    ["mov ax, [bx+si+0x10] (16-bit)", [0x8b, 0x40, 0x10], CODE16, { op: LOAD, width: 2, length: 3 }],
    ["mov eax, [0x1234] (16-bit, 66)", [0x66, 0x8b, 0x06, 0x34, 0x12], CODE16, { op: LOAD, width: 4, length: 5 }],
    ["mov eax, [ebx] (16-bit code, 67)", [0x67, 0x8b, 0x03], CODE16, { op: LOAD, width: 2, length: 3 }],
    ["rex in 32-bit code is inc", [0x48, 0x8b, 0x03], CODE32, { ok: false, error: "opcode not emulated" }],
  ];
  for (const [name, bytes, cs, want] of cases) {
    it(name, () => {
      const d = decode(bytes, cs);
      expect(d).toMatchObject({ ok: true, ...want });
    });
  }
  it("refuses what the MMIO path does not emulate", () => {
    expect(decode([0x89, 0xc0])).toMatchObject({ ok: false, error: "register operand" });
    expect(decode([0xf3, 0xa5])).toMatchObject({ ok: false, error: "LOCK/REP prefix" });
    expect(decode([0x01, 0x07])).toMatchObject({ ok: false, error: "opcode not emulated" });  // add [rdi], eax
    expect(decode([0xc7, 0x0a, 0, 0, 0, 0])).toMatchObject({ ok: false, error: "opcode not emulated" });  // c7 /1
    expect(decode([0x8b, 0x84, 0x24])).toMatchObject({ ok: false, error: "truncated" });
    expect(decode([0xc7, 0x02, 1, 2])).toMatchObject({ ok: false, error: "truncated" });
    expect(decode([])).toMatchObject({ ok: false, error: "no opcode" });
  });
});

describe("MMIO through the EPT-violation exit", () => {
  const TESTDEV = 0xff000000n;
  const VIOLATION = 48, READ = 1, WRITE = 2;
  function world() {
    // Frames above the heap: the domain needs 4 MiB.
    const { m, e, vmx, create } = vmxMachine(0xa00000n, 0x500000n);
    const id = create("mm", "testdev=1", "4M");
    const put = (gpa: number, bytes: number[]): void => {
      for (let i = 0; i < bytes.length; i++) m.bytes[Number(e.testGuestToHost(id, BigInt(gpa + i)))] = bytes[i];
    };
    // One access by an instruction at `rip`: the exit the CPU would make.
    const run = (rip: number, bytes: number[], gpa: bigint, write: boolean, setup: (c: any) => void = () => {}): number => {
      put(rip, bytes);
      vmx.guest = (c) => {
        c.set(F.GUEST_RIP, BigInt(rip));
        setup(c);
        return c.exit(VIOLATION, { qualification: write ? WRITE : READ, gpa });
      };
      return e.testEnterOnce(id, 0x1000) >>> 0;
    };
    const regs = () => e.testVcpuRegs(id);
    const dev = Number(e.testDomainMmioDevice(id, TESTDEV));
    return { m, e, vmx, id, run, regs, dev };
  }

  it("stores and loads the test device at every width, in 64-bit code through the guest's page tables", () => {
    const w = world();
    expect(w.dev).not.toBe(0);
    const RESUME = 0;
    w.vmx.setReg(w.regs(), REG.RAX, 0x1122334455667788n);
    expect(w.run(0x100000, [0x48, 0x89, 0x07], TESTDEV, true)).toBe(RESUME);        // mov [rdi], rax
    expect(w.vmx.get(F.GUEST_RIP)).toBe(0x100003n);
    expect(BigInt.asUintN(64, w.e.devRead(w.dev, 0, 8))).toBe(0x1122334455667788n);
    w.vmx.setReg(w.regs(), REG.RBX, 0xffffffffffffffffn);
    expect(w.run(0x100010, [0x8b, 0x1f], TESTDEV + 4n, false)).toBe(RESUME);        // mov ebx, [rdi+4]: zero-extends
    expect(w.vmx.reg(w.regs(), REG.RBX)).toBe(0x11223344n);
    expect(w.vmx.get(F.GUEST_RIP)).toBe(0x100012n);
    w.vmx.setReg(w.regs(), REG.RCX, 0xaaaaaaaaaaaaaaaan);
    expect(w.run(0x100020, [0x66, 0x8b, 0x0f], TESTDEV + 2n, false)).toBe(RESUME);  // mov cx, [rdi+2]: keeps the rest
    expect(w.vmx.reg(w.regs(), REG.RCX)).toBe(0xaaaaaaaaaaaa5566n);
    w.vmx.setReg(w.regs(), REG.RDX, 0xaaaaaaaaaaaaaaaan);
    expect(w.run(0x100030, [0x8a, 0x37], TESTDEV + 7n, false)).toBe(RESUME);        // mov dh, [rdi+7]
    expect(w.vmx.reg(w.regs(), REG.RDX)).toBe(0xaaaaaaaaaaaa11aan);
    expect(w.run(0x100040, [0xc6, 0x47, 0x10, 0x80], TESTDEV + 16n, true)).toBe(RESUME);  // mov byte [rdi+16], 0x80
    expect(w.run(0x100050, [0x48, 0x0f, 0xbe, 0x37], TESTDEV + 16n, false)).toBe(RESUME); // movsx rsi, byte [rdi+16]
    expect(w.vmx.reg(w.regs(), REG.RSI)).toBe(0xffffffffffffff80n);
    expect(w.run(0x100060, [0x0f, 0xb6, 0x37], TESTDEV + 16n, false)).toBe(RESUME);  // movzx esi, byte [rdi+16]
    expect(w.vmx.reg(w.regs(), REG.RSI)).toBe(0x80n);
    expect(w.e.testDomainState(w.id)).not.toBe(2);
  });

  it("finds the instruction through 32-bit and PAE paging the guest set up", () => {
    const w = world();
    const put32 = (gpa: number, v: number) => new DataView(w.m.memory.buffer).setUint32(Number(w.e.testGuestToHost(w.id, BigInt(gpa))), v >>> 0, true);
    const put64 = (gpa: number, v: bigint) => new DataView(w.m.memory.buffer).setBigUint64(Number(w.e.testGuestToHost(w.id, BigInt(gpa))), v, true);
    // 32-bit paging: linear 0x00401000 -> guest-physical 0x200000 (PD at 0x300000, PT at 0x301000).
    put32(0x300000 + 1 * 4, 0x301000 | 1);
    put32(0x301000 + 1 * 4, 0x200000 | 1);
    w.vmx.setReg(w.regs(), REG.RAX, 0x5a5a5a5an);
    const paging32 = (c: any) => {
      c.set(F.GUEST_CR0, 0x80000011n); c.set(F.GUEST_CR3, 0x300000n); c.set(F.GUEST_CR4, 0n);
      c.set(F.GUEST_IA32_EFER, 0n); c.set(F.GUEST_CS_ACCESS_RIGHTS, 0xc09bn);
    };
    w.m.bytes.set([0x89, 0x05, 0, 0, 0, 0xff], Number(w.e.testGuestToHost(w.id, 0x200000n)));
    expect(w.run(0x401000, [], TESTDEV, true, paging32)).toBe(0);                     // mov [0xff000000], eax
    expect(w.vmx.get(F.GUEST_RIP)).toBe(0x401006n);
    expect(BigInt.asUintN(64, w.e.devRead(w.dev, 0, 4))).toBe(0x5a5a5a5an);
    // PAE: linear 0x40201000 -> 0x210000 (PDPT at 0x310000, PD 0x311000, PT 0x312000).
    put64(0x310000 + 1 * 8, 0x311000n | 1n);
    put64(0x311000 + 1 * 8, 0x312000n | 1n);
    put64(0x312000 + 1 * 8, 0x210000n | 1n);
    w.m.bytes.set([0x8b, 0x0d, 0, 0, 0, 0xff], Number(w.e.testGuestToHost(w.id, 0x210000n)));
    const pae = (c: any) => { paging32(c); c.set(F.GUEST_CR3, 0x310000n); c.set(F.GUEST_CR4, 0x20n); };
    expect(w.run(0x40201000, [], TESTDEV, false, pae)).toBe(0);                       // mov ecx, [0xff000000]
    expect(w.vmx.reg(w.regs(), REG.RCX)).toBe(0x5a5a5a5an);
  });

  it("stops the domain for an instruction it does not emulate, or a direction that does not match", () => {
    const w = world();
    const STOP = 5;
    expect(w.run(0x100000, [0x01, 0x07], TESTDEV, true)).toBe(STOP);                  // add [rdi], eax
    expect(w.m.str("testDomainStopReason", w.id)).toMatch(
      /^MMIO write at 0x0*ff000000 rip 0x0*100000: instruction 01 07 .* not emulated \(opcode not emulated\)$/);
    const v = world();
    expect(v.run(0x100000, [0x8b, 0x07], TESTDEV, true)).toBe(STOP);                  // a load, reported as a write
    expect(v.m.str("testDomainStopReason", v.id)).toMatch(/not emulated \(direction differs from the access\)$/);
  });

  it("still stops a domain touching an address no device claims", () => {
    const w = world();
    expect(w.run(0x100000, [0x89, 0x07], TESTDEV + 0x1000n, true)).toBe(5);
    expect(w.m.str("testDomainStopReason", w.id)).toMatch(/^EPT violation at 0x0*ff001000 \(write\)/);
  });
});
