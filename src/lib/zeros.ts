// Zero runs left out: a byte block packed as tokens of 8-byte words, each
// a u32 (bits 15:0 zero words, bits 31:16 literal words) followed by its
// literal words, then the block's last n % 8 bytes as they are. A snapshot
// record is mostly zeros (a LAPIC's register page, unused CMOS and PCI
// configuration space): packed, it is a fraction of its size.
const RUN_MAX: u32 = 0xffff;

// The most bytes packing `n` can take (every other word zero: a token each).
export function packBound(n: u32): u32 { return ((n >> 3) + 1) * 12 + 8; }

// Packs the `n` bytes at `src` to `dst` (packBound(n) bytes there); the
// packed length.
export function pack(src: usize, n: u32, dst: usize): u32 {
  const words = n >> 3;
  let i: u32 = 0;
  let out = dst;
  while (i < words) {
    let zeros: u32 = 0;
    while (i < words && zeros < RUN_MAX && load<u64>(src + (<usize>i << 3)) == 0) { zeros++; i++; }
    const start = i;
    // A literal run ends at two zero words in a row (one is cheaper kept).
    while (i < words && i - start < RUN_MAX &&
           !(load<u64>(src + (<usize>i << 3)) == 0 && (i + 1 >= words || load<u64>(src + (<usize>(i + 1) << 3)) == 0))) i++;
    const lit = i - start;
    store<u32>(out, zeros | (lit << 16));
    memory.copy(out + 4, src + (<usize>start << 3), <usize>lit << 3);
    out += 4 + (<usize>lit << 3);
  }
  memory.copy(out, src + (<usize>words << 3), <usize>(n & 7));
  return <u32>(out - dst) + (n & 7);
}

// Unpacks `len` packed bytes at `src` into the `n` bytes they were, at
// `dst`, leaving out `gap` bytes at offset `gapAt` (a multiple of 8) of the
// output: what comes after gapAt goes after the gap. False if the packed
// bytes do not make exactly n (nothing is written past dst + n + gap).
export function unpack(src: usize, len: u32, dst: usize, n: u32, gapAt: u32, gap: u32): bool {
  const words = n >> 3;
  const end = src + <usize>len - <usize>(n & 7);
  let i: u32 = 0;
  let p = src;
  while (i < words) {
    if (p + 4 > end) return false;
    const t = load<u32>(p);
    const zeros = t & RUN_MAX, lit = t >> 16;
    p += 4;
    if (<u64>i + <u64>zeros + <u64>lit > <u64>words || p + (<usize>lit << 3) > end) return false;
    for (let k: u32 = 0; k < zeros; k++, i++) store<u64>(dst + at(i, gapAt, gap), 0);
    for (let k: u32 = 0; k < lit; k++, i++, p += 8) store<u64>(dst + at(i, gapAt, gap), load<u64>(p));
  }
  if (p != end) return false;
  memory.copy(dst + at(words, gapAt, gap), p, <usize>(n & 7));
  return true;
}

@inline function at(word: u32, gapAt: u32, gap: u32): usize {
  const off = <usize>word << 3;
  return off < <usize>gapAt ? off : off + <usize>gap;
}
