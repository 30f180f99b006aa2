// A scratch register file on the MMIO bus, for test kernels (in the manner
// of QEMU's pc-testdev iomem): TESTDEV_MMIO_SIZE bytes that read back what
// was last written, at any width and offset, little endian. A domain has it
// only with `testdev=1` on its config line (src/lifecycle/builder.ts).
import { Access, Device, DEV_OK, WIDTH_1, WIDTH_2, WIDTH_4, WIDTH_8, widthMask } from "./device";
import { TESTDEV_MMIO_SIZE } from "../arch/platform";

export const TESTDEV_KIND: u32 = 0x56444554;   // "TEDV"

@final
export class TestDev extends Device {
  private regs: usize = heap.alloc(TESTDEV_MMIO_SIZE);

  constructor() {
    super();
    this.reset();
  }

  kind(): u32 { return TESTDEV_KIND; }
  name(): string { return "testdev"; }
  version(): u32 { return 1; }
  block(): usize { return this.regs; }
  blockSize(): u32 { return TESTDEV_MMIO_SIZE; }
  widths(): u32 { return WIDTH_1 | WIDTH_2 | WIDTH_4 | WIDTH_8; }

  // Bytes past the end read as ones and are not written.
  read(a: Access): u64 {
    let v: u64 = 0;
    for (let i: u32 = 0; i < a.width; i++) {
      const o = a.offset + i;
      const b: u64 = o < <u64>TESTDEV_MMIO_SIZE ? <u64>load<u8>(this.regs + <usize>o) : 0xff;
      v |= b << (<u64>i << 3);
    }
    return v & widthMask(a.width);
  }

  write(a: Access, value: u64): u32 {
    for (let i: u32 = 0; i < a.width; i++) {
      const o = a.offset + i;
      if (o < <u64>TESTDEV_MMIO_SIZE) store<u8>(this.regs + <usize>o, <u8>(value >> (<u64>i << 3)));
    }
    return DEV_OK;
  }

  reset(): void {
    memory.fill(this.regs, 0, TESTDEV_MMIO_SIZE);
  }
}
