// The CRC-32C of the save stream and the image store (src/lib/crc32.ts) by
// the CPU's CRC32 instruction (SSE4.2; Nehalem and later, Bochs's Haswell),
// eight bytes an instruction: saving a page costs about 600 instructions
// of CRC instead of about 16,000 in software.
import { crc32c, cpu_has_sse42 } from "./hw";
import { Crc32Engine, crc32Use } from "../src/lib/crc32";

class HardCrc extends Crc32Engine {
  update(crc: u32, p: usize, len: usize): u32 { return crc32c(crc, p, <u32>len); }
}

// The hardware engine if the CPU has it: true when installed.
export function crcInit(): bool {
  if (!cpu_has_sse42()) return false;
  crc32Use(new HardCrc());
  return true;
}
