// CRC-32C (Castagnoli) in JavaScript: what the tests check the save
// stream's and the image store's checksums with, and what the simulated
// CPU's CRC32 instruction computes (src/lib/crc32.ts, dom0/crc.ts).
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

// Continues the raw register `crc` over `bytes`.
export function crc32cRaw(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

export function crc32c(bytes: Uint8Array, crc = 0): number {
  return ~crc32cRaw(~crc >>> 0, bytes) >>> 0;
}
