// The per-domain 16550 UART model (src/devices/uart16550.ts): register
// semantics from the PC16550D data sheet and what Linux's 8250 driver probes.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
const DLAB = 0x80;
const LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE_TEMT = 0x60;
const IIR_NO_INT = 0x01, IIR_RLS = 0x06, IIR_RDA = 0x04, IIR_CTI = 0x0c, IIR_THRE = 0x02, IIR_MS = 0x00;
const MCR_OUT2 = 0x08, MCR_LOOP = 0x10;

function uart() {
  const m = new Machine();
  const e = m.exports;
  const con = e.consoleCreate(m.newString("guest")) >>> 0;
  e.consoleSetLog(con, 0);
  const u = e.uartCreate(con) >>> 0;
  const r = (off: number): number => e.uartRead(u, off) & 0xff;
  const w = (off: number, v: number): void => e.uartWrite(u, off, v & 0xff);
  const rx = (s: string | number[]): number[] =>
    (typeof s === "string" ? [...Buffer.from(s, "latin1")] : s).map((b) => e.uartReceive(u, b));
  const irq = (): boolean => e.uartIrqPending(u) !== 0;
  const consoleText = (): string => {
    const n = e.consoleRead(con, 0n, 0x10000, 0x4000);
    return Buffer.from(m.bytes.subarray(0x10000, 0x10000 + n)).toString("latin1");
  };
  return { m, e, con, u, r, w, rx, irq, consoleText };
}

describe("16550 UART model", () => {
  it("comes out of reset idle: no interrupt, THRE|TEMT, modem present", () => {
    const { r, irq } = uart();
    expect(r(IER)).toBe(0);
    expect(r(IIR)).toBe(IIR_NO_INT);
    expect(r(LCR)).toBe(0);
    expect(r(MCR)).toBe(0);
    expect(r(LSR)).toBe(LSR_THRE_TEMT);
    expect(r(MSR)).toBe(0xb0); // DCD|DSR|CTS
    expect(irq()).toBe(false);
  });

  it("switches offsets 0 and 1 to the divisor latch while LCR.DLAB is set", () => {
    const { r, w, consoleText } = uart();
    w(IER, 0x05);
    w(LCR, DLAB | 0x03);
    expect(r(DLL)).toBe(12); // 9600 baud left by the BIOS
    w(DLL, 0x01);
    w(DLM, 0x00);
    expect(r(DLL)).toBe(0x01);
    expect(r(DLM)).toBe(0x00);
    expect(r(LCR)).toBe(0x83);
    w(LCR, 0x03);
    expect(r(IER)).toBe(0x05); // untouched by the DLM write
    w(THR, 0x41);
    w(LCR, DLAB | 0x03);
    expect(r(DLL)).toBe(0x01); // the THR write did not touch DLL
    expect(consoleText()).toBe("A");
  });

  it("keeps only IER bits 3:0", () => {
    const { r, w } = uart();
    w(IER, 0xff);
    expect(r(IER)).toBe(0x0f);
    w(IER, 0xf0);
    expect(r(IER)).toBe(0x00);
  });

  it("sends THR bytes to the console at once; LSR shows THRE|TEMT after every write", () => {
    const { r, w, consoleText } = uart();
    for (const c of Buffer.from("hello\r\n")) {
      w(THR, c);
      expect(r(LSR) & LSR_THRE_TEMT).toBe(LSR_THRE_TEMT);
    }
    expect(consoleText()).toBe("hello\r\n");
  });

  it("reads and writes the scratch register", () => {
    const { r, w } = uart();
    for (const v of [0x00, 0xa5, 0x5a, 0xff]) {
      w(SCR, v);
      expect(r(SCR)).toBe(v);
    }
  });

  it("shows FIFO enable in IIR bits 7:6 and resets the FIFOs when toggled or cleared", () => {
    const { r, w, rx } = uart();
    expect(r(IIR) & 0xc0).toBe(0);
    w(FCR, 0x01);
    expect(r(IIR) & 0xc0).toBe(0xc0);
    expect(r(IIR) & 0x30).toBe(0); // no 64-byte FIFO (16750), no bits 5:4
    rx("abc");
    expect(r(LSR) & LSR_DR).toBe(LSR_DR);
    w(FCR, 0x03); // clear RX
    expect(r(LSR) & LSR_DR).toBe(0);
    rx("xy");
    w(FCR, 0x00); // FIFO off: resets the FIFO; 16450 mode holds one byte
    expect(r(IIR) & 0xc0).toBe(0);
    expect(r(LSR) & LSR_DR).toBe(0);
  });

  it("raises THRE when ETBEI is enabled, clears it on IIR read, re-raises it after a THR write", () => {
    const { r, w, irq } = uart();
    w(MCR, MCR_OUT2);
    w(IER, 0x02);
    expect(irq()).toBe(true);
    expect(r(IIR)).toBe(IIR_THRE);
    expect(r(IIR)).toBe(IIR_NO_INT); // reading IIR cleared it
    expect(irq()).toBe(false);
    w(THR, 0x41);
    expect(irq()).toBe(true);
    w(IER, 0x00);
    expect(irq()).toBe(false);
    // Linux's UART_BUG_THRE test: re-enabling ETBEI re-asserts THRE.
    w(IER, 0x02);
    expect(r(IIR) & 0x0f).toBe(IIR_THRE);
    w(IER, 0x00);
    w(IER, 0x02);
    expect(r(IIR) & 0x0f).toBe(IIR_THRE);
  });

  it("orders interrupts: line status, then received data, then THRE, then modem status", () => {
    const { r, w, rx } = uart();
    w(FCR, 0xc1); // FIFO on, trigger 14
    w(IER, 0x0f);
    w(MCR, MCR_LOOP); // loopback: MSR inputs follow MCR
    w(MCR, MCR_LOOP | 0x02); // RTS -> CTS changes: DCTS
    w(LCR, 0x03);
    for (let i = 0; i < 14; i++) w(THR, 0x30 + i); // fill the FIFO to the trigger level
    w(THR, 0x40);
    w(THR, 0x41);
    w(THR, 0x42); // 17th byte: overrun
    expect(r(IIR)).toBe(0xc0 | IIR_RLS);
    const lsr = r(LSR);
    expect(lsr & (LSR_OE | LSR_DR)).toBe(LSR_OE | LSR_DR);
    expect(r(LSR) & LSR_OE).toBe(0); // cleared by reading
    expect(r(IIR)).toBe(0xc0 | IIR_RDA); // 16 bytes >= trigger 14
    for (let i = 0; i < 3; i++) r(RBR);
    expect(r(IIR)).toBe(0xc0 | IIR_CTI); // below the trigger: character timeout
    while (r(LSR) & LSR_DR) r(RBR);
    expect(r(IIR)).toBe(0xc0 | IIR_THRE);
    expect(r(IIR)).toBe(0xc0 | IIR_MS);
    // Entering loopback dropped CTS, DSR and DCD; RTS raised CTS again.
    expect(r(MSR) & 0x0f).toBe(0x0b); // DDCD|DDSR|DCTS
    expect(r(MSR) & 0x0f).toBe(0);    // cleared by the read
    expect(r(IIR)).toBe(0xc0 | IIR_NO_INT);
    rx("z"); // in loopback the line input waits in the ring
    expect(r(LSR) & LSR_DR).toBe(0);
  });

  it("echoes THR into RBR in loopback and mirrors MCR into MSR", () => {
    const { r, w, consoleText } = uart();
    w(FCR, 0x01);
    w(MCR, MCR_LOOP | 0x0f);
    expect(r(MSR) & 0xf0).toBe(0xf0);
    w(MCR, MCR_LOOP | 0x0a); // RTS, OUT2 -> CTS, DCD
    expect(r(MSR) & 0xf0).toBe(0x90);
    w(MCR, MCR_LOOP | 0x05); // DTR, OUT1 -> DSR, RI
    expect(r(MSR) & 0xf0).toBe(0x60);
    w(THR, 0x55);
    w(THR, 0xaa);
    expect(r(LSR) & LSR_DR).toBe(LSR_DR);
    expect(r(RBR)).toBe(0x55);
    expect(r(RBR)).toBe(0xaa);
    expect(r(LSR) & LSR_DR).toBe(0);
    expect(consoleText()).toBe(""); // nothing left on the line
    w(MCR, 0x0b);
    expect(r(MSR) & 0xf0).toBe(0xb0);
  });

  it("gates the IRQ line with OUT2 and cuts it in loopback", () => {
    const { w, rx, irq, e, u } = uart();
    w(IER, 0x01);
    rx("a");
    expect(e.uartIrqPending(u)).toBe(0);
    w(MCR, MCR_OUT2);
    expect(irq()).toBe(true);
    w(MCR, MCR_OUT2 | MCR_LOOP);
    expect(irq()).toBe(false);
  });

  it("delivers console input in order through RBR with LSR.DR, without loss up to the ring size", () => {
    const { r, w, rx, e, u } = uart();
    w(FCR, 0x01);
    const input = Array.from({ length: 256 + 16 }, (_, i) => i & 0xff);
    expect(rx(input).every((ok) => ok === 1)).toBe(true);
    expect(e.uartRxPending(u)).toBe(272);
    expect(rx([0x99])).toEqual([0]); // ring and FIFO full: dropped, overrun
    expect(r(LSR) & (LSR_OE | LSR_DR)).toBe(LSR_OE | LSR_DR);
    const got: number[] = [];
    while (r(LSR) & LSR_DR) got.push(r(RBR));
    expect(got).toEqual(input);
    expect(r(RBR)).toBe(0); // empty
    expect(rx("ok")).toEqual([1, 1]);
  });

  it("holds one byte at a time in 16450 mode (FIFO off)", () => {
    const { r, w, rx, e, u } = uart();
    w(IER, 0x01);
    rx("ab");
    expect(e.uartRxPending(u)).toBe(2);
    expect(r(IIR)).toBe(IIR_RDA);
    expect(r(RBR)).toBe(0x61);
    expect(r(LSR) & LSR_DR).toBe(LSR_DR);
    expect(r(RBR)).toBe(0x62);
    expect(r(LSR) & LSR_DR).toBe(0);
    expect(r(IIR)).toBe(IIR_NO_INT);
  });

  // drivers/tty/serial/8250/8250_port.c: autoconfig() and autoconfig_16550a(),
  // transcribed for an ISA port at COM1 (no UPF_SKIP_TEST).
  function linuxAutoconfig(r: (o: number) => number, w: (o: number, v: number) => void): string {
    const UART_IER_ALL_INTR = 0x0f;
    let scratch = r(IER);
    w(IER, 0);
    const scratch2 = r(IER) & UART_IER_ALL_INTR;
    w(IER, UART_IER_ALL_INTR);
    const scratch3 = r(IER) & UART_IER_ALL_INTR;
    w(IER, scratch);
    if (scratch2 !== 0 || scratch3 !== UART_IER_ALL_INTR) return "none";
    const saveMcr = r(MCR);
    const saveLcr = r(LCR);
    w(MCR, MCR_LOOP | 0x0a);
    const status1 = r(MSR) & 0xf0;
    w(MCR, saveMcr);
    if (status1 !== 0x90) return "none (loopback test)";
    w(LCR, 0xbf); // UART_LCR_CONF_MODE_B
    w(2, 0);      // UART_EFR
    w(LCR, 0);
    w(FCR, 0x01);
    scratch = r(IIR);
    let type: string;
    switch (scratch >> 6) {
      case 0: type = "8250/16450"; break;
      case 1: type = "unknown"; break;
      case 2: type = "16550"; break;
      default: {
        type = "16550A";
        w(LCR, 0x80); // UART_LCR_CONF_MODE_A
        if (r(2) === 0) { type = "EFR"; break; }
        w(LCR, 0xbf);
        if (r(2) === 0) { type = "16650"; break; }
        w(LCR, 0);
        const mcr1 = r(MCR);
        w(LCR, 0xe0);
        let st2 = r(2);
        if (!((st2 ^ mcr1) & MCR_LOOP)) {
          w(LCR, 0);
          w(MCR, mcr1 ^ MCR_LOOP);
          w(LCR, 0xe0);
          st2 = r(2);
          w(LCR, 0);
          w(MCR, mcr1);
          if ((st2 ^ mcr1) & MCR_LOOP) { type = "NS16550A SuperIO"; break; }
        }
        w(LCR, 0);
        w(FCR, 0x21);
        const s1 = r(IIR) & 0xe0;
        w(FCR, 0x01);
        w(LCR, 0x80);
        w(FCR, 0x21);
        const s2 = r(IIR) & 0xe0;
        w(FCR, 0x01);
        w(LCR, 0);
        if (s1 === 0xc0 && s2 === 0xe0) { type = "16750"; break; }
        w(FCR, 0x01);
        const iersave = r(IER);
        w(IER, iersave & ~0x40);
        if (!(r(IER) & 0x40)) {
          w(IER, iersave | 0x40);
          if (r(IER) & 0x40) type = "XScale";
        }
        w(IER, iersave & ~0x40);
      }
    }
    w(LCR, saveLcr);
    w(MCR, saveMcr);
    w(FCR, 0x01); w(FCR, 0x07); w(FCR, 0); // serial8250_clear_fifos
    r(RBR);
    w(IER, 0);
    return type;
  }

  it("passes Linux's 8250 autoconfig as a 16550A, and scratch is kept", () => {
    const { r, w, irq, consoleText } = uart();
    w(SCR, 0x5a);
    expect(linuxAutoconfig(r, w)).toBe("16550A");
    expect(r(SCR)).toBe(0x5a);
    expect(r(MCR)).toBe(0);
    expect(r(LCR)).toBe(0);
    expect(r(IIR)).toBe(IIR_NO_INT);
    expect(irq()).toBe(false);
    expect(consoleText()).toBe("");
  });

  it("passes the same probe after the hypervisor-style init (8N1, FIFO, DTR|RTS|OUT2)", () => {
    const { r, w } = uart();
    w(IER, 0); w(LCR, 0x80); w(DLL, 1); w(DLM, 0); w(LCR, 0x03); w(FCR, 0x07); w(MCR, 0x0b);
    expect(linuxAutoconfig(r, w)).toBe("16550A");
    expect(r(MCR)).toBe(0x0b);
    expect(r(LCR)).toBe(0x03);
  });

  it("lays out its state block as documented", () => {
    const { e } = uart();
    expect(e.devLayoutCheck()).toBe(0);
    expect(e.UART_BLOCK_SIZE.value).toBe(304);
  });
});
