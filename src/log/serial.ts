// COM1, the hypervisor's console until Dom0 owns the UART: 115200 8N1,
// FIFOs on. Nothing here waits but serialWaitRoom and serialDrain: the log
// (src/log/log.ts) hands the UART as much as it takes at once, when it
// takes it.
import { inb, outb } from "../arch/hw";
import {
  COM1, UART_THR, UART_IER, UART_FCR, UART_LCR, UART_MCR, UART_LSR, UART_IIR, UART_DLL, UART_DLM,
  UART_LCR_8N1, UART_LCR_DLAB, UART_FCR_ENABLE_CLEAR, UART_MCR_DTR_RTS_OUT2,
  UART_LSR_THRE, UART_LSR_TEMT, UART_CLOCK_HZ, UART_IIR_FIFO, UART_FIFO_SIZE,
} from "../arch/uart16550";

export const SERIAL_BAUD: u32 = 115200;
const BAUD: u32 = SERIAL_BAUD;
let fifo: u32 = 1;   // bytes the transmitter takes at once when empty

export function serialInit(): void {
  const divisor = UART_CLOCK_HZ / BAUD;
  outb(COM1 + UART_IER, 0);
  outb(COM1 + UART_LCR, UART_LCR_DLAB);
  outb(COM1 + UART_DLL, <u8>(divisor & 0xff));
  outb(COM1 + UART_DLM, <u8>(divisor >> 8));
  outb(COM1 + UART_LCR, UART_LCR_8N1);
  outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
  outb(COM1 + UART_MCR, UART_MCR_DTR_RTS_OUT2);
  // A 16550A says its FIFOs are on in IIR bits 7:6; an 8250 or 16450 has none.
  fifo = (inb(COM1 + UART_IIR) & UART_IIR_FIFO) == UART_IIR_FIFO ? UART_FIFO_SIZE : 1;
}

// The transmitter's FIFO size (1 without FIFOs).
export function serialFifo(): u32 { return fifo; }

// Bounded wait: a missing or wedged UART must not hang the hypervisor.
const SPIN_LIMIT: u32 = 1 << 20;

// Bytes the transmitter takes now: its FIFO's worth once it is empty, else 0.
export function serialRoom(): u32 {
  return (inb(COM1 + UART_LSR) & UART_LSR_THRE) != 0 ? fifo : 0;
}

// serialRoom once the transmitter is empty, waiting for it (bounded: after
// the limit it is taken as empty).
export function serialWaitRoom(): u32 {
  for (let i: u32 = 0; i < SPIN_LIMIT; i++) {
    if (inb(COM1 + UART_LSR) & UART_LSR_THRE) break;
  }
  return fifo;
}

export function serialSend(c: u8): void {
  outb(COM1 + UART_THR, c);
}

// Waits until the transmitter is empty, so that bytes are on the wire before
// the machine powers off (emulators drop what is still in the FIFO).
export function serialDrain(): void {
  for (let i: u32 = 0; i < SPIN_LIMIT; i++) {
    if (inb(COM1 + UART_LSR) & UART_LSR_TEMT) break;
  }
}
