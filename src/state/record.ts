// The framing of a domain's state record (src/state/capture.ts writes and
// checks it): what a reader outside the hypervisor needs to walk it, which
// Domain 0's save stream does (src/state/stream.ts cuts it into one
// stream record per part). Plain constants, nothing of the hypervisor.
//
//   domain header   DOMREC_HEADER bytes: magic "TSDM", version, size,
//                   vCPUs, devices; memBytes, eventPage, eventVector,
//                   weight, cap; the console (head, line, ring)
//   vCPU records    magic "TSVC", version, size (VREC_SIZE), index, ...
//   devices         each: kind, version, size, 0, then size bytes
//                   (DEVSTATE_* of src/devices/device.ts)
import { CONSOLE_RING_BYTES, CONSOLE_LINE_BYTES } from "../arch/abi";

export const DOMREC_MAGIC: u32 = 0x4d445354;    // "TSDM"
export const VCPUREC_MAGIC: u32 = 0x43565354;   // "TSVC"
export const RECORD_VERSION: u32 = 2;   // 2: VcpuState holds IA32_SPEC_CTRL

// Domain header.
export const D_MAGIC: u32 = 0;
export const D_VERSION: u32 = 4;
export const D_SIZE: u32 = 8;
export const D_VCPUS: u32 = 12;
export const D_DEVICES: u32 = 16;
export const D_MEM: u32 = 24;
export const D_EVENT_PAGE: u32 = 32;
export const D_EVENT_VECTOR: u32 = 40;
export const D_WEIGHT: u32 = 44;
export const D_CAP: u32 = 48;
export const D_CONSOLE: u32 = 56;
// Console: head u64, line length u32, 0 u32, the line, the ring.
export const C_HEAD: u32 = 0;
export const C_LINE_LEN: u32 = 8;
export const C_LINE: u32 = 16;
export const C_RING: u32 = C_LINE + CONSOLE_LINE_BYTES;
export const CONSOLE_RECORD_SIZE: u32 = C_RING + CONSOLE_RING_BYTES;
export const DOMREC_HEADER: u32 = D_CONSOLE + CONSOLE_RECORD_SIZE;

// vCPU record header.
export const V_MAGIC: u32 = 0;
export const V_VERSION: u32 = 4;
export const V_SIZE: u32 = 8;
export const V_INDEX: u32 = 12;
export const V_TSC: u32 = 16;
export const V_STATE: u32 = 24;
