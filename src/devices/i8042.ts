// The 8042 keyboard controller of a domain, as far as a PC without a
// keyboard needs it (IBM PC/AT Technical Reference; QEMU's pckbd.c for the
// choices): the status register, the command byte, the self and interface
// tests, the output port, and the reset line: command 0xFE (and any pulse
// command 0xF0-0xFF with bit 0 clear) or an output-port write with bit 0
// clear resets the machine, what Linux's reboot=k does. No keyboard or
// mouse is attached: their commands and bytes are dropped, the A20 bit of
// the output port is kept but memory never wraps at 1 MiB.
import { Access, Device, DEV_OK, DEV_RESET, WIDTH_1 } from "./device";
import {
  KBC_DATA_PORT, KBC_STATUS_OBF, KBC_STATUS_SYS, KBC_STATUS_CMD, KBC_STATUS_UNLOCKED, KBC_CMD_READ_CONFIG,
  KBC_CMD_WRITE_CONFIG, KBC_CMD_SELF_TEST, KBC_CMD_KBD_TEST, KBC_CMD_READ_OUTPUT, KBC_CMD_WRITE_OUTPUT,
  KBC_OUTPUT_RESET, KBC_OUTPUT_A20, KBC_SELF_TEST_OK, KBC_CONFIG_SYS,
} from "../arch/platform";

export const I8042_KIND: u32 = 0x32343038;   // "8042"

// The state, saved as it is.
@unmanaged
class I8042State {
  status: u8;     // KBC_STATUS_* (OBF with `out`)
  config: u8;     // the command byte
  out: u8;        // the output buffer
  pending: u8;    // a command waiting for its data byte at 0x60 (0 none)
  output: u8;     // the output port
  reserved0: u8;
  reserved1: u16;
}
const BLOCK_SIZE: u32 = 8;
// Reset state as QEMU has it: keyboard interrupt enabled, system flag set,
// A20 on, the reset line inactive.
const CONFIG_RESET: u8 = 0x45;

@final
export class I8042 extends Device {
  private s: I8042State = changetype<I8042State>(heap.alloc(BLOCK_SIZE));

  constructor() {
    super();
    this.reset();
  }

  kind(): u32 { return I8042_KIND; }
  name(): string { return "i8042"; }
  version(): u32 { return 1; }
  block(): usize { return changetype<usize>(this.s); }
  blockSize(): u32 { return BLOCK_SIZE; }
  widths(): u32 { return WIDTH_1; }

  reset(): void {
    memory.fill(changetype<usize>(this.s), 0, BLOCK_SIZE);
    this.s.status = KBC_STATUS_SYS | KBC_STATUS_UNLOCKED;
    this.s.config = CONFIG_RESET;
    this.s.output = KBC_OUTPUT_RESET | KBC_OUTPUT_A20;
  }

  read(a: Access): u64 {
    const s = this.s;
    if (<u16>a.address != KBC_DATA_PORT) return s.status;
    s.status &= ~KBC_STATUS_OBF;
    return s.out;
  }

  write(a: Access, value: u64): u32 {
    const s = this.s;
    const v = <u8>value;
    if (<u16>a.address == KBC_DATA_PORT) {
      s.status &= ~KBC_STATUS_CMD;
      const cmd = s.pending;
      s.pending = 0;
      if (cmd == KBC_CMD_WRITE_CONFIG) {
        s.config = v;
        s.status = (s.status & ~KBC_STATUS_SYS) | ((v & KBC_CONFIG_SYS) != 0 ? KBC_STATUS_SYS : 0);
      } else if (cmd == KBC_CMD_WRITE_OUTPUT) {
        s.output = v | KBC_OUTPUT_RESET;   // the reset line pulses and is inactive again
        if ((v & KBC_OUTPUT_RESET) == 0) return DEV_RESET;
      }
      return DEV_OK;   // otherwise a byte for the keyboard: none is attached
    }
    s.status |= KBC_STATUS_CMD;
    if (v >= 0xf0) return (v & 1) == 0 ? DEV_RESET : DEV_OK;   // pulse output lines; bit 0 is reset
    if (v == KBC_CMD_READ_CONFIG) this.answer(s.config);
    else if (v == KBC_CMD_WRITE_CONFIG || v == KBC_CMD_WRITE_OUTPUT) s.pending = v;
    else if (v == KBC_CMD_SELF_TEST) {
      s.status |= KBC_STATUS_SYS;
      this.answer(KBC_SELF_TEST_OK);
    } else if (v == KBC_CMD_KBD_TEST) this.answer(0);
    else if (v == KBC_CMD_READ_OUTPUT) this.answer(s.output);
    return DEV_OK;   // the rest (enable, disable, mouse) change nothing here
  }

  private answer(v: u8): void {
    this.s.out = v;
    this.s.status |= KBC_STATUS_OBF;
  }

  check(b: usize): string {
    const r = changetype<I8042State>(b);
    if (r.reserved0 != 0 || r.reserved1 != 0) return "reserved fields not 0";
    if (r.pending != 0 && r.pending != KBC_CMD_WRITE_CONFIG && r.pending != KBC_CMD_WRITE_OUTPUT) return "pending command not one with a data byte";
    if ((r.output & KBC_OUTPUT_RESET) == 0) return "output port holds the reset line asserted";
    return "";
  }
}
