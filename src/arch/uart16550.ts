// 16550 UART registers (National Semiconductor PC16550D data sheet), as offsets
// from the base port. Used by the hypervisor's console driver and, later, by
// the per-domain UART model.

export const COM1: u16 = 0x3f8;
export const COM1_ISA_IRQ: u32 = 4;       // the PC's wiring of COM1's INTRPT (through OUT2)
export const UART_PORTS: u32 = 8;         // registers at base + 0 .. base + 7
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

// ── Register bits (PC16550D data sheet, Table II "Summary of Registers") ────
// IER: interrupt enable. Bits 7:4 are always 0 on a 16550.
export const UART_IER_ERBFI: u8 = 0x01; // received data available (and timeout)
export const UART_IER_ETBEI: u8 = 0x02; // transmitter holding register empty
export const UART_IER_ELSI: u8 = 0x04;  // receiver line status
export const UART_IER_EDSSI: u8 = 0x08; // modem status
export const UART_IER_MASK: u8 = 0x0f;

// IIR: interrupt identification, bits 3:0 in priority order (Table IV).
export const UART_IIR_NO_INT: u8 = 0x01; // bit 0 set: no interrupt pending
export const UART_IIR_ID_MASK: u8 = 0x0e;
export const UART_IIR_RLS: u8 = 0x06;    // 1st: receiver line status (OE/PE/FE/BI)
export const UART_IIR_RDA: u8 = 0x04;    // 2nd: received data available (at trigger level)
export const UART_IIR_CTI: u8 = 0x0c;    // 2nd: character timeout (FIFO mode only)
export const UART_IIR_THRE: u8 = 0x02;   // 3rd: transmitter holding register empty
export const UART_IIR_MS: u8 = 0x00;     // 4th: modem status
export const UART_IIR_FIFO: u8 = 0xc0;   // bits 7:6 both set when FCR bit 0 is set

// FCR: FIFO control (write only).
export const UART_FCR_ENABLE: u8 = 0x01;
export const UART_FCR_CLEAR_RX: u8 = 0x02;
export const UART_FCR_CLEAR_TX: u8 = 0x04;
export const UART_FCR_DMA_MODE: u8 = 0x08;
export const UART_FCR_TRIGGER_MASK: u8 = 0xc0; // RX trigger: 00=1, 01=4, 10=8, 11=14 bytes
export const UART_FIFO_SIZE: u32 = 16;

// MCR: modem control. Bits 7:5 are always 0.
export const UART_MCR_DTR: u8 = 0x01;
export const UART_MCR_RTS: u8 = 0x02;
export const UART_MCR_OUT1: u8 = 0x04;
export const UART_MCR_OUT2: u8 = 0x08; // on a PC, gates the IRQ line to the PIC
export const UART_MCR_LOOP: u8 = 0x10;
export const UART_MCR_MASK: u8 = 0x1f;

// LSR: line status (DR, THRE, TEMT above).
export const UART_LSR_OE: u8 = 0x02;   // overrun error
export const UART_LSR_PE: u8 = 0x04;   // parity error
export const UART_LSR_FE: u8 = 0x08;   // framing error
export const UART_LSR_BI: u8 = 0x10;   // break interrupt
export const UART_LSR_RXFE: u8 = 0x80; // error in RCVR FIFO
export const UART_LSR_ERRORS: u8 = 0x1e; // OE|PE|FE|BI: cleared by reading LSR

// MSR: modem status. Bits 3:0 are deltas, cleared by reading MSR. In loopback
// mode CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2.
export const UART_MSR_DCTS: u8 = 0x01;
export const UART_MSR_DDSR: u8 = 0x02;
export const UART_MSR_TERI: u8 = 0x04; // trailing edge of RI
export const UART_MSR_DDCD: u8 = 0x08;
export const UART_MSR_CTS: u8 = 0x10;
export const UART_MSR_DSR: u8 = 0x20;
export const UART_MSR_RI: u8 = 0x40;
export const UART_MSR_DCD: u8 = 0x80;
export const UART_MSR_DELTAS: u8 = 0x0f;
