// COM1, the hypervisor's console until Dom0 owns the UART: 115200 8N1, polled.
import { inb, outb } from "../arch/hw";
import {
  COM1, UART_THR, UART_IER, UART_FCR, UART_LCR, UART_MCR, UART_LSR, UART_DLL, UART_DLM,
  UART_LCR_8N1, UART_LCR_DLAB, UART_FCR_ENABLE_CLEAR, UART_MCR_DTR_RTS_OUT2,
  UART_LSR_THRE, UART_LSR_TEMT, UART_CLOCK_HZ,
} from "../arch/uart16550";

const BAUD: u32 = 115200;

export function serialInit(): void {
  const divisor = UART_CLOCK_HZ / BAUD;
  outb(COM1 + UART_IER, 0);
  outb(COM1 + UART_LCR, UART_LCR_DLAB);
  outb(COM1 + UART_DLL, <u8>(divisor & 0xff));
  outb(COM1 + UART_DLM, <u8>(divisor >> 8));
  outb(COM1 + UART_LCR, UART_LCR_8N1);
  outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
  outb(COM1 + UART_MCR, UART_MCR_DTR_RTS_OUT2);
}

// Bounded wait: a missing or wedged UART must not hang the hypervisor.
const SPIN_LIMIT: u32 = 1 << 20;

export function serialPutc(c: u8): void {
  for (let i: u32 = 0; i < SPIN_LIMIT; i++) {
    if (inb(COM1 + UART_LSR) & UART_LSR_THRE) break;
  }
  outb(COM1 + UART_THR, c);
}

// Waits until the transmitter is empty, so that bytes are on the wire before
// the machine powers off (emulators drop what is still in the FIFO).
export function serialDrain(): void {
  for (let i: u32 = 0; i < SPIN_LIMIT; i++) {
    if (inb(COM1 + UART_LSR) & UART_LSR_TEMT) break;
  }
}
