// System control port A at 0x92 (PS/2, PIIX "Port 92h"), the PC's fast
// reset and A20 gate: writing bit 0 as 1 resets the machine (bit 0 reads 0,
// the machine being out of reset, so every such write is the 0 -> 1 edge
// QEMU's and Bochs's models reset on); bit 1 reads back as written (memory
// never wraps at 1 MiB here); the other bits read 0.
import { Access, Device, DEV_OK, DEV_RESET, WIDTH_1 } from "./device";
import { PORT_A_FAST_RESET, PORT_A_A20 } from "../arch/platform";

export const PORT92_KIND: u32 = 0x32395450;   // "PT92"

@final
export class Port92 extends Device {
  private s: usize = heap.alloc(4);

  constructor() {
    super();
    this.reset();
  }

  kind(): u32 { return PORT92_KIND; }
  name(): string { return "port92"; }
  version(): u32 { return 1; }
  block(): usize { return this.s; }
  blockSize(): u32 { return 4; }
  widths(): u32 { return WIDTH_1; }

  reset(): void { store<u32>(this.s, 0); }

  read(a: Access): u64 { return load<u32>(this.s); }

  write(a: Access, value: u64): u32 {
    store<u32>(this.s, <u32>value & PORT_A_A20);
    return (value & PORT_A_FAST_RESET) != 0 ? DEV_RESET : DEV_OK;
  }

  check(b: usize): string {
    return (load<u32>(b) & ~<u32>PORT_A_A20) != 0 ? "bits other than A20 set" : "";
  }
}
