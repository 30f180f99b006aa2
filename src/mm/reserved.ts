// What the frame allocator must never hand out at boot: the caller's policy,
// kept next to the allocator so kmain and the tests use the same list.
import { BootInfo } from "../boot/bootinfo";
import { HV_IMAGE_BASE, HV_WASM_END } from "../arch/layout";
import { ReservedRange } from "./frames";

// Below 1 MiB live the IVT, BDA, EBDA, option ROMs and the BIOS, and the AP
// trampoline will need a page there that we pick by hand.
export const LOW_MEMORY_END: u64 = 0x100000;

export function bootReservedRanges(bi: BootInfo): ReservedRange[] {
  const r: ReservedRange[] = [];
  r.push(new ReservedRange(0, LOW_MEMORY_END, "low memory"));
  r.push(new ReservedRange(HV_IMAGE_BASE, HV_WASM_END, "hypervisor image"));
  for (let i = 0; i < bi.extents.length; i++) {
    const e = bi.extents[i];
    r.push(new ReservedRange(e.start, e.end, e.what));
  }
  for (let i = 0; i < bi.modules.length; i++) {
    const m = bi.modules[i];
    r.push(new ReservedRange(m.start, m.end, "module " + m.cmdline));
  }
  return r;
}
