// The test initramfs: busybox (from Debian's busybox-static) as /init, and
// /etc/inittab, /etc/rcS and /etc/profile from next to this file, as a
// gzip-compressed newc cpio archive (Linux's
// Documentation/driver-api/early-userspace/buffer-format.rst).
//   tsx tests/guests/linux/mkinitramfs.ts <busybox> <out.img>
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";

const S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFCHR = 0o020000;
const here = path.dirname(new URL(import.meta.url).pathname);
const [busybox, out] = process.argv.slice(2);
if (!busybox || !out) throw new Error("usage: mkinitramfs.ts <busybox> <out.img>");

const parts: Buffer[] = [];
let ino = 1;
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
function entry(name: string, mode: number, data: Buffer = Buffer.alloc(0), rdev: [number, number] = [0, 0]) {
  const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], name.length + 1, 0];
  const header = Buffer.from("070701" + fields.map((f) => f.toString(16).padStart(8, "0")).join(""), "ascii");
  const nameBuf = Buffer.from(name + "\0", "ascii");
  parts.push(header, nameBuf, pad4(header.length + nameBuf.length), data, pad4(data.length));
}

for (const d of ["bin", "sbin", "dev", "proc", "sys", "tmp", "etc", "root"]) entry(d, S_IFDIR | 0o755);
// The kernel opens /dev/console for init before devtmpfs is mounted.
entry("dev/console", S_IFCHR | 0o600, Buffer.alloc(0), [5, 1]);
entry("bin/busybox", S_IFREG | 0o755, readFileSync(busybox));
entry("bin/sh", S_IFLNK | 0o777, Buffer.from("busybox"));
entry("init", S_IFLNK | 0o777, Buffer.from("bin/busybox"));
entry("etc/inittab", S_IFREG | 0o644, readFileSync(path.join(here, "inittab")));
entry("etc/rcS", S_IFREG | 0o755, readFileSync(path.join(here, "rcS")));
entry("etc/profile", S_IFREG | 0o644, readFileSync(path.join(here, "profile")));
entry("TRAILER!!!", 0);
writeFileSync(out, gzipSync(Buffer.concat(parts), { level: 9 }));
