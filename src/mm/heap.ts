// The hypervisor's own heap: the stub runtime's bump allocator, growing up
// to HV_WASM_END (src/arch/layout.ts). It never takes memory back, so what
// creating a domain allocates (its device blocks, vCPUs, XSAVE areas, names:
// about 22 KiB) stays allocated after the domain is gone. Creation checks
// heapLeft first, so that it fails with a clear error while the host still
// has HEAP_RESERVE for its own needs, instead of the allocator trapping.
import { HV_WASM_END } from "../arch/layout";

export const HEAP_RESERVE: u64 = 1 << 20;

// Bytes between the allocator's next block and HV_WASM_END. (A block freed
// right after it was allocated is the stub's last one: it is taken back.)
export function heapLeft(): u64 {
  const next = heap.alloc(1);
  heap.free(next);
  return <u64>next < <u64>HV_WASM_END ? <u64>HV_WASM_END - <u64>next : 0;
}
