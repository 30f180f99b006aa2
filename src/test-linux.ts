// The Linux boot protocol's parts for the unit tests (tests/unit/bzimage.test.ts):
// the bzImage header parser and the zero page, on images the test writes
// into memory.
import { bzImageParse, bzImageFits, bzImageInitrdAt, bzImageZeroPage } from "./domain/bzimage";
import { dec } from "./lib/str";

// The parse of the image at [addr, addr + len) as JSON, or {"error": ...}.
export function bzParseJson(addr: usize, len: u64): string {
  const b = bzImageParse(addr, len, len);
  if (b.error != "") return "{\"error\":\"" + b.error + "\"}";
  return "{\"version\":" + dec(b.version) + ",\"headerEnd\":" + dec(b.headerEnd) + ",\"kernelOffset\":" + dec(b.kernelOffset) +
    ",\"kernelSize\":" + dec(b.kernelSize) + ",\"loadAddress\":" + dec(b.loadAddress) + ",\"entry\":" + dec(b.entry()) +
    ",\"initSize\":" + dec(b.initSize) + ",\"cmdlineMax\":" + dec(b.cmdlineMax) + ",\"initrdAddrMax\":" + dec(b.initrdAddrMax) + "}";
}
export function bzFits(addr: usize, len: u64, memBytes: u64): string { return bzImageFits(bzImageParse(addr, len, len), memBytes); }
export function bzInitrdAt(addr: usize, len: u64, memBytes: u64, size: u64): u64 {
  return bzImageInitrdAt(bzImageParse(addr, len, len), memBytes, size);
}
export function bzZeroPage(zp: usize, addr: usize, len: u64, memBytes: u64, lowReserved: u64,
                           cmdline: u64, initrd: u64, initrdSize: u64, rsdp: u64): string {
  const b = bzImageParse(addr, len, len);
  if (b.error == "") bzImageZeroPage(zp, b, memBytes, lowReserved, cmdline, initrd, initrdSize, rsdp);
  return b.error;
}
