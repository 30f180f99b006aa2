// MMIO: the decoder of the instruction behind an access (src/vmx/decode.ts),
// and the whole path on the simulated CPU: an EPT violation on a range the
// domain's MMIO bus claims is decoded from the bytes at the guest's RIP
// (found through its own paging, src/vmx/guest-fetch.ts), handed to the
// device, the registers and RFLAGS written (src/vmx/emulate.ts), RIP
// advanced; anything else stops it. The flags are checked against a
// reference computed here in plain JS from the definitions (SDM Vol. 2).
import { describe, expect, it } from "vitest";
import { F, REG } from "../sim/vmx";
import { vmxMachine } from "./fixtures";

const CODE = 0x40000;
const LOAD = 1, STORE = 2, STORE_IMM = 3, RMW = 4, FLAGS = 5, XCHG = 6, STOS = 7, MOVS = 8;
const ADD = 0, OR = 1, AND = 4, SUB = 5, XOR = 6, CMP = 7, TEST = 8, BT = 9;
const ZERO = 1, SIGN = 2;
const CODE16 = 2, CODE32 = 4, CODE64 = 8;
const ES = 0, SS = 2, DS = 3, FS = 4, GS = 5;
const NONE = 0xff, RIP = 0x10;

type Case = [string, number[], number, Record<string, unknown>];

// Every form in the code sizes it differs in: what the decoder must say.
const FORMS: Case[] = [
  // MOV, MOVZX, MOVSX
  ["mov [rdi], eax", [0x89, 0x07], CODE64, { op: STORE, width: 4, reg: 0, length: 2, base: 7, seg: DS, addrSize: 8 }],
  ["mov [rdi+0x30], esi", [0x89, 0x77, 0x30], CODE64, { op: STORE, width: 4, reg: 6, length: 3, disp: "0x30" }],
  ["mov rax, [rip+0x1234]", [0x48, 0x8b, 0x05, 0x34, 0x12, 0, 0], CODE64, { op: LOAD, width: 8, reg: 0, length: 7, base: RIP, disp: "0x1234" }],
  ["mov r9d, [r8+rcx*4+0x100]", [0x45, 0x8b, 0x8c, 0x88, 0, 1, 0, 0], CODE64, { op: LOAD, width: 4, reg: 9, length: 8, base: 8, index: 1, scale: 2 }],
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
  ["mov rax, [moffs64]", [0x48, 0xa1, 0, 0, 0, 0xff, 0, 0, 0, 0], CODE64, { op: LOAD, width: 8, reg: 0, length: 10, disp: "0xff000000", base: NONE }],
  ["mov eax, [r12+r13*8-8]", [0x43, 0x8b, 0x44, 0xec, 0xf8], CODE64, { op: LOAD, base: 12, index: 13, scale: 3, disp: "0xfffffffffffffff8", seg: DS, length: 5 }],
  ["mov eax, gs:[0x1000] (SIB, no base)", [0x65, 0x8b, 0x04, 0x25, 0, 0x10, 0, 0], CODE64, { op: LOAD, base: NONE, index: NONE, disp: "0x1000", seg: GS, length: 8 }],
  ["mov eax, [rbp+8] (SS)", [0x8b, 0x45, 0x08], CODE64, { op: LOAD, base: 5, seg: SS }],
  ["mov eax, [rsp+rbx*2] (SS)", [0x8b, 0x04, 0x5c], CODE64, { op: LOAD, base: 4, index: 3, scale: 1, seg: SS }],
  ["mov eax, [r13] (DS)", [0x41, 0x8b, 0x45, 0x00], CODE64, { op: LOAD, base: 13, seg: DS, length: 4 }],
  ["mov eax, [ebx] (64-bit code, 67)", [0x67, 0x8b, 0x03], CODE64, { op: LOAD, addrSize: 4, base: 3, length: 3 }],
  ["mov eax, [eip+0x20] (67)", [0x67, 0x8b, 0x05, 0x20, 0, 0, 0], CODE64, { op: LOAD, addrSize: 4, base: RIP, disp: "0x20" }],
  ["mov es:[rbx], ax", [0x26, 0x66, 0x89, 0x03], CODE64, { op: STORE, width: 2, seg: ES, length: 4 }],
  ["mov [ds:0xff000000], eax (32-bit)", [0x3e, 0x89, 0x05, 0, 0, 0, 0xff], CODE32, { op: STORE, width: 4, length: 7, base: NONE, seg: DS }],
  ["mov eax, [0xff000000] (32-bit, moffs)", [0xa1, 0, 0, 0, 0xff], CODE32, { op: LOAD, width: 4, reg: 0, length: 5 }],
  ["mov [0xff000000], al (32-bit, moffs)", [0xa2, 0, 0, 0, 0xff], CODE32, { op: STORE, width: 1, reg: 0, length: 5 }],
  ["mov eax, [esi+ebx*2] (32-bit, SIB)", [0x8b, 0x04, 0x5e], CODE32, { op: LOAD, width: 4, length: 3 }],
  ["mov ax, [moffs16] (16-bit)", [0xa1, 0x34, 0x12], CODE16, { op: LOAD, width: 2, length: 3, disp: "0x1234" }],
  ["mov ax, [bx+si+0x10] (16-bit)", [0x8b, 0x40, 0x10], CODE16, { op: LOAD, width: 2, length: 3, base: 3, index: 6, disp: "0x10" }],
  ["mov ax, [bp+si] (16-bit, SS)", [0x8b, 0x02], CODE16, { op: LOAD, base: 5, index: 6, seg: SS }],
  ["mov eax, [0x1234] (16-bit, 66)", [0x66, 0x8b, 0x06, 0x34, 0x12], CODE16, { op: LOAD, width: 4, length: 5, base: NONE }],
  ["mov ax, [ebx] (16-bit code, 67)", [0x67, 0x8b, 0x03], CODE16, { op: LOAD, width: 2, length: 3, addrSize: 4 }],

  // ADD OR AND SUB XOR to memory, from a register
  ["add [rdi], eax", [0x01, 0x07], CODE64, { op: RMW, alu: ADD, width: 4, reg: 0, srcImm: false, lock: false, length: 2, base: 7 }],
  ["lock add [rdi], eax", [0xf0, 0x01, 0x07], CODE64, { op: RMW, alu: ADD, lock: true, length: 3 }],
  ["lock or [rdi+8], cl", [0xf0, 0x08, 0x4f, 0x08], CODE64, { op: RMW, alu: OR, width: 1, reg: 1, high8: false, disp: "0x8", length: 4 }],
  ["or [rbx], ah", [0x08, 0x23], CODE64, { op: RMW, alu: OR, width: 1, reg: 4, high8: true }],
  ["or [rbx], spl (REX)", [0x40, 0x08, 0x23], CODE64, { op: RMW, alu: OR, width: 1, reg: 4, high8: false }],
  ["and [rsi], r9", [0x4c, 0x21, 0x0e], CODE64, { op: RMW, alu: AND, width: 8, reg: 9, base: 6, length: 3 }],
  ["sub word [rdx], si", [0x66, 0x29, 0x32], CODE64, { op: RMW, alu: SUB, width: 2, reg: 6, base: 2 }],
  ["xor [rcx], dl", [0x30, 0x11], CODE64, { op: RMW, alu: XOR, width: 1, reg: 2, base: 1 }],
  ["xor [r13+0x10], r8b", [0x45, 0x30, 0x45, 0x10], CODE64, { op: RMW, alu: XOR, width: 1, reg: 8, high8: false, base: 13, seg: DS, length: 4 }],
  ["add [ebx], eax (32-bit)", [0x01, 0x03], CODE32, { op: RMW, alu: ADD, width: 4, addrSize: 4, base: 3 }],
  ["lock and [esi+ecx*4], edx (32-bit)", [0xf0, 0x21, 0x14, 0x8e], CODE32, { op: RMW, alu: AND, lock: true, base: 6, index: 1, scale: 2, reg: 2 }],
  ["add [bx+si], ax (16-bit)", [0x01, 0x00], CODE16, { op: RMW, alu: ADD, width: 2, base: 3, index: 6, addrSize: 2, seg: DS }],
  ["sub [di], cx (16-bit)", [0x29, 0x0d], CODE16, { op: RMW, alu: SUB, width: 2, base: 7, reg: 1 }],
  ["add [ebx+eax*2], eax (16-bit code, 67 66)", [0x67, 0x66, 0x01, 0x04, 0x43], CODE16, { op: RMW, width: 4, addrSize: 4, base: 3, index: 0, scale: 1, length: 5 }],

  // ... from an immediate (80, 81, 83 /0 /1 /4 /5 /6)
  ["add byte [rax], 0x7f", [0x80, 0x00, 0x7f], CODE64, { op: RMW, alu: ADD, srcImm: true, imm: "0x7f", width: 1, length: 3 }],
  ["or dword [rax], 0x80000000", [0x81, 0x08, 0, 0, 0, 0x80], CODE64, { op: RMW, alu: OR, imm: "0x80000000", width: 4, length: 6 }],
  ["and qword [rax], -16", [0x48, 0x81, 0x20, 0xf0, 0xff, 0xff, 0xff], CODE64, { op: RMW, alu: AND, imm: "0xfffffffffffffff0", width: 8, length: 7 }],
  ["sub dword [rax+4], -1 (83)", [0x83, 0x68, 0x04, 0xff], CODE64, { op: RMW, alu: SUB, imm: "0xffffffff", width: 4, disp: "0x4", length: 4 }],
  ["xor word [rax], -128 (83)", [0x66, 0x83, 0x30, 0x80], CODE64, { op: RMW, alu: XOR, imm: "0xff80", width: 2, length: 4 }],
  ["add qword [rax], 1 (83)", [0x48, 0x83, 0x00, 0x01], CODE64, { op: RMW, alu: ADD, imm: "0x1", width: 8 }],
  ["lock sub byte [rax], 1", [0xf0, 0x80, 0x28, 0x01], CODE64, { op: RMW, alu: SUB, imm: "0x1", lock: true, length: 4 }],
  ["add word [ebx], 1 (32-bit, 83)", [0x66, 0x83, 0x03, 0x01], CODE32, { op: RMW, alu: ADD, width: 2, imm: "0x1" }],
  ["or dword [0xff000000], 1 (32-bit)", [0x83, 0x0d, 0, 0, 0, 0xff, 0x01], CODE32, { op: RMW, alu: OR, base: NONE, disp: "0xffffffffff000000", imm: "0x1", length: 7 }],
  ["or byte [bp+di+4], 0x10 (16-bit)", [0x80, 0x4b, 0x04, 0x10], CODE16, { op: RMW, alu: OR, base: 5, index: 7, seg: SS, disp: "0x4", imm: "0x10", width: 1 }],
  ["and word [0x1234], 0xff00 (16-bit)", [0x81, 0x26, 0x34, 0x12, 0x00, 0xff], CODE16, { op: RMW, alu: AND, base: NONE, disp: "0x1234", imm: "0xff00", width: 2, length: 6 }],
  ["or dword [bx], 0x12345678 (16-bit, 66)", [0x66, 0x81, 0x0f, 0x78, 0x56, 0x34, 0x12], CODE16, { op: RMW, alu: OR, base: 3, width: 4, imm: "0x12345678", length: 7 }],

  // CMP
  ["cmp dword [rax], 1", [0x83, 0x38, 0x01], CODE64, { op: FLAGS, alu: CMP, srcImm: true, imm: "0x1", width: 4 }],
  ["cmp byte [rax], 0x80", [0x80, 0x38, 0x80], CODE64, { op: FLAGS, alu: CMP, imm: "0x80", width: 1 }],
  ["cmp qword [rax], imm32", [0x48, 0x81, 0x38, 0, 0, 0, 0x80], CODE64, { op: FLAGS, alu: CMP, imm: "0xffffffff80000000", width: 8 }],
  ["cmp [rdi], al", [0x38, 0x07], CODE64, { op: FLAGS, alu: CMP, swap: false, width: 1, reg: 0 }],
  ["cmp eax, [rdi]", [0x3b, 0x07], CODE64, { op: FLAGS, alu: CMP, swap: true, width: 4 }],
  ["cmp r11w, [rdi]", [0x66, 0x44, 0x3b, 0x1f], CODE64, { op: FLAGS, alu: CMP, swap: true, width: 2, reg: 11 }],
  ["cmp bh, [rdi]", [0x3a, 0x3f], CODE64, { op: FLAGS, alu: CMP, swap: true, width: 1, reg: 7, high8: true }],
  ["cmp byte [ebp-4], 0 (32-bit)", [0x80, 0x7d, 0xfc, 0x00], CODE32, { op: FLAGS, alu: CMP, base: 5, seg: SS, disp: "0xfffffffffffffffc" }],
  ["cmp [si], cx (16-bit)", [0x39, 0x0c], CODE16, { op: FLAGS, alu: CMP, base: 6, reg: 1, width: 2 }],

  // TEST
  ["test [rdi], bh", [0x84, 0x3f], CODE64, { op: FLAGS, alu: TEST, width: 1, reg: 7, high8: true }],
  ["test [rdi], r10", [0x4c, 0x85, 0x17], CODE64, { op: FLAGS, alu: TEST, width: 8, reg: 10 }],
  ["test byte [rdi], 1", [0xf6, 0x07, 0x01], CODE64, { op: FLAGS, alu: TEST, srcImm: true, imm: "0x1", width: 1, length: 3 }],
  ["test dword [rdi], 0x100", [0xf7, 0x07, 0, 1, 0, 0], CODE64, { op: FLAGS, alu: TEST, imm: "0x100", width: 4, length: 6 }],
  ["test word [rdi], 0x8000", [0x66, 0xf7, 0x07, 0x00, 0x80], CODE64, { op: FLAGS, alu: TEST, imm: "0x8000", width: 2, length: 5 }],
  ["test qword [rdi], imm32", [0x48, 0xf7, 0x07, 0, 0, 0, 0x80], CODE64, { op: FLAGS, alu: TEST, imm: "0xffffffff80000000", width: 8, length: 7 }],
  ["test [eax], dx (32-bit)", [0x66, 0x85, 0x10], CODE32, { op: FLAGS, alu: TEST, width: 2, reg: 2 }],
  ["test byte [di-1], 0x80 (16-bit)", [0xf6, 0x45, 0xff, 0x80], CODE16, { op: FLAGS, alu: TEST, base: 7, disp: "0xffffffffffffffff", imm: "0x80" }],

  // BT
  ["bt [rdi], eax", [0x0f, 0xa3, 0x07], CODE64, { op: FLAGS, alu: BT, srcImm: false, reg: 0, width: 4, length: 3 }],
  ["bt [rdi], rcx", [0x48, 0x0f, 0xa3, 0x0f], CODE64, { op: FLAGS, alu: BT, reg: 1, width: 8, length: 4 }],
  ["bt word [rdi], r9w", [0x66, 0x44, 0x0f, 0xa3, 0x0f], CODE64, { op: FLAGS, alu: BT, reg: 9, width: 2, length: 5 }],
  ["bt dword [rdi], 31", [0x0f, 0xba, 0x27, 0x1f], CODE64, { op: FLAGS, alu: BT, srcImm: true, imm: "0x1f", width: 4, length: 4 }],
  ["bt word [rdi], 0xff (not sign-extended)", [0x66, 0x0f, 0xba, 0x27, 0xff], CODE64, { op: FLAGS, alu: BT, imm: "0xff", width: 2 }],
  ["bt [eax], edx (32-bit)", [0x0f, 0xa3, 0x10], CODE32, { op: FLAGS, alu: BT, reg: 2, width: 4 }],
  ["bt [bx], ax (16-bit)", [0x0f, 0xa3, 0x07], CODE16, { op: FLAGS, alu: BT, reg: 0, width: 2, base: 3 }],

  // XCHG
  ["xchg [rdi], eax", [0x87, 0x07], CODE64, { op: XCHG, width: 4, reg: 0, regWidth: 4 }],
  ["xchg [rdi], ch", [0x86, 0x2f], CODE64, { op: XCHG, width: 1, reg: 5, high8: true }],
  ["lock xchg [rdi], r8", [0xf0, 0x4c, 0x87, 0x07], CODE64, { op: XCHG, width: 8, reg: 8, lock: true, length: 4 }],
  ["xchg [esi], dl (32-bit)", [0x86, 0x16], CODE32, { op: XCHG, width: 1, reg: 2 }],
  ["xchg [bp], al (16-bit)", [0x86, 0x46, 0x00], CODE16, { op: XCHG, width: 1, base: 5, seg: SS, disp: "0x0" }],

  // STOS, MOVS
  ["stosb", [0xaa], CODE64, { op: STOS, width: 1, rep: false, addrSize: 8, length: 1 }],
  ["rep stosq", [0xf3, 0x48, 0xab], CODE64, { op: STOS, width: 8, rep: true, length: 3 }],
  ["rep stosd, 32-bit addresses (67)", [0x67, 0xf3, 0xab], CODE64, { op: STOS, width: 4, rep: true, addrSize: 4 }],
  ["rep stosw", [0x66, 0xf3, 0xab], CODE64, { op: STOS, width: 2, rep: true }],
  ["movsb", [0xa4], CODE64, { op: MOVS, width: 1, seg: DS, rep: false }],
  ["rep movsd", [0xf3, 0xa5], CODE64, { op: MOVS, width: 4, rep: true, length: 2 }],
  ["rep movsw fs:", [0x64, 0xf3, 0x66, 0xa5], CODE64, { op: MOVS, width: 2, rep: true, seg: FS, length: 4 }],
  ["movsq", [0x48, 0xa5], CODE64, { op: MOVS, width: 8 }],
  ["stosd (32-bit)", [0xab], CODE32, { op: STOS, width: 4, addrSize: 4 }],
  ["rep movsb (32-bit)", [0xf3, 0xa4], CODE32, { op: MOVS, width: 1, rep: true, addrSize: 4 }],
  ["stosw (32-bit, 66)", [0x66, 0xab], CODE32, { op: STOS, width: 2 }],
  ["rep stosb, 16-bit addresses (32-bit, 67)", [0x67, 0xf3, 0xaa], CODE32, { op: STOS, width: 1, rep: true, addrSize: 2 }],
  ["rep stosw (16-bit)", [0xf3, 0xab], CODE16, { op: STOS, width: 2, rep: true, addrSize: 2 }],
  ["rep movsb, 32-bit addresses (16-bit, 67)", [0x67, 0xf3, 0xa4], CODE16, { op: MOVS, width: 1, addrSize: 4 }],
  ["stosd (16-bit, 66)", [0x66, 0xab], CODE16, { op: STOS, width: 4 }],
  ["es: movsw (16-bit)", [0x26, 0xa5], CODE16, { op: MOVS, width: 2, seg: ES }],
];

// What the decoder refuses, and why.
const REFUSED: Array<[string, number[], number, string]> = [
  ["adc [rdi], eax", [0x11, 0x07], CODE64, "opcode not emulated"],
  ["sbb [rdi], eax", [0x19, 0x07], CODE64, "opcode not emulated"],
  ["add eax, [rdi] (register destination)", [0x03, 0x07], CODE64, "opcode not emulated"],
  ["or al, [rdi]", [0x0a, 0x07], CODE64, "opcode not emulated"],
  ["adc byte [rdi], 1 (80 /2)", [0x80, 0x17, 0x01], CODE64, "opcode not emulated"],
  ["sbb dword [rdi], 1 (83 /3)", [0x83, 0x1f, 0x01], CODE64, "opcode not emulated"],
  ["not byte [rdi] (f6 /2)", [0xf6, 0x17], CODE64, "opcode not emulated"],
  ["neg dword [rdi] (f7 /3)", [0xf7, 0x1f], CODE64, "opcode not emulated"],
  ["mul dword [rdi] (f7 /4)", [0xf7, 0x27], CODE64, "opcode not emulated"],
  ["bts dword [rdi], 1 (0f ba /5)", [0x0f, 0xba, 0x2f, 0x01], CODE64, "opcode not emulated"],
  ["bts [rdi], eax", [0x0f, 0xab, 0x07], CODE64, "opcode not emulated"],
  ["btr [rdi], eax", [0x0f, 0xb3, 0x07], CODE64, "opcode not emulated"],
  ["82 /0 (an alias of 80)", [0x82, 0x00, 0x01], CODE32, "opcode not emulated"],
  ["inc byte [rdi]", [0xfe, 0x07], CODE64, "opcode not emulated"],
  ["mov dword [rdx], imm (c7 /1)", [0xc7, 0x0a, 0, 0, 0, 0], CODE64, "opcode not emulated"],
  ["lodsd", [0xad], CODE64, "opcode not emulated"],
  ["rex in 32-bit code is dec", [0x48, 0x8b, 0x03], CODE32, "opcode not emulated"],
  ["rex after a prefix in 32-bit code", [0x66, 0x48, 0x01, 0x07], CODE32, "opcode not emulated"],
  ["lock mov", [0xf0, 0x89, 0x07], CODE64, "LOCK prefix"],
  ["lock mov load", [0xf0, 0x8b, 0x07], CODE64, "LOCK prefix"],
  ["lock cmp", [0xf0, 0x39, 0x07], CODE64, "LOCK prefix"],
  ["lock test", [0xf0, 0x85, 0x07], CODE64, "LOCK prefix"],
  ["lock bt", [0xf0, 0x0f, 0xa3, 0x07], CODE64, "LOCK prefix"],
  ["lock cmp imm", [0xf0, 0x83, 0x38, 0x01], CODE64, "LOCK prefix"],
  ["lock stosb", [0xf0, 0xaa], CODE64, "LOCK prefix"],
  ["lock movsb", [0xf3, 0xf0, 0xa4], CODE64, "LOCK prefix"],
  ["lock moffs", [0xf0, 0xa1, 0, 0, 0, 0xff], CODE32, "LOCK prefix"],
  ["rep mov", [0xf3, 0x89, 0x07], CODE64, "REP prefix"],
  ["rep add", [0xf3, 0x01, 0x07], CODE64, "REP prefix"],
  ["rep moffs", [0xf3, 0xa1, 0, 0, 0, 0xff], CODE32, "REP prefix"],
  ["repne movsb", [0xf2, 0xa4], CODE64, "REPNE prefix"],
  ["repne mov", [0xf2, 0x89, 0x07], CODE64, "REPNE prefix"],
  ["mov eax, eax", [0x89, 0xc0], CODE64, "register operand"],
  ["add eax, eax", [0x01, 0xc0], CODE64, "register operand"],
  ["bt eax, eax", [0x0f, 0xa3, 0xc0], CODE64, "register operand"],
  ["xchg eax, eax (87 c0)", [0x87, 0xc0], CODE64, "register operand"],
  ["add eax, 1", [0x83, 0xc0, 0x01], CODE64, "register operand"],
  ["test al, 1", [0xf6, 0xc0, 0x01], CODE64, "register operand"],
  ["bt eax, 1", [0x0f, 0xba, 0xe0, 0x01], CODE64, "register operand"],
  ["nothing", [], CODE64, "no opcode"],
  ["prefixes only", [0x66, 0x67], CODE64, "no opcode"],
  ["REX only", [0x48], CODE64, "no opcode"],
  ["15 prefixes", Array(15).fill(0x66), CODE64, "no opcode"],
  ["0f alone", [0x0f], CODE64, "truncated"],
  ["imm32 short", [0x81, 0x07, 1, 2, 3], CODE64, "truncated"],
  ["bt imm8 missing", [0x0f, 0xba, 0x27], CODE64, "truncated"],
  ["SIB missing", [0x8b, 0x84], CODE64, "truncated"],
  ["disp32 short", [0x8b, 0x84, 0x24], CODE64, "truncated"],
  ["RIP-relative disp short", [0x8b, 0x05, 0, 0], CODE64, "truncated"],
  ["moffs32 short", [0xa1, 0, 0, 0], CODE32, "truncated"],
  ["disp16 short (16-bit)", [0x81, 0x06, 0x34], CODE16, "truncated"],
  ["imm missing", [0xc7, 0x02, 1, 2], CODE64, "truncated"],
];

describe("MMIO instruction decoder", () => {
  const { m } = vmxMachine();
  const decode = (bytes: number[], cs = CODE64) => {
    m.write(CODE, Uint8Array.from(bytes));
    return JSON.parse(m.str("mmioDecodeJson", CODE, bytes.length, cs)!);
  };
  for (const [name, bytes, cs, want] of FORMS) {
    it(name, () => {
      expect(decode(bytes, cs)).toMatchObject({ ok: true, error: "", ...want });
    });
  }
  it("takes the whole instruction and no more: a longer buffer decodes to the same length", () => {
    for (const [name, bytes, cs] of FORMS) {
      const d = decode(bytes, cs);
      expect(d.length, name).toBe(bytes.length);
      expect(decode([...bytes, 0x90, 0x90, 0x90], cs), name).toMatchObject({ ok: true, length: bytes.length });
    }
  });
  it("refuses every truncation of every form", () => {
    for (const [name, bytes, cs] of FORMS) {
      for (let k = 0; k < bytes.length; k++) {
        const d = decode(bytes.slice(0, k), cs);
        expect(d.ok, `${name}: ${k} of ${bytes.length} bytes`).toBe(false);
        expect(["truncated", "no opcode", "opcode not emulated"], `${name}: ${k} bytes`).toContain(d.error);
      }
    }
  });
  for (const [name, bytes, cs, error] of REFUSED) {
    it(`refuses ${name}: ${error}`, () => {
      expect(decode(bytes, cs)).toMatchObject({ ok: false, op: 0, error });
    });
  }
});

// ── The reference: flags as SDM Vol. 2 defines them ───────────────────────

const CF = 1n, PF = 4n, AF = 0x10n, ZF = 0x40n, SF = 0x80n, TF = 0x100n, IF = 0x200n, DF = 0x400n, OF = 0x800n, AC = 0x40000n;
const STATUS = CF | PF | AF | ZF | SF | OF;
const ONES = (w: number) => (1n << BigInt(8 * w)) - 1n;

type Op = "add" | "or" | "and" | "sub" | "xor" | "cmp" | "test";
function reference(op: Op, a: bigint, b: bigint, w: number): { r: bigint; flags: bigint } {
  const m = ONES(w), top = 1n << BigInt(8 * w - 1);
  a &= m;
  b &= m;
  let r: bigint, cf = false, of = false, af = false;
  const neg = (x: bigint) => (x & top) !== 0n;
  if (op === "add") {
    r = (a + b) & m;
    cf = a + b > m;                                   // unsigned carry out
    of = neg(a) === neg(b) && neg(r) !== neg(a);      // like signs, result of the other sign
    af = (a & 0xfn) + (b & 0xfn) > 0xfn;              // carry out of the low nibble
  } else if (op === "sub" || op === "cmp") {
    r = (a - b) & m;
    cf = a < b;                                       // borrow
    of = neg(a) !== neg(b) && neg(r) !== neg(a);
    af = (a & 0xfn) < (b & 0xfn);                     // borrow into bit 4
  } else {
    r = op === "or" ? a | b : op === "xor" ? a ^ b : a & b;
  }
  let ones = 0;
  for (let i = 0n; i < 8n; i++) if ((r >> i) & 1n) ones++;
  const flags = (cf ? CF : 0n) | (of ? OF : 0n) | (af ? AF : 0n) | (r === 0n ? ZF : 0n) | (neg(r) ? SF : 0n) | (ones % 2 === 0 ? PF : 0n);
  return { r, flags };
}

// A few operands of each width: the edges of carry, overflow and sign, and
// some that are not.
function operands(w: number): Array<[bigint, bigint]> {
  const m = ONES(w), top = 1n << BigInt(8 * w - 1);
  let seed = BigInt(w) * 0x9e3779b97f4a7c15n;
  const rnd = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n)) & m;
  return [[0n, 0n], [1n, m], [m, 1n], [top - 1n, 1n], [top, top], [top, 1n], [0x0fn, 0x01n], [0x10n, 0x01n], [rnd(), rnd()], [rnd(), rnd()]];
}

const VIOLATION = 48, READ = 1, WRITE = 2, READ_WRITE = 3;
const RESUME = 0, STOP = 5;
const TESTDEV = 0xff000000n;
// VMCS fields the tests set beyond tests/sim's F.
const V = {
  GUEST_ES_BASE: 0x6806, GUEST_CS_BASE: 0x6808, GUEST_SS_BASE: 0x680a, GUEST_DS_BASE: 0x680c, GUEST_FS_BASE: 0x680e,
  GUEST_SS_ACCESS_RIGHTS: 0x4818,
} as const;

type Regs = Partial<Record<keyof typeof REG, bigint>>;

function world() {
  // Frames above the heap: the domain needs 4 MiB.
  const { m, e, vmx, create } = vmxMachine(0xa00000n, 0x500000n);
  const id = create("mm", "testdev=1", "4M");
  const host = (gpa: bigint | number) => Number(e.testGuestToHost(id, BigInt(gpa)));
  const put = (gpa: bigint | number, bytes: number[]): void => {
    for (let i = 0; i < bytes.length; i++) m.bytes[host(BigInt(gpa) + BigInt(i))] = bytes[i];
  };
  const peek = (gpa: bigint | number, n: number): number[] => Array.from({ length: n }, (_, i) => m.bytes[host(BigInt(gpa) + BigInt(i))]);
  const put64 = (gpa: bigint | number, v: bigint) => new DataView(m.memory.buffer).setBigUint64(host(gpa), v, true);
  const get64 = (gpa: bigint | number) => new DataView(m.memory.buffer).getBigUint64(host(gpa), true);
  const put32 = (gpa: bigint | number, v: number) => new DataView(m.memory.buffer).setUint32(host(gpa), v >>> 0, true);
  const get32 = (gpa: bigint | number) => new DataView(m.memory.buffer).getUint32(host(gpa), true);
  const regs = () => e.testVcpuRegs(id);
  const set = (r: Regs) => { for (const [k, v] of Object.entries(r)) vmx.setReg(regs(), REG[k as keyof typeof REG], v!); };
  const reg = (k: keyof typeof REG) => vmx.reg(regs(), REG[k]);
  // One access by the instruction at `rip` (its bytes already at `code`
  // guest-physical, `rip` itself when not given): the exit the CPU would make.
  const exit = (rip: bigint | number, gpa: bigint, qual: number, fields: Record<number, bigint | number> = {}): number => {
    vmx.guest = (c) => {
      c.set(F.GUEST_RIP, BigInt(rip));
      for (const [f, v] of Object.entries(fields)) c.set(Number(f), BigInt(v));
      return c.exit(VIOLATION, { qualification: qual, gpa });
    };
    return e.testEnterOnce(id, 0x1000) >>> 0;
  };
  const run = (rip: number, bytes: number[], gpa: bigint, qual: number, fields: Record<number, bigint | number> = {}) => {
    put(rip, bytes);
    return exit(rip, gpa, qual, fields);
  };
  const dev = Number(e.testDomainMmioDevice(id, TESTDEV));
  const devPut = (off: number, bytes: number[]) => bytes.forEach((b, i) => e.devWrite(dev, off + i, 1, BigInt(b)));
  const devGet = (off: number, n: number) => Array.from({ length: n }, (_, i) => Number(e.devRead(dev, off + i, 1)));
  const devPutN = (off: number, w: number, v: bigint) => e.devWrite(dev, off, w, v);
  const devGetN = (off: number, w: number) => BigInt.asUintN(8 * w, BigInt(e.devRead(dev, off, w)));
  const rip = () => vmx.get(F.GUEST_RIP);
  const rflags = () => vmx.get(F.GUEST_RFLAGS);
  const stopReason = () => m.str("testDomainStopReason", id);
  return { m, e, vmx, id, host, put, peek, put64, get64, put32, get32, regs, set, reg, exit, run, dev, devPut, devGet, devPutN, devGetN, rip, rflags, stopReason };
}
type World = ReturnType<typeof world>;

const bytesOf = (v: bigint, n: number) => Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
const le = (bytes: number[]) => bytes.reduce((v, b, i) => v | (BigInt(b) << BigInt(8 * i)), 0n);
const sizePrefix = (w: number) => (w === 2 ? [0x66] : w === 8 ? [0x48] : []);

describe("MMIO through the EPT-violation exit", () => {
  it("stores and loads the test device at every width, in 64-bit code through the guest's page tables", () => {
    const w = world();
    expect(w.dev).not.toBe(0);
    w.set({ RAX: 0x1122334455667788n });
    expect(w.run(0x100000, [0x48, 0x89, 0x07], TESTDEV, WRITE)).toBe(RESUME);        // mov [rdi], rax
    expect(w.rip()).toBe(0x100003n);
    expect(w.devGetN(0, 8)).toBe(0x1122334455667788n);
    w.set({ RBX: 0xffffffffffffffffn });
    expect(w.run(0x100010, [0x8b, 0x1f], TESTDEV + 4n, READ)).toBe(RESUME);         // mov ebx, [rdi+4]: zero-extends
    expect(w.reg("RBX")).toBe(0x11223344n);
    expect(w.rip()).toBe(0x100012n);
    w.set({ RCX: 0xaaaaaaaaaaaaaaaan });
    expect(w.run(0x100020, [0x66, 0x8b, 0x0f], TESTDEV + 2n, READ)).toBe(RESUME);   // mov cx, [rdi+2]: keeps the rest
    expect(w.reg("RCX")).toBe(0xaaaaaaaaaaaa5566n);
    w.set({ RDX: 0xaaaaaaaaaaaaaaaan });
    expect(w.run(0x100030, [0x8a, 0x37], TESTDEV + 7n, READ)).toBe(RESUME);         // mov dh, [rdi+7]
    expect(w.reg("RDX")).toBe(0xaaaaaaaaaaaa11aan);
    expect(w.run(0x100040, [0xc6, 0x47, 0x10, 0x80], TESTDEV + 16n, WRITE)).toBe(RESUME);  // mov byte [rdi+16], 0x80
    expect(w.run(0x100050, [0x48, 0x0f, 0xbe, 0x37], TESTDEV + 16n, READ)).toBe(RESUME); // movsx rsi, byte [rdi+16]
    expect(w.reg("RSI")).toBe(0xffffffffffffff80n);
    expect(w.run(0x100060, [0x0f, 0xb6, 0x37], TESTDEV + 16n, READ)).toBe(RESUME);  // movzx esi, byte [rdi+16]
    expect(w.reg("RSI")).toBe(0x80n);
    expect(w.e.testDomainState(w.id)).not.toBe(2);
  });

  it("finds the instruction through 32-bit and PAE paging the guest set up", () => {
    const w = world();
    // 32-bit paging: linear 0x00401000 -> guest-physical 0x200000 (PD at 0x300000, PT at 0x301000).
    w.put32(0x300000 + 1 * 4, 0x301000 | 1);
    w.put32(0x301000 + 1 * 4, 0x200000 | 1);
    w.set({ RAX: 0x5a5a5a5an });
    const paging32 = { [F.GUEST_CR0]: 0x80000011n, [F.GUEST_CR3]: 0x300000n, [F.GUEST_CR4]: 0n, [F.GUEST_IA32_EFER]: 0n, [F.GUEST_CS_ACCESS_RIGHTS]: 0xc09bn };
    w.put(0x200000, [0x89, 0x05, 0, 0, 0, 0xff]);
    expect(w.exit(0x401000, TESTDEV, WRITE, paging32)).toBe(RESUME);                  // mov [0xff000000], eax
    expect(w.rip()).toBe(0x401006n);
    expect(w.devGetN(0, 4)).toBe(0x5a5a5a5an);
    // PAE: linear 0x40201000 -> 0x210000 (PDPT at 0x310000, PD 0x311000, PT 0x312000).
    w.put64(0x310000 + 1 * 8, 0x311000n | 1n);
    w.put64(0x311000 + 1 * 8, 0x312000n | 1n);
    w.put64(0x312000 + 1 * 8, 0x210000n | 1n);
    w.put(0x210000, [0x8b, 0x0d, 0, 0, 0, 0xff]);
    expect(w.exit(0x40201000, TESTDEV, READ, { ...paging32, [F.GUEST_CR3]: 0x310000n, [F.GUEST_CR4]: 0x20n })).toBe(RESUME); // mov ecx, [0xff000000]
    expect(w.reg("RCX")).toBe(0x5a5a5a5an);
  });

  it("stops the domain for an instruction it does not emulate, naming its bytes", () => {
    const w = world();
    expect(w.run(0x100000, [0x11, 0x07], TESTDEV, WRITE)).toBe(STOP);                  // adc [rdi], eax
    expect(w.stopReason()).toMatch(
      /^MMIO write at 0x0*ff000000 rip 0x0*100000: instruction 11 07 .* not emulated \(opcode not emulated\)$/);
    const v = world();
    expect(v.run(0x100000, [0xf0, 0x89, 0x07], TESTDEV, WRITE)).toBe(STOP);           // lock mov: #UD on the CPU
    expect(v.stopReason()).toMatch(/instruction f0 89 07 .* not emulated \(LOCK prefix\)$/);
  });

  it("still stops a domain touching an address no device claims", () => {
    const w = world();
    expect(w.run(0x100000, [0x89, 0x07], TESTDEV + 0x1000n, WRITE)).toBe(STOP);
    expect(w.stopReason()).toMatch(/^EPT violation at 0x0*ff001000 \(write\)/);
  });

  // The access the exit reports must be what the instruction does there:
  // a write for a store, a read-modify-write (with or without the read
  // bit, 28.2.1) and STOS; a read for a load, CMP, TEST and BT.
  const WRONG: Array<[string, number[], number]> = [
    ["mov eax, [rdi] as a write", [0x8b, 0x07], WRITE],
    ["mov [rdi], eax as a read", [0x89, 0x07], READ],
    ["add [rdi], eax as a read", [0x01, 0x07], READ],
    ["or dword [rdi], 1 as a read", [0x83, 0x0f, 0x01], READ],
    ["cmp [rdi], eax as a write", [0x39, 0x07], WRITE],
    ["cmp dword [rdi], 1 as a read-modify-write", [0x83, 0x3f, 0x01], READ_WRITE],
    ["test [rdi], eax as a write", [0x85, 0x07], WRITE],
    ["bt dword [rdi], 1 as a write", [0x0f, 0xba, 0x27, 0x01], WRITE],
    ["xchg [rdi], eax as a read", [0x87, 0x07], READ],
    ["stosd as a read", [0xab], READ],
  ];
  for (const [name, bytes, qual] of WRONG) {
    it(`stops the domain for ${name}`, () => {
      const w = world();
      w.set({ RDI: TESTDEV });
      expect(w.run(0x100000, bytes, TESTDEV, qual)).toBe(STOP);
      expect(w.stopReason()).toMatch(/not emulated \(direction differs from the access\)$/);
      expect(w.devGet(0, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    });
  }
});

describe("read-modify-write, CMP, TEST and BT on MMIO leave what the CPU would", () => {
  const OPS: Array<[Op, number]> = [["add", ADD], ["or", OR], ["and", AND], ["sub", SUB], ["xor", XOR]];
  // RFLAGS before: other bits that must stay (IF, DF, AC, bit 1), the
  // status flags all set or all clear.
  const before = (k: number) => 0x2n | IF | DF | AC | (k % 2 ? STATUS : 0n);

  // One instruction at `at` on the dword/qword at TESTDEV + 8: the device,
  // RFLAGS, RIP and the source register after it.
  function check(w: World, name: string, bytes: number[], op: Op, a: bigint, b: bigint, width: number, k: number, writes: boolean, swap = false, qual = WRITE) {
    const at = 0x100000 + (k % 64) * 16;
    w.devPut(8, bytesOf(a, 8));
    w.devPut(16, [0xee]);
    const x = swap ? b : a, y = swap ? a : b;
    const want = reference(op, x, y, width);
    const flags0 = before(k);
    expect(w.run(at, bytes, TESTDEV + 8n, writes ? qual : READ, { [F.GUEST_RFLAGS]: flags0 }), name).toBe(RESUME);
    const stored = writes ? want.r : a & ONES(width);
    expect(w.devGetN(8, width), `${name}: memory`).toBe(stored);
    if (width < 8) expect(w.devGetN(8 + width, 8 - width), `${name}: bytes past the operand`).toBe((a >> BigInt(8 * width)) & ONES(8 - width));
    expect(w.devGet(16, 1), name).toEqual([0xee]);
    expect(w.rflags(), `${name}: RFLAGS`).toBe((flags0 & ~STATUS) | want.flags);
    expect(w.rip(), `${name}: RIP`).toBe(BigInt(at + bytes.length));
  }

  it("ADD OR AND SUB XOR from a register, at every width (also with LOCK and a read-and-write exit)", () => {
    const w = world();
    w.set({ RDI: TESTDEV + 8n });
    let k = 0;
    for (const [op, n] of OPS) {
      for (const width of [1, 2, 4, 8]) {
        for (const [a, b] of operands(width)) {
          const rcx = 0x5555555555555555n ^ b;             // the register's bits past the operand must not matter
          w.set({ RCX: (rcx & ~ONES(width)) | b });
          const lock = k % 3 === 0 ? [0xf0] : [];
          const bytes = [...lock, ...sizePrefix(width), n * 8 + (width === 1 ? 0 : 1), 0x0f];   // op [rdi], cl/cx/ecx/rcx
          check(w, `${op}${width} ${a.toString(16)}, ${b.toString(16)}`, bytes, op, a, b, width, k, true, false, k % 4 === 1 ? READ_WRITE : WRITE);
          expect(w.reg("RCX") & ONES(width)).toBe(b);
          k++;
        }
      }
    }
  });

  it("ADD OR AND SUB XOR with an immediate: 80 ib, 81 iw/id, 83 ib sign-extended", () => {
    const w = world();
    let k = 0;
    for (const [op, n] of OPS) {
      for (const width of [1, 2, 4, 8]) {
        for (const [a, b0] of operands(width)) {
          const modrm = 0x07 | (n << 3);                     // [rdi]
          if (width === 1) {
            check(w, `${op} byte, 0x${b0.toString(16)}`, [0x80, modrm, Number(b0)], op, a, b0, 1, k++, true);
            continue;
          }
          // 81: a 16- or 32-bit immediate (sign-extended to 64 bits).
          const immBytes = width === 2 ? 2 : 4;
          const imm = b0 & ONES(immBytes);
          const b = BigInt.asUintN(8 * width, BigInt.asIntN(8 * immBytes, imm));
          check(w, `${op}${width} 81, 0x${imm.toString(16)}`, [...sizePrefix(width), 0x81, modrm, ...bytesOf(imm, immBytes)], op, a, b, width, k++, true);
          // 83: an 8-bit one.
          const imm8 = b0 & 0xffn;
          check(w, `${op}${width} 83, 0x${imm8.toString(16)}`, [...sizePrefix(width), 0x83, modrm, Number(imm8)], op, a,
            BigInt.asUintN(8 * width, BigInt.asIntN(8, imm8)), width, k++, true);
        }
      }
    }
  });

  it("CMP (memory - register, register - memory, memory - immediate) and TEST only read, and set the flags", () => {
    const w = world();
    let k = 0;
    for (const width of [1, 2, 4, 8]) {
      for (const [a, b] of operands(width)) {
        w.set({ RDX: b });
        const opc = width === 1 ? 0 : 1, pre = sizePrefix(width);
        check(w, `cmp${width} [rdi], dx`, [...pre, 0x38 + opc, 0x17], "cmp", a, b, width, k++, false);
        check(w, `cmp${width} dx, [rdi]`, [...pre, 0x3a + opc, 0x17], "cmp", a, b, width, k++, false, true);
        check(w, `test${width} [rdi], dx`, [...pre, 0x84 + opc, 0x17], "test", a, b, width, k++, false);
        if (width === 1) {
          check(w, "cmp byte, imm8", [0x80, 0x3f, Number(b)], "cmp", a, b, 1, k++, false);
          check(w, "test byte, imm8", [0xf6, 0x07, Number(b)], "test", a, b, 1, k++, false);
        } else {
          const immBytes = width === 2 ? 2 : 4;
          const imm = b & ONES(immBytes);
          const bx = BigInt.asUintN(8 * width, BigInt.asIntN(8 * immBytes, imm));
          check(w, `cmp${width} 81`, [...pre, 0x81, 0x3f, ...bytesOf(imm, immBytes)], "cmp", a, bx, width, k++, false);
          check(w, `cmp${width} 83`, [...pre, 0x83, 0x3f, Number(b & 0xffn)], "cmp", a, BigInt.asUintN(8 * width, BigInt.asIntN(8, b & 0xffn)), width, k++, false);
          check(w, `test${width} f7`, [...pre, 0xf7, 0x07, ...bytesOf(imm, immBytes)], "test", a, bx, width, k++, false);
        }
        expect(w.reg("RDX")).toBe(b);
      }
    }
  });

  it("byte forms use AH..BH without REX and SPL..DIL, R8B.. with it", () => {
    const w = world();
    w.set({ RBX: 0x1111111111113c00n, R9: 0x2222222222222242n });
    w.devPut(8, [0x0f]);
    expect(w.run(0x100000, [0x20, 0x3f], TESTDEV + 8n, WRITE, { [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME);  // and [rdi], bh
    expect(w.devGet(8, 1)).toEqual([0x0c]);
    expect(w.run(0x100010, [0x44, 0x08, 0x0f], TESTDEV + 8n, WRITE)).toBe(RESUME);   // or [rdi], r9b
    expect(w.devGet(8, 1)).toEqual([0x4e]);
    w.set({ RDI: 0x77n << 8n });
    expect(w.run(0x100020, [0x40, 0x30, 0x3f], TESTDEV + 8n, WRITE)).toBe(RESUME);   // xor [rdi], dil: the low byte, 0
    expect(w.devGet(8, 1)).toEqual([0x4e]);
    expect(w.reg("RBX")).toBe(0x1111111111113c00n);
  });

  it("BT with an immediate takes the bit offset modulo the operand size; only CF changes", () => {
    const w = world();
    w.devPut(8, bytesOf(0x8000000180000001n, 8));
    const cases: Array<[number[], number, bigint]> = [
      [[0x0f, 0xba, 0x27, 0], 4, 1n],           // bt dword [rdi], 0
      [[0x0f, 0xba, 0x27, 1], 4, 0n],
      [[0x0f, 0xba, 0x27, 31], 4, 1n],
      [[0x0f, 0xba, 0x27, 32], 4, 1n],          // 32 mod 32 = 0
      [[0x0f, 0xba, 0x27, 63], 4, 1n],          // bit 31
      [[0x66, 0x0f, 0xba, 0x27, 15], 2, 0n],    // bt word [rdi], 15
      [[0x66, 0x0f, 0xba, 0x27, 16], 2, 1n],    // 16 mod 16 = 0
      [[0x48, 0x0f, 0xba, 0x27, 63], 8, 1n],    // bt qword [rdi], 63
      [[0x48, 0x0f, 0xba, 0x27, 32], 8, 1n],
      [[0x48, 0x0f, 0xba, 0x27, 33], 8, 0n],
    ];
    cases.forEach(([bytes, width, cf], k) => {
      for (const flags0 of [0x2n | IF, 0x2n | STATUS | DF]) {
        const at = 0x100000 + k * 16;
        expect(w.run(at, bytes, TESTDEV + 8n, READ, { [F.GUEST_RFLAGS]: flags0 })).toBe(RESUME);
        expect(w.rflags(), bytes.join(" ")).toBe((flags0 & ~CF) | (cf ? CF : 0n));
        expect(w.rip()).toBe(BigInt(at + bytes.length));
      }
    });
    expect(w.devGetN(8, 8)).toBe(0x8000000180000001n);
  });

  it("BT with a register bit offset reads the word it names, before or past the operand, within the device", () => {
    const w = world();
    // Bits 0..511 of the device: bit n set iff n % 7 == 3.
    const bits = Array.from({ length: 64 }, (_, i) => {
      let v = 0;
      for (let j = 0; j < 8; j++) if ((i * 8 + j) % 7 === 3) v |= 1 << j;
      return v;
    });
    w.devPut(0, bits);
    const bit = (n: number) => ((bits[n >> 3] >> (n & 7)) & 1) === 1;
    const BASE = TESTDEV + 0x20n;             // the operand: [rdi] with RDI = BASE (the identity map)
    const cases: Array<[string, number[], number, bigint]> = [
      ["bt [rdi], eax", [0x0f, 0xa3, 0x07], 4, 3n],
      ["bt [rdi], eax", [0x0f, 0xa3, 0x07], 4, 40n],                  // the next dword
      ["bt [rdi], eax", [0x0f, 0xa3, 0x07], 4, 255n],                 // the device's last bit
      ["bt [rdi], eax", [0x0f, 0xa3, 0x07], 4, -1n],                  // the dword before
      ["bt [rdi], eax", [0x0f, 0xa3, 0x07], 4, -256n],                // the device's first bit
      ["bt [rdi], ax", [0x66, 0x0f, 0xa3, 0x07], 2, -17n],            // EA - 4, bit 15
      ["bt [rdi], rax", [0x48, 0x0f, 0xa3, 0x07], 8, 100n],
      ["bt [rdi], rax", [0x48, 0x0f, 0xa3, 0x07], 8, -65n],
      ["bt [rdi+4], eax", [0x0f, 0xa3, 0x47, 0x04], 4, 17n],
    ];
    cases.forEach(([name, bytes, width, off], k) => {
      const disp = bytes.length === 4 && bytes[0] === 0x0f ? 4n : 0n;
      const sbits = BigInt(8 * width);
      const words = off >= 0n ? off / sbits : -((-off + sbits - 1n) / sbits);      // floor
      const word = BASE + disp + words * BigInt(width);
      const n = Number((word - TESTDEV) * 8n + (off - words * sbits));
      // The exit may name the word, or just the byte holding the bit.
      for (const gpa of [word, word + (off - words * sbits) / 8n]) {
        const at = 0x100000 + k * 32;
        const flags0 = 0x2n | (k % 2 ? STATUS : 0n);
        w.set({ RDI: BASE, RAX: BigInt.asUintN(64, off) | (width < 8 ? 0x1234n << 48n : 0n) });
        expect(w.run(at, bytes, gpa, READ, { [F.GUEST_RFLAGS]: flags0 }), `${name} ${off}`).toBe(RESUME);
        expect(w.rflags(), `${name} ${off}: bit ${n}`).toBe((flags0 & ~CF) | (bit(n) ? CF : 0n));
        expect(w.rip()).toBe(BigInt(at + bytes.length));
      }
    });
  });

  it("BT with a register bit offset in 32-bit code adds the segment base", () => {
    const w = world();
    w.devPut(0x10, [0, 0, 0x80, 0]);           // bit 23 of the dword at 0x10
    w.set({ RDI: 0x01000000n, RDX: 0x20n + 23n });
    const pm32 = { [F.GUEST_CR0]: 0x11n, [F.GUEST_IA32_EFER]: 0n, [F.GUEST_CS_ACCESS_RIGHTS]: 0xc09bn, [V.GUEST_DS_BASE]: 0xfe00000cn };
    // bt [edi], edx: DS.base + EDI + 4 * (0x37 >> 5) = 0xff000010
    expect(w.run(0x100000, [0x0f, 0xa3, 0x17], TESTDEV + 0x10n, READ, { ...pm32, [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME);
    expect(w.rflags()).toBe(0x2n | CF);
  });

  it("BT with a register bit offset refuses a word that leaves the device or is not where the exit says", () => {
    const w = world();
    w.set({ RDI: TESTDEV + 0x3en, RAX: 0n });
    expect(w.run(0x100000, [0x0f, 0xa3, 0x07], TESTDEV + 0x3en, READ)).toBe(STOP);     // bytes 0x3e-0x41: past the end
    expect(w.stopReason()).toMatch(/not emulated \(bit offset beyond the device\)$/);
    const v = world();
    v.set({ RDI: TESTDEV, RAX: 0n });
    expect(v.run(0x100000, [0x0f, 0xa3, 0x07], TESTDEV + 0x20n, READ)).toBe(STOP);     // the word is at TESTDEV
    expect(v.stopReason()).toMatch(/not emulated \(address differs from the access\)$/);
  });

  it("XCHG swaps the register and the memory, as a write with or without the read bit; flags unchanged", () => {
    const w = world();
    w.devPutN(8, 8, 0x0102030405060708n);
    w.set({ RAX: 0xffffffffaabbccddn });
    const flags0 = 0x2n | STATUS | IF;
    expect(w.run(0x100000, [0x87, 0x07], TESTDEV + 8n, WRITE, { [F.GUEST_RFLAGS]: flags0 })).toBe(RESUME);  // xchg [rdi], eax
    expect(w.devGetN(8, 8)).toBe(0x01020304aabbccddn);
    expect(w.reg("RAX")).toBe(0x05060708n);                                       // a 32-bit write zero-extends
    expect(w.rip()).toBe(0x100002n);
    w.set({ R8: 0x1111222233334444n });
    expect(w.run(0x100010, [0xf0, 0x4c, 0x87, 0x07], TESTDEV + 8n, READ_WRITE)).toBe(RESUME); // lock xchg [rdi], r8
    expect(w.devGetN(8, 8)).toBe(0x1111222233334444n);
    expect(w.reg("R8")).toBe(0x01020304aabbccddn);
    w.set({ RCX: 0x9999999999995a99n });
    expect(w.run(0x100020, [0x86, 0x2f], TESTDEV + 8n, WRITE)).toBe(RESUME);     // xchg [rdi], ch
    expect(w.devGet(8, 2)).toEqual([0x5a, 0x44]);
    expect(w.reg("RCX")).toBe(0x9999999999994499n);
    w.set({ RDX: 0x7777777777777777n });
    expect(w.run(0x100030, [0x66, 0x87, 0x17], TESTDEV + 8n, WRITE)).toBe(RESUME); // xchg [rdi], dx
    expect(w.devGet(8, 2)).toEqual([0x77, 0x77]);
    expect(w.reg("RDX")).toBe(0x777777777777445an);
    expect(w.rflags()).toBe(flags0);
  });

  it("completes RMW, CMP and XCHG in 16-bit (real mode) and 32-bit code", () => {
    const w = world();
    const real = { [F.GUEST_CR0]: 0x10n, [V.GUEST_CS_BASE]: 0x10000n, [F.GUEST_RFLAGS]: 0x2n };
    w.put(0x10100, [0x81, 0x48, 0x02, 0x00, 0x80]);              // or word [bx+si+2], 0x8000
    w.devPutN(0, 2, 0x0001n);
    expect(w.exit(0x100, TESTDEV, WRITE, real)).toBe(RESUME);
    expect(w.devGetN(0, 2)).toBe(0x8001n);
    expect(w.rip()).toBe(0x105n);
    expect(w.rflags()).toBe(0x2n | SF);                           // OR: SF, PF of 0x01 (odd: clear)
    w.put(0x10110, [0x66, 0x29, 0x07]);                           // sub [bx], eax (66 in 16-bit code: 32 bits)
    w.devPutN(4, 4, 5n);
    w.set({ RAX: 0xffffffff00000006n });
    expect(w.exit(0x110, TESTDEV + 4n, WRITE)).toBe(RESUME);
    expect(w.devGetN(4, 4)).toBe(0xffffffffn);
    expect(w.rflags()).toBe(0x2n | reference("sub", 5n, 6n, 4).flags);
    expect(w.rip()).toBe(0x113n);
    const pm32 = { [F.GUEST_CR0]: 0x11n, [V.GUEST_CS_BASE]: 0n, [F.GUEST_IA32_EFER]: 0n, [F.GUEST_CS_ACCESS_RIGHTS]: 0xc09bn, [F.GUEST_RFLAGS]: 0x2n };
    w.put(0x200000, [0x3b, 0x05, 0x04, 0, 0, 0xff]);              // cmp eax, [0xff000004]
    w.set({ RAX: 0x7fffffffn });
    expect(w.exit(0x200000, TESTDEV + 4n, READ, pm32)).toBe(RESUME);
    expect(w.rflags()).toBe(0x2n | reference("cmp", 0x7fffffffn, 0xffffffffn, 4).flags);
    expect(w.rip()).toBe(0x200006n);
    w.put(0x200010, [0x86, 0x16]);                                // xchg [esi], dl
    w.set({ RDX: 0x42n });
    expect(w.exit(0x200010, TESTDEV + 4n, WRITE)).toBe(RESUME);
    expect(w.reg("RDX")).toBe(0xffn);
    expect(w.devGet(4, 1)).toEqual([0x42]);
  });
});

describe("STOS and MOVS on MMIO", () => {
  it("rep stosd fills the device and leaves RDI, RCX and RIP as after the last iteration", () => {
    const w = world();
    w.set({ RDI: TESTDEV, RCX: 16n, RAX: 0x123456789abcdef0n });
    const flags0 = 0x2n | STATUS | IF;
    expect(w.run(0x100000, [0xf3, 0xab], TESTDEV, WRITE, { [F.GUEST_RFLAGS]: flags0 })).toBe(RESUME);
    for (let i = 0; i < 16; i++) expect(w.devGetN(4 * i, 4)).toBe(0x9abcdef0n);
    expect(w.reg("RDI")).toBe(TESTDEV + 64n);
    expect(w.reg("RCX")).toBe(0n);
    expect(w.reg("RAX")).toBe(0x123456789abcdef0n);
    expect(w.rip()).toBe(0x100002n);
    expect(w.rflags()).toBe(flags0);
  });

  it("stosb without REP stores once and leaves RCX alone", () => {
    const w = world();
    w.set({ RDI: TESTDEV + 5n, RCX: 1234n, RAX: 0x77n });
    expect(w.run(0x100000, [0xaa], TESTDEV + 5n, WRITE, { [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME);
    expect(w.devGet(4, 3)).toEqual([0, 0x77, 0]);
    expect(w.reg("RDI")).toBe(TESTDEV + 6n);
    expect(w.reg("RCX")).toBe(1234n);
    expect(w.rip()).toBe(0x100001n);
  });

  it("steps down with RFLAGS.DF", () => {
    const w = world();
    w.set({ RDI: TESTDEV + 56n, RCX: 8n, RAX: 0x0102030405060708n });
    expect(w.run(0x100000, [0xf3, 0x48, 0xab], TESTDEV + 56n, WRITE, { [F.GUEST_RFLAGS]: 0x2n | DF })).toBe(RESUME);
    for (let i = 0; i < 8; i++) expect(w.devGetN(8 * i, 8)).toBe(0x0102030405060708n);
    expect(w.reg("RDI")).toBe(TESTDEV - 8n);
    expect(w.reg("RCX")).toBe(0n);
  });

  it("with 32-bit addresses (67) in 64-bit code uses EDI and ECX and zero-extends them", () => {
    const w = world();
    w.set({ RDI: 0xdeadbeef00000000n | TESTDEV, RCX: 0xffffffff00000004n, RAX: 0xabcdn });
    expect(w.run(0x100000, [0x67, 0xf3, 0x66, 0xab], TESTDEV, WRITE, { [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME);   // rep stosw
    expect(w.devGet(0, 10)).toEqual([0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0, 0]);
    expect(w.reg("RDI")).toBe(TESTDEV + 8n);
    expect(w.reg("RCX")).toBe(0n);
    expect(w.rip()).toBe(0x100004n);
  });

  it("with 16-bit addresses uses DI and CX and keeps the rest (real mode, a big ES base)", () => {
    const w = world();
    const real = { [F.GUEST_CR0]: 0x10n, [V.GUEST_CS_BASE]: 0x10000n, [V.GUEST_ES_BASE]: TESTDEV, [F.GUEST_RFLAGS]: 0x2n };
    w.put(0x10100, [0xf3, 0xab]);                                 // rep stosw
    w.set({ RDI: 0x12340010n, RCX: 0xabcd0004n, RAX: 0x5a5an });
    expect(w.exit(0x100, TESTDEV + 0x10n, WRITE, real)).toBe(RESUME);
    expect(w.devGet(0x10, 8)).toEqual([0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a]);
    expect(w.reg("RDI")).toBe(0x12340018n);
    expect(w.reg("RCX")).toBe(0xabcd0000n);
    expect(w.rip()).toBe(0x102n);
    // rep movsb from DS:SI (RAM at 0x20000) to ES:DI; SI wraps at 64 KiB.
    w.put(0x2fffe, [1, 2]);
    w.put(0x20000, [3, 4]);
    w.put(0x10110, [0xf3, 0xa4]);
    w.set({ RSI: 0xfffen, RDI: 0x20n, RCX: 4n });
    expect(w.exit(0x110, TESTDEV + 0x20n, WRITE, { [V.GUEST_DS_BASE]: 0x20000n })).toBe(RESUME);
    expect(w.devGet(0x20, 4)).toEqual([1, 2, 3, 4]);
    expect(w.reg("RSI")).toBe(0x2n);
    expect(w.reg("RDI")).toBe(0x24n);
    expect(w.reg("RCX")).toBe(0n);
  });

  it("rep stosd in 32-bit protected mode adds the ES base", () => {
    const w = world();
    const pm32 = { [F.GUEST_CR0]: 0x11n, [F.GUEST_IA32_EFER]: 0n, [F.GUEST_CS_ACCESS_RIGHTS]: 0xc09bn, [V.GUEST_ES_BASE]: 0xfe000000n, [F.GUEST_RFLAGS]: 0x2n };
    w.set({ RDI: 0x01000020n, RCX: 2n, RAX: 0xcafef00dn });
    expect(w.run(0x100000, [0xf3, 0xab], TESTDEV + 0x20n, WRITE, pm32)).toBe(RESUME);
    expect(w.devGetN(0x20, 8)).toBe(0xcafef00dcafef00dn);
    expect(w.reg("RDI")).toBe(0x01000028n);
  });

  it("ends the batch where the destination leaves the device; the CPU then faults on the rest", () => {
    const w = world();
    w.set({ RDI: TESTDEV + 48n, RCX: 5n, RAX: 0x1111111111111111n });
    expect(w.run(0x100000, [0xf3, 0x48, 0xab], TESTDEV + 48n, WRITE, { [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME);
    expect(w.devGetN(48, 8)).toBe(0x1111111111111111n);
    expect(w.devGetN(56, 8)).toBe(0x1111111111111111n);
    expect(w.reg("RCX")).toBe(3n);
    expect(w.reg("RDI")).toBe(TESTDEV + 64n);
    expect(w.rip()).toBe(0x100000n);                               // on the instruction still
    expect(w.exit(0x100000, TESTDEV + 64n, WRITE)).toBe(STOP);     // what the CPU does next
    expect(w.stopReason()).toMatch(/^EPT violation at 0x0*ff000040 \(write\)/);
  });

  it(`does at most 1024 iterations per exit, leaving RIP on the instruction until the last`, () => {
    const w = world();
    const BIG = 0xfe000000n;                                       // a scratch device of 64 KiB
    expect(w.e.testDomainMmioScratch(w.id, BIG, 0x10000n)).toBe(1);
    w.set({ RDI: BIG, RCX: 3000n, RAX: 0xabn });
    w.put(0x100000, [0xf3, 0xaa]);                                 // rep stosb
    const left: bigint[] = [];
    let exits = 0;
    while (w.rip() !== 0x100002n && exits < 10) {
      expect(w.exit(0x100000, w.reg("RDI"), WRITE, { [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME);
      left.push(w.reg("RCX"));
      exits++;
      if (w.reg("RCX") !== 0n) expect(w.rip()).toBe(0x100000n);
    }
    expect(left).toEqual([3000n - 1024n, 3000n - 2048n, 0n]);
    expect(w.reg("RDI")).toBe(BIG + 3000n);
  });

  it("with RFLAGS.TF does one iteration per exit, each followed by a single-step trap", () => {
    const w = world();
    w.set({ RDI: TESTDEV, RCX: 3n, RAX: 0x99n });
    w.put(0x100000, [0xf3, 0xaa]);
    for (let i = 1; i <= 3; i++) {
      expect(w.exit(0x100000, TESTDEV + BigInt(i - 1), WRITE, { [F.GUEST_RFLAGS]: 0x2n | TF, [F.GUEST_PENDING_DEBUG_EXCEPTIONS]: 0n })).toBe(RESUME);
      expect(w.reg("RCX")).toBe(BigInt(3 - i));
      expect(w.rip()).toBe(i < 3 ? 0x100000n : 0x100002n);
      expect(w.vmx.get(F.GUEST_PENDING_DEBUG_EXCEPTIONS) & (1n << 14n)).toBe(1n << 14n);   // BS
    }
    expect(w.devGet(0, 4)).toEqual([0x99, 0x99, 0x99, 0]);
  });

  it("rep with RCX = 0 does nothing and completes", () => {
    const w = world();
    w.set({ RDI: TESTDEV, RCX: 0n, RAX: 0x99n });
    expect(w.run(0x100000, [0xf3, 0xaa], TESTDEV, WRITE)).toBe(RESUME);
    expect(w.devGet(0, 1)).toEqual([0]);
    expect(w.rip()).toBe(0x100002n);
  });

  it("rep movsb copies RAM to the device (memcpy_toio), the exit naming the destination", () => {
    const w = world();
    const data = Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
    w.put(0x200000, data);
    w.set({ RSI: 0x200000n, RDI: TESTDEV, RCX: 64n });
    const flags0 = 0x2n | STATUS;
    expect(w.run(0x100000, [0xf3, 0xa4], TESTDEV, WRITE, { [F.GUEST_RFLAGS]: flags0 })).toBe(RESUME);
    expect(w.devGet(0, 64)).toEqual(data);
    expect(w.reg("RSI")).toBe(0x200040n);
    expect(w.reg("RDI")).toBe(TESTDEV + 64n);
    expect(w.reg("RCX")).toBe(0n);
    expect(w.rip()).toBe(0x100002n);
    expect(w.rflags()).toBe(flags0);
  });

  it("rep movsd copies the device to RAM (memcpy_fromio), the exit naming the source; A and D set as the CPU would", () => {
    const w = world();
    const data = Array.from({ length: 64 }, (_, i) => (i * 91 + 5) & 0xff);
    w.devPut(0, data);
    w.set({ RSI: TESTDEV, RDI: 0x210000n, RCX: 16n });
    // The builder's identity map: PML4 0x1000, PDPT 0x2000, PDs from 0x3000 (2 MiB pages).
    const before = [w.get64(0x1000), w.get64(0x2000), w.get64(0x3000 + 8)];
    expect(before.map((e) => e & 0x60n)).toEqual([0n, 0n, 0n]);
    expect(w.run(0x100000, [0xf3, 0xa5], TESTDEV, READ, { [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME);
    expect(w.peek(0x210000, 64)).toEqual(data);
    expect(w.reg("RSI")).toBe(TESTDEV + 64n);
    expect(w.reg("RDI")).toBe(0x210040n);
    expect(w.get64(0x1000)).toBe(before[0] | 0x20n);              // accessed
    expect(w.get64(0x2000)).toBe(before[1] | 0x20n);
    expect(w.get64(0x3000 + 8)).toBe(before[2] | 0x60n);          // accessed and dirty: it maps the page written
  });

  it("movs between two places on the device, and with DF, and with a segment override on the source", () => {
    const w = world();
    w.devPut(0, [1, 2, 3, 4, 5, 6, 7, 8]);
    w.set({ RSI: TESTDEV, RDI: TESTDEV + 32n, RCX: 2n });
    expect(w.run(0x100000, [0xf3, 0xa5], TESTDEV, READ, { [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME);  // the source faults first
    expect(w.devGet(32, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    w.set({ RSI: TESTDEV + 6n, RDI: TESTDEV + 46n, RCX: 4n });
    expect(w.run(0x100010, [0xf3, 0x66, 0xa5], TESTDEV + 6n, READ, { [F.GUEST_RFLAGS]: 0x2n | DF })).toBe(RESUME); // rep movsw down
    expect(w.devGet(40, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(w.reg("RSI")).toBe(TESTDEV - 2n);
    expect(w.reg("RDI")).toBe(TESTDEV + 38n);
    w.set({ RSI: 0x01000000n, RDI: 0x220000n });
    expect(w.run(0x100020, [0x64, 0xa5], TESTDEV, READ, { [V.GUEST_FS_BASE]: 0xfe000000n, [F.GUEST_RFLAGS]: 0x2n })).toBe(RESUME); // movsd fs:
    expect(w.peek(0x220000, 4)).toEqual([1, 2, 3, 4]);
    expect(w.reg("RSI")).toBe(0x01000004n);
    expect(w.reg("RDI")).toBe(0x220004n);
  });

  it("refuses a string instruction whose exit side is not where its registers point", () => {
    const w = world();
    w.set({ RSI: 0x200000n, RDI: TESTDEV, RCX: 1n });
    expect(w.run(0x100000, [0xa4], TESTDEV, READ)).toBe(STOP);      // the MMIO side is written, not read
    expect(w.stopReason()).toMatch(/not emulated \(address differs from the access\)$/);
    const v = world();
    v.set({ RDI: TESTDEV + 8n, RCX: 1n });
    expect(v.run(0x100000, [0xaa], TESTDEV, WRITE)).toBe(STOP);
    expect(v.stopReason()).toMatch(/not emulated \(address differs from the access\)$/);
  });

  it("stops the domain when the other operand is neither RAM nor a device", () => {
    const w = world();
    w.set({ RSI: TESTDEV, RDI: 0x40000000n });                     // 1 GiB: outside the domain's 4 MiB
    expect(w.run(0x100000, [0xa4], TESTDEV, READ)).toBe(STOP);
    expect(w.stopReason()).toMatch(/not emulated \(an operand is neither RAM nor a device\)$/);
  });

  it("a non-canonical other operand gets #GP(0)", () => {
    const w = world();
    w.set({ RSI: TESTDEV, RDI: 0x0000800000000000n, RCX: 1n });
    expect(w.run(0x100000, [0xa4], TESTDEV, READ)).toBe(RESUME);
    expect(w.vmx.get(F.VM_ENTRY_INTR_INFO_FIELD)).toBe(0x80000b0dn);
    expect(w.vmx.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(0n);
    expect(w.rip()).toBe(0x100000n);
    expect(w.reg("RSI")).toBe(TESTDEV);
  });
});

// A 4-level map with 4 KiB pages (4 MiB domain): linear 0x400000 + n * 4K
// -> PT[n]; 0xff000000 -> the device (a 2 MiB page).
const P = 1n, W = 2n, U = 4n, PS = 0x80n;
function pages(w: World, pt: Array<bigint | null>) {
  w.put64(0x300000, 0x301000n | P | W | U);
  w.put64(0x301000, 0x302000n | P | W | U);
  w.put64(0x301000 + 3 * 8, 0x304000n | P | W | U);
  w.put64(0x302000 + 2 * 8, 0x303000n | P | W | U);
  w.put64(0x304000 + 0x1f8 * 8, TESTDEV | P | W | U | PS);
  pt.forEach((e, i) => w.put64(0x303000 + i * 8, e ?? 0n));
  return { [F.GUEST_CR3]: 0x300000n, [F.GUEST_RFLAGS]: 0x2n };
}

describe("the RAM side of MOVS through the guest's paging", () => {
  const CODEPAGE = 0x100000n | P | W | U;
  const layout = () => [
    CODEPAGE,                    // 0x400000: the code
    0x250000n | P | W | U,       // 0x401000
    0x260000n | P | W | U,       // 0x402000: not after 0x401000 in guest-physical memory
    0x270000n | P | U,           // 0x403000: read-only
    null,                        // 0x404000: not present
    0x280000n | P | W,           // 0x405000: supervisor only
  ];

  it("an element that crosses a page goes to both pages; A and D set in the entries used", () => {
    const w = world();
    const f = pages(w, layout());
    w.devPut(0, [0xa1, 0xa2, 0xa3, 0xa4]);
    w.put(0x100000, [0xa5]);                                       // movsd
    w.set({ RSI: TESTDEV, RDI: 0x401ffen });
    expect(w.exit(0x400000, TESTDEV, READ, f)).toBe(RESUME);
    expect(w.peek(0x250ffe, 2)).toEqual([0xa1, 0xa2]);
    expect(w.peek(0x260000, 2)).toEqual([0xa3, 0xa4]);
    expect(w.rip()).toBe(0x400001n);
    expect(w.reg("RDI")).toBe(0x402002n);
    expect(w.get64(0x303000 + 8)).toBe(0x250000n | P | W | U | 0x60n);
    expect(w.get64(0x303000 + 16)).toBe(0x260000n | P | W | U | 0x60n);
    expect(w.get64(0x302000 + 16) & 0x60n).toBe(0x20n);             // a table: accessed, never dirty
    expect(w.get64(0x300000) & 0x60n).toBe(0x20n);
    // And the other way: RAM across the pages to the device.
    w.put(0x250ffd, [0x11, 0x22, 0x33]);
    w.put(0x260000, [0x44]);
    w.put(0x100010, [0xa5]);
    w.set({ RSI: 0x401ffdn, RDI: TESTDEV + 8n });
    expect(w.exit(0x400010, TESTDEV + 8n, WRITE)).toBe(RESUME);
    expect(w.devGet(8, 4)).toEqual([0x11, 0x22, 0x33, 0x44]);
  });

  it("a write to a read-only page with CR0.WP gets #PF (P|W) with CR2, and changes nothing", () => {
    const w = world();
    const f = pages(w, layout());
    w.devPut(0, [1, 2, 3, 4]);
    w.put(0x100000, [0xa5]);
    w.set({ RSI: TESTDEV, RDI: 0x403010n, RCX: 7n });
    expect(w.exit(0x400000, TESTDEV, READ, { ...f, [F.GUEST_CR0]: 0x80010031n })).toBe(RESUME);
    expect(w.vmx.get(F.VM_ENTRY_INTR_INFO_FIELD)).toBe(0x80000b0en);
    expect(w.vmx.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(3n);
    expect(w.reg("CR2")).toBe(0x403010n);
    expect(w.peek(0x270010, 4)).toEqual([0, 0, 0, 0]);
    expect(w.rip()).toBe(0x400000n);
    expect(w.reg("RDI")).toBe(0x403010n);
    expect(w.reg("RSI")).toBe(TESTDEV);
    // Without WP a supervisor write there is allowed.
    const v = world();
    const g = pages(v, layout());
    v.devPut(0, [1, 2, 3, 4]);
    v.put(0x100000, [0xa5]);
    v.set({ RSI: TESTDEV, RDI: 0x403010n });
    expect(v.exit(0x400000, TESTDEV, READ, { ...g, [F.GUEST_CR0]: 0x80000031n })).toBe(RESUME);
    expect(v.peek(0x270010, 4)).toEqual([1, 2, 3, 4]);
    expect(v.rip()).toBe(0x400001n);
  });

  it("a page that is not present gets #PF (W) for a write, (0) for a read", () => {
    const w = world();
    const f = pages(w, layout());
    w.put(0x100000, [0xa5]);
    w.set({ RSI: TESTDEV, RDI: 0x404ff0n });
    expect(w.exit(0x400000, TESTDEV, READ, f)).toBe(RESUME);
    expect(w.vmx.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(2n);
    expect(w.reg("CR2")).toBe(0x404ff0n);
    const v = world();
    const g = pages(v, layout());
    v.put(0x100000, [0xa5]);
    v.set({ RSI: 0x404ff0n, RDI: TESTDEV });
    expect(v.exit(0x400000, TESTDEV, WRITE, g)).toBe(RESUME);
    expect(v.vmx.get(F.VM_ENTRY_INTR_INFO_FIELD)).toBe(0x80000b0en);
    expect(v.vmx.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(0n);
    expect(v.devGet(0, 4)).toEqual([0, 0, 0, 0]);
  });

  it("user mode: a supervisor page gets #PF (P|U, with W for a write)", () => {
    const w = world();
    const f = { ...pages(w, layout()), [V.GUEST_SS_ACCESS_RIGHTS]: 0xc0f3n };   // SS.DPL 3
    w.put(0x100000, [0xa5]);
    w.set({ RSI: TESTDEV, RDI: 0x405000n });
    expect(w.exit(0x400000, TESTDEV, READ, f)).toBe(RESUME);
    expect(w.vmx.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(7n);
    const v = world();
    const g = { ...pages(v, layout()), [V.GUEST_SS_ACCESS_RIGHTS]: 0xc0f3n };
    v.put(0x100000, [0xa5]);
    v.set({ RSI: 0x405000n, RDI: TESTDEV });
    expect(v.exit(0x400000, TESTDEV, WRITE, g)).toBe(RESUME);
    expect(v.vmx.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(5n);
    // A user page it may write.
    v.devPut(0, [9, 9, 9, 9]);
    v.set({ RSI: TESTDEV, RDI: 0x401000n });
    v.vmx.set(F.VM_ENTRY_INTR_INFO_FIELD, 0n);
    expect(v.exit(0x400000, TESTDEV, READ)).toBe(RESUME);
    expect(v.vmx.get(F.VM_ENTRY_INTR_INFO_FIELD)).toBe(0n);
    expect(v.peek(0x250000, 4)).toEqual([9, 9, 9, 9]);
  });

  it("SMAP: a supervisor access to a user page faults unless RFLAGS.AC", () => {
    const w = world();
    const f = { ...pages(w, layout()), [F.GUEST_CR4]: 0x200020n };   // PAE | SMAP
    w.devPut(0, [5, 6, 7, 8]);
    w.put(0x100000, [0xa5]);
    w.set({ RSI: TESTDEV, RDI: 0x401000n });
    expect(w.exit(0x400000, TESTDEV, READ, f)).toBe(RESUME);
    expect(w.vmx.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE)).toBe(3n);
    expect(w.peek(0x250000, 4)).toEqual([0, 0, 0, 0]);
    w.vmx.set(F.VM_ENTRY_INTR_INFO_FIELD, 0n);
    expect(w.exit(0x400000, TESTDEV, READ, { [F.GUEST_RFLAGS]: 0x2n | AC })).toBe(RESUME);
    expect(w.vmx.get(F.VM_ENTRY_INTR_INFO_FIELD)).toBe(0n);
    expect(w.peek(0x250000, 4)).toEqual([5, 6, 7, 8]);
  });

  it("a later iteration that would fault ends the batch; the CPU raises it", () => {
    const w = world();
    const f = { ...pages(w, layout()), [F.GUEST_CR0]: 0x80010031n };
    w.devPut(0, [1, 2, 3, 4, 5, 6, 7, 8]);
    w.put(0x100000, [0xf3, 0xa5]);
    w.set({ RSI: TESTDEV, RDI: 0x402ff8n, RCX: 4n });
    expect(w.exit(0x400000, TESTDEV, READ, f)).toBe(RESUME);
    expect(w.peek(0x260ff8, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(w.reg("RCX")).toBe(2n);
    expect(w.reg("RDI")).toBe(0x403000n);
    expect(w.reg("RSI")).toBe(TESTDEV + 8n);
    expect(w.rip()).toBe(0x400000n);
    expect(w.vmx.get(F.VM_ENTRY_INTR_INFO_FIELD) & 0x80000000n).toBe(0n);
  });

  it("32-bit paging (4 KiB and 4 MiB pages) and PAE paging", () => {
    const w = world();
    // 32-bit: PD 0x300000; linear 0x400000 -> PT 0x301000 (PT[0] code 0x200000, PT[2] RAM 0x230000);
    // 0xff000000 -> a 4 MiB page.
    w.put32(0x300000 + 1 * 4, 0x301000 | 7);
    w.put32(0x300000 + 0x3fc * 4, 0xff000000 | 0x87);
    w.put32(0x301000, 0x200000 | 7);
    w.put32(0x301000 + 2 * 4, 0x230000 | 7);
    w.put(0x200000, [0xa5]);
    w.devPut(0, [0xde, 0xad, 0xbe, 0xef]);
    w.set({ RSI: TESTDEV, RDI: 0x402004n });
    const paging32 = {
      [F.GUEST_CR0]: 0x80010011n, [F.GUEST_CR3]: 0x300000n, [F.GUEST_CR4]: 0x10n, [F.GUEST_IA32_EFER]: 0n,
      [F.GUEST_CS_ACCESS_RIGHTS]: 0xc09bn, [F.GUEST_RFLAGS]: 0x2n,
    };
    expect(w.exit(0x400000, TESTDEV, READ, paging32)).toBe(RESUME);
    expect(w.peek(0x230004, 4)).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(w.get32(0x301000 + 2 * 4)).toBe(0x230000 | 7 | 0x60);
    expect(w.get32(0x300000 + 4) & 0x60).toBe(0x20);
    expect(w.reg("RDI")).toBe(0x402008n);
    // PAE: PDPT 0x310000; linear 0x40200000 -> PD 0x311000 -> PT 0x312000 (code 0x210000, RAM 0x240000);
    // 0xff000000 -> PD 0x313000, a 2 MiB page.
    w.put64(0x310000 + 1 * 8, 0x311000n | 1n);
    w.put64(0x310000 + 3 * 8, 0x313000n | 1n);
    w.put64(0x311000 + 1 * 8, 0x312000n | 7n);
    w.put64(0x313000 + 0x1f8 * 8, TESTDEV | 0x87n);
    w.put64(0x312000, 0x210000n | 7n);
    w.put64(0x312000 + 2 * 8, 0x240000n | 7n);
    w.put(0x210000, [0xa5]);
    w.set({ RSI: TESTDEV, RDI: 0x40202000n });
    expect(w.exit(0x40200000, TESTDEV, READ, { ...paging32, [F.GUEST_CR3]: 0x310000n, [F.GUEST_CR4]: 0x20n })).toBe(RESUME);
    expect(w.peek(0x240000, 4)).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(w.get64(0x312000 + 2 * 8)).toBe(0x240000n | 7n | 0x60n);
  });
});
