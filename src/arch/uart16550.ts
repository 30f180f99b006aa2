// 16550 UART registers (National Semiconductor PC16550D data sheet), as offsets
// from the base port. Used by the hypervisor's console driver and, later, by
// the per-domain UART model.

export const COM1: u16 = 0x3f8;
export const UART_CLOCK_HZ: u32 = 1843200 / 16;

export const UART_THR: u16 = 0; // transmit holding (write, DLAB=0)
export const UART_RBR: u16 = 0; // receive buffer (read, DLAB=0)
export const UART_DLL: u16 = 0; // divisor latch low (DLAB=1)
export const UART_IER: u16 = 1; // interrupt enable (DLAB=0)
export const UART_DLM: u16 = 1; // divisor latch high (DLAB=1)
export const UART_IIR: u16 = 2; // interrupt identification (read)
export const UART_FCR: u16 = 2; // FIFO control (write)
export const UART_LCR: u16 = 3; // line control
export const UART_MCR: u16 = 4; // modem control
export const UART_LSR: u16 = 5; // line status
export const UART_MSR: u16 = 6; // modem status
export const UART_SCR: u16 = 7; // scratch

export const UART_LCR_8N1: u8 = 0x03;
export const UART_LCR_DLAB: u8 = 0x80;
export const UART_FCR_ENABLE_CLEAR: u8 = 0x07; // enable FIFOs, clear RX and TX
export const UART_MCR_DTR_RTS_OUT2: u8 = 0x0b;
export const UART_LSR_DR: u8 = 0x01;   // data ready
export const UART_LSR_THRE: u8 = 0x20; // transmit holding register empty
export const UART_LSR_TEMT: u8 = 0x40; // transmitter empty
