// The 16550A UART a domain sees at COM1 (0x3F8): a pure state machine in
// the style of rust-vmm vm-superio (Uart16550: read(offset), write(offset,
// value), an input `receive(byte)` for what is typed at the domain's
// console, and the interrupt output `irqPending()`), and the device around
// it (UartDevice) that the port bus drives, which sends transmitted bytes to
// the domain's console and drives its interrupt line after every access.
// No CPU, no allocation after creation.
//
// Transmission is instant: a THR write goes straight to the line (the
// domain's Console) and THRE|TEMT are always set. Reception is two-staged:
// receive() queues into a 256-byte input ring (the "line"), from which bytes
// move into the 16-byte RX FIFO (1 byte in 16450 mode, FCR bit 0 clear)
// whenever there is room, so pasting 200 bytes loses nothing. Only a full
// input ring drops a byte, and that sets LSR.OE like a real overrun.
//
// Registers follow the PC16550D data sheet; what Linux's 8250 autoconfig
// probes (IER bits 7:4 read 0, loopback MCR->MSR mapping, IIR 7:6 = 11 with
// FIFOs on, IIR bits 5:4 = 0, scratch register) behaves as on the chip.
//
// The state block, at the Uart16550 pointer (offsets in bytes), plain data
// saved and restored as it is (src/devices/device.ts):
//
//   ┌─────────────────────────────────┐ 0
//   │ reserved    u32  0              │     keeps FIFO and ring 16-aligned
//   │ rxIn        u32  ring bytes in  │ 4   free-running; ring index = & 255
//   │ rxOut       u32  ring bytes out │ 8
//   │ overruns    u32  bytes dropped  │ 12
//   │ txBytes     u32  bytes sent     │ 16
//   │ ier lcr mcr lsrErr              │ 20..23  lsrErr: sticky OE|PE|FE|BI
//   │ fcr msrDelta scr dll            │ 24..27  fcr: ENABLE and trigger bits
//   │ dlm thrIpending fifoHead fifoCnt│ 28..31
//   ├─────────────────────────────────┤ 32 (UART_FIFO)
//   │ fifo        u8[16]              │   RX FIFO, circular
//   ├─────────────────────────────────┤ 48 (UART_RING)
//   │ ring        u8[256]             │   input ring
//   └─────────────────────────────────┘ 304 (UART_BLOCK_SIZE)
import { Console } from "./console";
import { Access, Device, DEV_OK, fourcc } from "./device";
import { IrqLine } from "./irq";
import {
  UART_RBR, UART_IER, UART_IIR, UART_FCR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR,
  UART_LCR_DLAB, UART_LSR_DR, UART_LSR_THRE, UART_LSR_TEMT, UART_LSR_OE, UART_LSR_ERRORS,
  UART_IER_ERBFI, UART_IER_ETBEI, UART_IER_ELSI, UART_IER_EDSSI, UART_IER_MASK,
  UART_IIR_NO_INT, UART_IIR_RLS, UART_IIR_RDA, UART_IIR_CTI, UART_IIR_THRE, UART_IIR_MS, UART_IIR_FIFO,
  UART_FCR_ENABLE, UART_FCR_CLEAR_RX, UART_FCR_TRIGGER_MASK, UART_FIFO_SIZE,
  UART_MCR_DTR, UART_MCR_RTS, UART_MCR_OUT1, UART_MCR_OUT2, UART_MCR_LOOP, UART_MCR_MASK,
  UART_MSR_CTS, UART_MSR_DSR, UART_MSR_RI, UART_MSR_DCD, UART_MSR_TERI, UART_MSR_DELTAS,
} from "../arch/uart16550";

export const UART_RING_SIZE: u32 = 256; // a power of two
export const UART_FIFO: u32 = 32;
export const UART_RING: u32 = UART_FIFO + UART_FIFO_SIZE;
export const UART_BLOCK_SIZE: u32 = UART_RING + UART_RING_SIZE;

// Divisor 12: 9600 baud, what a PC BIOS leaves behind.
const RESET_DLL: u8 = 12;

@unmanaged
export class Uart16550 {
  reserved: u32;
  rxIn: u32;
  rxOut: u32;
  overruns: u32;
  txBytes: u32;
  ier: u8;
  lcr: u8;
  mcr: u8;
  lsrErr: u8;
  fcr: u8;
  msrDelta: u8;
  scr: u8;
  dll: u8;
  dlm: u8;
  thrIpending: u8;
  fifoHead: u8;
  fifoCount: u8;

  // A UART in its reset state. Creation time only.
  static create(): Uart16550 {
    const u = changetype<Uart16550>(heap.alloc(<usize>UART_BLOCK_SIZE));
    u.reset();
    return u;
  }

  reset(): void {
    memory.fill(changetype<usize>(this), 0, <usize>UART_BLOCK_SIZE);
    this.dll = RESET_DLL;
  }

  // ── Guest accesses (offset 0..7 from the base port) ──────────────────────

  read(offset: u32): u8 {
    const dlab = (this.lcr & UART_LCR_DLAB) != 0;
    switch (offset) {
      case UART_RBR: return dlab ? this.dll : this.readRbr();
      case UART_IER: return dlab ? this.dlm : this.ier;
      case UART_IIR: {
        const iir = this.iir();
        // Reading IIR while it reports THRE clears that interrupt.
        if ((iir & 0x0f) == UART_IIR_THRE) this.thrIpending = 0;
        return iir;
      }
      case UART_LCR: return this.lcr;
      case UART_MCR: return this.mcr;
      case UART_LSR: {
        const lsr = this.lsr();
        this.lsrErr = 0; // reading LSR clears OE|PE|FE|BI
        return lsr;
      }
      case UART_MSR: {
        const msr = this.msrStatus() | this.msrDelta;
        this.msrDelta = 0;
        return msr;
      }
      case UART_SCR: return this.scr;
      default: return 0xff;
    }
  }

  // The byte sent to the line (a THR write outside loopback), or -1.
  write(offset: u32, value: u8): i32 {
    const dlab = (this.lcr & UART_LCR_DLAB) != 0;
    switch (offset) {
      case UART_RBR: { // THR
        if (dlab) { this.dll = value; return -1; }
        return this.transmit(value);
      }
      case UART_IER: {
        if (dlab) { this.dlm = value; return -1; }
        const old = this.ier;
        this.ier = value & UART_IER_MASK;
        // Enabling ETBEI while THR is empty (always) raises THRE at once;
        // Linux's UART_BUG_THRE test relies on this re-assertion.
        if ((this.ier & ~old & UART_IER_ETBEI) != 0) this.thrIpending = 1;
        if ((this.ier & UART_IER_ETBEI) == 0) this.thrIpending = 0;
        return -1;
      }
      case UART_FCR: {
        // Toggling FIFO enable resets both FIFOs (data sheet, FCR bit 0).
        if (((value ^ this.fcr) & UART_FCR_ENABLE) != 0 || (value & UART_FCR_CLEAR_RX) != 0) {
          this.fifoHead = 0;
          this.fifoCount = 0;
        }
        this.fcr = value & (UART_FCR_ENABLE | UART_FCR_TRIGGER_MASK);
        this.refill();
        return -1;
      }
      case UART_LCR: this.lcr = value; return -1;
      case UART_MCR: {
        const before = this.msrStatus();
        const wasLoop = (this.mcr & UART_MCR_LOOP) != 0;
        this.mcr = value & UART_MCR_MASK;
        const after = this.msrStatus();
        const changed = before ^ after;
        let delta = (changed & (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)) >> 4;
        if ((before & ~after & UART_MSR_RI) != 0) delta |= UART_MSR_TERI;
        this.msrDelta |= <u8>delta;
        if (wasLoop && (this.mcr & UART_MCR_LOOP) == 0) this.refill();
        return -1;
      }
      case UART_LSR: return -1; // factory test only; writes ignored
      case UART_MSR: return -1; // read only
      case UART_SCR: this.scr = value; return -1;
      default: return -1;
    }
  }

  // ── Console input ────────────────────────────────────────────────────────

  // Queues a byte typed at the domain's console. False (and LSR.OE) when the
  // input ring is full and the byte is dropped.
  receive(b: u8): bool {
    if (this.rxIn - this.rxOut >= UART_RING_SIZE) {
      this.overruns++;
      this.lsrErr |= UART_LSR_OE;
      return false;
    }
    store<u8>(changetype<usize>(this) + UART_RING + (this.rxIn & (UART_RING_SIZE - 1)), b);
    this.rxIn++;
    this.refill();
    return true;
  }

  // Bytes receive() can still take without dropping one.
  rxRoom(): u32 {
    return UART_RING_SIZE - (this.rxIn - this.rxOut);
  }

  // Bytes queued and not yet read by the guest (ring + FIFO).
  rxPending(): u32 {
    return this.rxIn - this.rxOut + <u32>this.fifoCount;
  }

  // ── Interrupt line ───────────────────────────────────────────────────────

  // The chip's INTRPT output: some enabled source is pending (IIR bit 0 = 0).
  intrOutput(): bool {
    return (this.iir() & UART_IIR_NO_INT) == 0;
  }

  // The IRQ line as a PC wires it: INTRPT gated by OUT2, which the data
  // sheet forces inactive in loopback mode.
  irqPending(): bool {
    if ((this.mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) != UART_MCR_OUT2) return false;
    return this.intrOutput();
  }

  // ── Internals ────────────────────────────────────────────────────────────

  // IIR without side effects: the highest-priority enabled source (Table IV).
  iir(): u8 {
    const fifo: u8 = (this.fcr & UART_FCR_ENABLE) != 0 ? UART_IIR_FIFO : 0;
    const ier = this.ier;
    if ((ier & UART_IER_ELSI) != 0 && (this.lsrErr & UART_LSR_ERRORS) != 0) return fifo | UART_IIR_RLS;
    if ((ier & UART_IER_ERBFI) != 0 && this.fifoCount != 0) {
      // Below the trigger level a 16550 reports a character timeout after
      // four character times; transmission here takes no time, so at once.
      return fifo | (fifo != 0 && <u32>this.fifoCount < this.trigger() ? UART_IIR_CTI : UART_IIR_RDA);
    }
    if ((ier & UART_IER_ETBEI) != 0 && this.thrIpending != 0) return fifo | UART_IIR_THRE;
    if ((ier & UART_IER_EDSSI) != 0 && (this.msrDelta & UART_MSR_DELTAS) != 0) return fifo | UART_IIR_MS;
    return fifo | UART_IIR_NO_INT;
  }

  lsr(): u8 {
    let lsr = UART_LSR_THRE | UART_LSR_TEMT | this.lsrErr;
    if (this.fifoCount != 0) lsr |= UART_LSR_DR;
    return lsr;
  }

  // MSR bits 7:4: in loopback the MCR outputs; otherwise a modem that is
  // always there (CTS, DSR, DCD), never ringing.
  msrStatus(): u8 {
    const mcr = this.mcr;
    if ((mcr & UART_MCR_LOOP) == 0) return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
    let s: u8 = 0;
    if ((mcr & UART_MCR_RTS) != 0) s |= UART_MSR_CTS;
    if ((mcr & UART_MCR_DTR) != 0) s |= UART_MSR_DSR;
    if ((mcr & UART_MCR_OUT1) != 0) s |= UART_MSR_RI;
    if ((mcr & UART_MCR_OUT2) != 0) s |= UART_MSR_DCD;
    return s;
  }

  private trigger(): u32 {
    switch (this.fcr >> 6) {
      case 0: return 1;
      case 1: return 4;
      case 2: return 8;
      default: return 14;
    }
  }

  private capacity(): u32 {
    return (this.fcr & UART_FCR_ENABLE) != 0 ? UART_FIFO_SIZE : 1;
  }

  private readRbr(): u8 {
    if (this.fifoCount == 0) return 0;
    const b = load<u8>(changetype<usize>(this) + UART_FIFO + <usize>this.fifoHead);
    this.fifoHead = <u8>((<u32>this.fifoHead + 1) & (UART_FIFO_SIZE - 1));
    this.fifoCount--;
    this.refill();
    return b;
  }

  private transmit(b: u8): i32 {
    this.txBytes++;
    let line: i32 = b;
    if ((this.mcr & UART_MCR_LOOP) != 0) {
      // Loopback: the shift register feeds the receiver, not the line.
      if (!this.fifoPush(b)) this.lsrErr |= UART_LSR_OE;
      line = -1;
    }
    // The byte left at once: THR is empty again.
    if ((this.ier & UART_IER_ETBEI) != 0) this.thrIpending = 1;
    return line;
  }

  private fifoPush(b: u8): bool {
    if (<u32>this.fifoCount >= this.capacity()) return false;
    const tail = (<u32>this.fifoHead + <u32>this.fifoCount) & (UART_FIFO_SIZE - 1);
    store<u8>(changetype<usize>(this) + UART_FIFO + tail, b);
    this.fifoCount++;
    return true;
  }

  // Moves input-ring bytes into the FIFO while it has room. In loopback the
  // receiver is cut off from the line, so input waits in the ring.
  private refill(): void {
    if ((this.mcr & UART_MCR_LOOP) != 0) return;
    const ring = changetype<usize>(this) + UART_RING;
    while (this.rxOut != this.rxIn) {
      if (!this.fifoPush(load<u8>(ring + (this.rxOut & (UART_RING_SIZE - 1))))) return;
      this.rxOut++;
    }
  }
}

// COM1 of a domain: the state machine above on the port bus, its
// transmitted bytes to the domain's console ring, its INTRPT (gated by
// OUT2) on an interrupt line.
export const UART_KIND: u32 = 0x30353555;   // "U550"
const UART_VERSION: u32 = 1;

@final
export class UartDevice extends Device {
  s: Uart16550 = Uart16550.create();

  constructor(public sink: Console | null, public irq: IrqLine | null) {
    super();
  }

  kind(): u32 { return UART_KIND; }
  name(): string { return "uart16550"; }
  version(): u32 { return UART_VERSION; }
  block(): usize { return changetype<usize>(this.s); }
  blockSize(): u32 { return UART_BLOCK_SIZE; }

  read(a: Access): u64 {
    const v = this.s.read(<u32>a.offset);
    this.update();
    return v;
  }

  write(a: Access, value: u64): u32 {
    const b = this.s.write(<u32>a.offset, <u8>value);
    if (b >= 0 && this.sink !== null) this.sink!.put(<u8>b);
    this.update();
    return DEV_OK;
  }

  reset(): void {
    this.s.reset();
    this.update();
  }

  // A byte typed at the domain's console (Uart16550.receive).
  receive(b: u8): bool {
    const ok = this.s.receive(b);
    this.update();
    return ok;
  }

  // Indices into the FIFO and ring must stay inside them.
  check(b: usize): string {
    const u = changetype<Uart16550>(b);
    if (u.reserved != 0) return "reserved word not 0";
    if (<u32>u.fifoHead >= UART_FIFO_SIZE || <u32>u.fifoCount > UART_FIFO_SIZE) return "RX FIFO index out of range";
    if (u.rxIn - u.rxOut > UART_RING_SIZE) return "input ring holds more than its size";
    return "";
  }

  restored(): void {
    this.update();
  }

  private update(): void {
    if (this.irq !== null) this.irq!.set(this.s.irqPending());
  }
}
