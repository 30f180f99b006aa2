// QEMU's isa-debug-exit (ports in src/arch/platform.ts) as a device of a
// domain: a write of v stops the domain with exit code v (QEMU itself would
// exit with status (v << 1) | 1). Reads return 0, as in QEMU. It has no
// state.
import { Access, Device, DEV_STOP, WIDTH_1, WIDTH_2, WIDTH_4 } from "./device";

export const DEBUG_EXIT_KIND: u32 = 0x58474244;   // "DBGX"

@final
export class DebugExit extends Device {
  kind(): u32 { return DEBUG_EXIT_KIND; }
  name(): string { return "isa-debug-exit"; }
  version(): u32 { return 1; }
  block(): usize { return 0; }
  blockSize(): u32 { return 0; }
  widths(): u32 { return WIDTH_1 | WIDTH_2 | WIDTH_4; }

  read(a: Access): u64 { return 0; }

  write(a: Access, value: u64): u32 {
    a.code = value;
    return DEV_STOP;
  }

  reset(): void {}
}
