// Boots hypervisor images headless in Bochs and QEMU and exposes the serial
// console (COM1) as a stream the tests and `make run` can read and type into.
//
// The serial port is a TCP connection in both emulators, in the same
// direction: we listen on an ephemeral port on 127.0.0.1 and the emulator
// connects to it as a client when its UART is created (Bochs
// `com1: mode=socket-client`, QEMU `-chardev socket,...` without `server`).
// So no port is ever guessed and parallel runs cannot collide.
//
// Every emulator is spawned detached in its own process group; kill() and the
// process exit / SIGINT / SIGTERM hooks kill the whole group, and a tiny shell
// watchdog kills it too should this Node process die without running hooks
// (SIGKILL, a crashed vitest worker).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUILD = path.join(ROOT, "build");
export const DEFAULT_ISO = path.join(BUILD, "hv.iso");
export const DEFAULT_ELF = path.join(BUILD, "hv.elf");

export const BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest";
export const BOCHS_VGABIOS = "/usr/share/vgabios/vgabios.bin";
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS.fd";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Emulator {
  /** "bochs" or "qemu". */
  readonly kind: string;
  /** Temporary directory with the config, logs and serial transcript. */
  readonly dir: string;
  /** The emulator's own log (Bochs log file, QEMU stderr). */
  readonly logPath: string;
  /** The emulator's process id (also its process group id). */
  readonly pid: number;
  /**
   * Waits until `pattern` appears in the serial output after the previous
   * match (or from the start with { fromStart: true }), and resolves with the
   * match. Rejects on timeout or when the emulator exits first, with the tail
   * of the serial output and of the emulator's log in the message.
   */
  waitFor(pattern: string | RegExp, timeoutMs: number, opts?: WaitOpts): Promise<RegExpExecArray>;
  /** All serial output so far, `\r` removed. */
  output(): string;
  /** Types `text` into the serial port. */
  write(text: string | Buffer): void;
  /** Resolves when the emulator exits. */
  readonly exited: Promise<ExitStatus>;
  /** Kills the emulator's process group, waits for it, removes the temp dir (unless kept). */
  kill(): Promise<void>;
  /** Seconds since spawn, for timing reports. */
  elapsed(): number;
  /** Tail of the emulator's log file / stderr. */
  logTail(chars?: number): string;
}

export interface WaitOpts {
  /** Search the whole output, not only what follows the previous match. */
  fromStart?: boolean;
  /**
   * Reject at once when this appears (after the search start) before the
   * pattern does, e.g. a panic; overrides the emulator's `failOn`; null: none.
   */
  failOn?: RegExp | null;
}

export interface CommonOpts {
  /** Default `failOn` of every waitFor (e.g. /hv: halted/): fail fast instead of timing out. */
  failOn?: RegExp;
  /** Memory in MiB (default 512). */
  memoryMb?: number;
  /** Number of CPUs (default 1). */
  cpus?: number;
  /** Raw serial bytes as they arrive (for a terminal passthrough). */
  onData?: (data: Buffer) => void;
  /** Keep the temporary directory after kill() (also: env HV_KEEP_TMP=1). */
  keepDir?: boolean;
  /** How long the emulator may take to connect to the serial socket (default 30 s). */
  startTimeoutMs?: number;
  /** Override the emulator binary (tests of the harness). */
  binary?: string;
}

export interface BochsOpts extends CommonOpts {
  /** ISO to boot from the CD drive (default build/hv.iso). */
  iso?: string;
  /** Bochs CPU model (default corei7_haswell_4770: VMX, EPT, VPID, unrestricted guest, preemption timer). */
  cpuModel?: string;
  /** Emulated instructions per second (the timers' notion of time), default Bochs' own. */
  ips?: number;
  /** Extra bochsrc lines. */
  extraConfig?: string[];
  /** A raw disk image on the secondary channel's master (0x170/0x376, IRQ 15): Domain 0's image store. */
  disk?: string;
  /** The RTC starts at the host's time (default: a fixed time, so runs repeat). */
  hostTime?: boolean;
}

// A store disk's size: Bochs takes a flat image as cylinders x 16 heads x
// 63 sectors of 512 bytes.
export const DISK_TRACK_BYTES = 16 * 63 * 512;

/** Creates `file` as a sparse disk image of `mib` MiB (rounded to whole cylinders) unless it exists. */
export function diskImage(file: string, mib: number): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, "w");
    fs.ftruncateSync(fd, Math.ceil((mib << 20) / DISK_TRACK_BYTES) * DISK_TRACK_BYTES);
    fs.closeSync(fd);
  }
  return file;
}

function diskLines(file: string): string[] {
  // Bochs locks the image with <file>.lock and leaves it behind when it is
  // killed (as every run here ends): one left from an earlier run goes.
  fs.rmSync(`${file}.lock`, { force: true });
  const cylinders = Math.floor(fs.statSync(file).size / DISK_TRACK_BYTES);
  if (cylinders < 1) throw new Error(`${file}: smaller than one cylinder (${DISK_TRACK_BYTES} bytes)`);
  return [
    `ata1: enabled=1, ioaddr1=0x170, ioaddr2=0x370, irq=15`,
    `ata1-master: type=disk, path="${file}", mode=flat, cylinders=${cylinders}, heads=16, spt=63`,
  ];
}

export type QemuBoot = "bios" | "kernel" | "uefi";

export interface QemuOpts extends CommonOpts {
  /** bios: -cdrom with SeaBIOS; kernel: -kernel (multiboot1); uefi: OVMF + -cdrom. Default bios. */
  boot?: QemuBoot;
  /** ISO for bios/uefi (default build/hv.iso). */
  iso?: string;
  /** ELF for -kernel (default build/hv.elf). */
  kernel?: string;
  /** Kernel command line for -kernel (-append). */
  append?: string;
  /** Multiboot modules for -kernel (-initrd "path cmdline,path cmdline"). */
  modules?: IsoModule[];
  /** Use KVM (-enable-kvm -cpu host). Default: TCG. */
  kvm?: boolean;
  /** Extra QEMU arguments. */
  extraArgs?: string[];
  /** A raw disk image as the primary channel's master (0x1F0/0x3F6): Domain 0's image store. */
  disk?: string;
}

export interface IsoModule {
  path: string;
  cmdline?: string;
}

// ---------------------------------------------------------------------------
// Process cleanup

const live = new Map<number, () => void>();
let hooksInstalled = false;

function killGroupSync(pid: number) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

function installHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const kill of live.values()) kill();
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      for (const kill of live.values()) kill();
      // The default action was replaced by this handler: exit like it would.
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    });
  }
}

/** Kills the group `pgid` once this Node process is gone, however it dies. */
function startWatchdog(pgid: number) {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 -${pgid} 2>/dev/null; do sleep 1; done; kill -KILL -${pgid} 2>/dev/null`;
  const w = spawn("/bin/sh", ["-c", script], { detached: true, stdio: "ignore" });
  w.unref();
  return w;
}

// ---------------------------------------------------------------------------
// Helpers

function keepTmp(opts: CommonOpts) {
  return opts.keepDir || process.env.HV_KEEP_TMP === "1";
}

function tail(s: string, n: number) {
  return s.length <= n ? s : "..." + s.slice(s.length - n);
}

function readTail(file: string, n: number) {
  try {
    const st = fs.statSync(file);
    const fd = fs.openSync(file, "r");
    try {
      const len = Math.min(n, st.size);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, st.size - len);
      return (len < st.size ? "..." : "") + buf.toString("utf8");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return "";
  }
}

function escapeRegExp(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function requireFile(file: string, what: string) {
  if (!fs.existsSync(file)) throw new Error(`${what} not found: ${file}`);
}

function listen(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

interface LaunchSpec {
  kind: string;
  binary: string;
  args: string[];
  dir: string;
  /** File the emulator logs to (its stderr/stdout are appended to `stdioPath`). */
  logPath: string;
  stdioPath: string;
  server: net.Server;
  opts: CommonOpts;
  describe: string;
}

async function launch(spec: LaunchSpec): Promise<Emulator> {
  installHooks();
  const { kind, dir, server, opts } = spec;
  const stdioFd = fs.openSync(spec.stdioPath, "a");
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(spec.binary, spec.args, { cwd: dir, detached: true, stdio: ["ignore", stdioFd, stdioFd] });
  } finally {
    fs.closeSync(stdioFd);
  }
  let spawnError: Error | undefined;
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("error", (err) => {
      spawnError = err;
      status = { code: null, signal: null };
      resolve(status);
    });
    child.once("exit", (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });
  const pid = child.pid ?? -1;
  let watchdog: ChildProcess | undefined;
  if (pid > 0) {
    live.set(pid, () => killGroupSync(pid));
    watchdog = startWatchdog(pid);
  }

  let text = "";
  let cursor = 0;
  let socket: net.Socket | undefined;
  const decoder = new StringDecoder("utf8");
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const serialLog = fs.createWriteStream(path.join(dir, "serial.log"));
  // A copy for debugging only: losing it must not fail the run.
  serialLog.on("error", () => {});

  const logTail = (chars = 3000) => {
    const log = readTail(spec.logPath, chars);
    const stdio = spec.logPath === spec.stdioPath ? "" : readTail(spec.stdioPath, 1500);
    return [log && `--- ${spec.logPath} ---\n${log}`, stdio && `--- ${spec.stdioPath} ---\n${stdio}`]
      .filter(Boolean)
      .join("\n");
  };
  const failure = (msg: string) =>
    new Error(
      `${spec.describe}: ${msg}\n--- serial output (last 2000 chars) ---\n${tail(text, 2000)}\n${logTail()}`,
    );
  const exitText = () =>
    spawnError
      ? `failed to start ${spec.binary}: ${spawnError.message}`
      : `${kind} exited (code ${status?.code}, signal ${status?.signal})`;

  // Wait for the emulator to connect its UART to our socket.
  const startTimeout = opts.startTimeoutMs ?? 30_000;
  try {
    socket = await new Promise<net.Socket>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(failure(`serial port did not connect within ${startTimeout} ms`)),
        startTimeout,
      );
      server.once("connection", (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      exited.then(() => {
        clearTimeout(timer);
        reject(failure(`${exitText()} before its serial port connected`));
      });
    });
  } catch (e) {
    if (pid > 0) killGroupSync(pid);
    live.delete(pid);
    server.close();
    // The stream opens its file asynchronously: let it finish before the
    // directory goes, or the late file makes the removal fail.
    await new Promise<void>((r) => serialLog.end(() => r()));
    if (!keepTmp(opts)) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    throw e;
  }
  server.close(); // one connection is all we take
  let socketClosed = false;
  socket.setNoDelay(true);
  socket.on("data", (buf: Buffer) => {
    opts.onData?.(buf);
    serialLog.write(buf);
    text += decoder.write(buf).replace(/\r/g, "");
    notify();
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    socketClosed = true;
    notify();
  });
  exited.then(() => {
    // Give the last bytes in flight a moment to arrive, then wake waiters.
    setTimeout(notify, 300);
    live.delete(pid);
  });

  const waitFor = (pattern: string | RegExp, timeoutMs: number, wopts: WaitOpts = {}) => {
    const failOnSrc = wopts.failOn === undefined ? opts.failOn : wopts.failOn;
    const failRe = failOnSrc ? new RegExp(failOnSrc.source, failOnSrc.flags.replace("g", "") + "g") : undefined;
    const re =
      typeof pattern === "string"
        ? new RegExp(escapeRegExp(pattern), "g")
        : new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g");
    const from = wopts.fromStart ? 0 : cursor;
    return new Promise<RegExpExecArray>((resolve, reject) => {
      let exitSeen = 0;
      const check = () => {
        re.lastIndex = from;
        const m = re.exec(text);
        if (m) {
          done();
          cursor = m.index + m[0].length;
          resolve(m);
          return;
        }
        if (failRe) {
          failRe.lastIndex = from;
          const f = failRe.exec(text);
          if (f) {
            done();
            // Let the rest of a panic dump arrive before reporting it.
            setTimeout(
              () => reject(failure(`${JSON.stringify(f[0])} appeared in the serial output while waiting for ${re}`)),
              500,
            );
            return;
          }
        }
        if (status) {
          // Let bytes still in the socket arrive before giving up.
          if (!exitSeen) exitSeen = Date.now();
          if (socketClosed || Date.now() - exitSeen >= 300) {
            done();
            reject(failure(`${exitText()} before ${re} appeared in the serial output`));
          }
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(failure(`timed out after ${timeoutMs} ms waiting for ${re} in the serial output`));
      }, timeoutMs);
      const poll = setInterval(check, 250);
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  };

  let killed: Promise<void> | undefined;
  const kill = () =>
    (killed ??= (async () => {
      if (!status) {
        killGroupSync(pid);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      } else {
        killGroupSync(pid); // stragglers in the group
      }
      live.delete(pid);
      watchdog?.kill("SIGKILL");
      socket?.destroy();
      await new Promise<void>((r) => serialLog.end(() => r()));
      if (!keepTmp(opts)) fs.rmSync(dir, { recursive: true, force: true });
    })());

  return {
    kind,
    dir,
    logPath: spec.logPath,
    pid,
    waitFor,
    output: () => text,
    write: (t) => {
      if (!socket || socket.destroyed) throw failure("write to a closed serial port");
      socket.write(t);
    },
    exited,
    kill,
    elapsed: () => (Date.now() - started) / 1000,
    logTail,
  };
}

// ---------------------------------------------------------------------------
// Bochs

export function bochsConfig(o: {
  iso: string;
  serialPort: number;
  logPath: string;
  cpuModel: string;
  cpus: number;
  memoryMb: number;
  ips?: number;
  extra?: string[];
  disk?: string;
  hostTime?: boolean;
}): string {
  return [
    // rfb is the only display library Debian's bochs has that needs no X or
    // terminal; timeout=0 means it does not wait for a VNC client. It binds
    // the first free port from 5900 up, so parallel runs do not collide.
    `display_library: rfb, options="timeout=0"`,
    `romimage: file=${BOCHS_BIOS}`,
    `vgaromimage: file=${BOCHS_VGABIOS}`,
    `cpu: model=${o.cpuModel}, count=${o.cpus}${o.ips ? `, ips=${o.ips}` : ""}, reset_on_triple_fault=0`,
    `memory: guest=${o.memoryMb}, host=${o.memoryMb}`,
    `ata0-master: type=cdrom, path="${o.iso}", status=inserted`,
    ...(o.disk ? diskLines(o.disk) : []),
    `boot: cdrom`,
    // Bidirectional: Bochs connects to our TCP server.
    `com1: enabled=1, mode=socket-client, dev=127.0.0.1:${o.serialPort}`,
    `log: ${o.logPath}`,
    // No real-time pacing, fixed RTC: runs are deterministic and fast.
    `clock: sync=none, time0=${o.hostTime ? "local" : "946684800"}`,
    `port_e9_hack: enabled=1`,
    `panic: action=fatal`,
    `error: action=report`,
    `info: action=report`,
    `debug: action=ignore`,
    ...(o.extra ?? []),
    "",
  ].join("\n");
}

export async function bootBochs(opts: BochsOpts = {}): Promise<Emulator> {
  const iso = path.resolve(opts.iso ?? DEFAULT_ISO);
  requireFile(iso, "bootBochs: ISO image");
  requireFile(BOCHS_BIOS, "bootBochs: Bochs BIOS (Debian package bochsbios)");
  requireFile(BOCHS_VGABIOS, "bootBochs: VGA BIOS (Debian package vgabios)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hv-bochs-"));
  const server = await listen();
  const port = (server.address() as net.AddressInfo).port;
  const logPath = path.join(dir, "bochs.log");
  fs.writeFileSync(
    path.join(dir, "bochsrc"),
    bochsConfig({
      iso,
      serialPort: port,
      logPath,
      cpuModel: opts.cpuModel ?? "corei7_haswell_4770",
      cpus: opts.cpus ?? 1,
      memoryMb: opts.memoryMb ?? 512,
      ips: opts.ips,
      extra: opts.extraConfig,
      disk: opts.disk ? path.resolve(opts.disk) : undefined,
      hostTime: opts.hostTime,
    }),
  );
  // Debian's bochs has the debugger built in: run it with a script that
  // continues, and quits when the simulation stops.
  fs.writeFileSync(path.join(dir, "cmds"), "c\nquit\n");
  return launch({
    kind: "bochs",
    binary: opts.binary ?? "bochs",
    args: ["-q", "-f", "bochsrc", "-rc", "cmds"],
    dir,
    logPath,
    stdioPath: path.join(dir, "bochs.out"),
    server,
    opts,
    describe: `bochs (${iso}, dir ${dir})`,
  });
}

// ---------------------------------------------------------------------------
// QEMU

/** True when QEMU can use KVM with nested VT-x on this host. */
export function hasNestedVmx(): boolean {
  if (!fs.existsSync("/dev/kvm")) return false;
  try {
    const v = fs.readFileSync("/sys/module/kvm_intel/parameters/nested", "utf8").trim();
    return v === "Y" || v === "1";
  } catch {
    return false;
  }
}

export async function bootQemu(opts: QemuOpts = {}): Promise<Emulator> {
  const boot = opts.boot ?? "bios";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hv-qemu-${boot}-`));
  try {
    const args: string[] = [];
    let what: string;
    if (boot === "kernel") {
      const kernel = path.resolve(opts.kernel ?? DEFAULT_ELF);
      requireFile(kernel, "bootQemu: kernel");
      args.push("-kernel", kernel);
      if (opts.append !== undefined) args.push("-append", opts.append);
      if (opts.modules?.length) {
        const mods = opts.modules.map((m) => {
          requireFile(m.path, "bootQemu: module");
          return [path.resolve(m.path), m.cmdline ?? ""].join(" ").trim().replace(/,/g, ",,");
        });
        args.push("-initrd", mods.join(","));
      }
      what = kernel;
    } else {
      const iso = path.resolve(opts.iso ?? DEFAULT_ISO);
      requireFile(iso, "bootQemu: ISO image");
      if (boot === "uefi") {
        requireFile(OVMF_CODE, "bootQemu: OVMF firmware (Debian package ovmf)");
        fs.copyFileSync(OVMF_VARS, path.join(dir, "OVMF_VARS.fd"));
        args.push(
          "-drive", `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
          "-drive", `if=pflash,format=raw,file=${path.join(dir, "OVMF_VARS.fd")}`,
        );
      }
      args.push("-cdrom", iso);
      what = iso;
    }
    if (opts.disk) {
      args.push("-drive", `file=${path.resolve(opts.disk)},format=raw,if=ide,index=0,media=disk`);
    }
    const server = await listen();
    const port = (server.address() as net.AddressInfo).port;
    args.push(
      "-display", "none",
      "-no-reboot",
      "-monitor", "none",
      "-chardev", `socket,id=com1,host=127.0.0.1,port=${port}`,
      "-serial", "chardev:com1",
      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "-m", String(opts.memoryMb ?? 512),
      "-smp", String(opts.cpus ?? 1),
    );
    if (opts.kvm) args.push("-enable-kvm", "-cpu", "host");
    else args.push("-accel", "tcg");
    args.push(...(opts.extraArgs ?? []));
    fs.writeFileSync(path.join(dir, "cmdline"), args.join(" ") + "\n");
    const logPath = path.join(dir, "qemu.log");
    return await launch({
      kind: "qemu",
      binary: opts.binary ?? "qemu-system-x86_64",
      args,
      dir,
      logPath,
      stdioPath: logPath,
      server,
      opts,
      describe: `qemu ${boot} (${what}, dir ${dir})`,
    });
  } catch (e) {
    if (!keepTmp(opts) && fs.existsSync(dir) && !fs.existsSync(path.join(dir, "qemu.log")))
      fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------
// ISO images

export interface Iso {
  path: string;
  dir: string;
  cleanup(): void;
}

/** The serial settings of qemu/grub.cfg (everything before the first menuentry). */
export function grubPreamble(): string {
  const cfg = fs.readFileSync(path.join(ROOT, "qemu", "grub.cfg"), "utf8");
  const i = cfg.search(/^menuentry/m);
  return i < 0 ? cfg : cfg.slice(0, i);
}

/**
 * Builds a temporary ISO booting `elf` (default build/hv.elf) through
 * multiboot2 with `cmdline` and the given modules (copied to /boot/<name>).
 */
export function makeIso(o: { cmdline?: string; modules?: IsoModule[]; elf?: string; title?: string } = {}): Iso {
  const elf = path.resolve(o.elf ?? DEFAULT_ELF);
  requireFile(elf, "makeIso: kernel");
  return isoOf(o.title ?? "tshv-test", (boot) => {
    fs.copyFileSync(elf, path.join(boot, "hv.elf"));
    const lines = [`  multiboot2 /boot/hv.elf ${o.cmdline ?? ""}`.trimEnd()];
    const used = new Set<string>(["hv.elf", "grub"]);
    for (const m of o.modules ?? []) {
      requireFile(m.path, "makeIso: module");
      let name = path.basename(m.path);
      for (let n = 1; used.has(name); n++) name = `${n}-${path.basename(m.path)}`;
      used.add(name);
      fs.copyFileSync(m.path, path.join(boot, name));
      lines.push(`  module2 /boot/${name} ${m.cmdline ?? ""}`.trimEnd());
    }
    return lines;
  });
}

/**
 * Builds a temporary ISO on which GRUB boots a Linux kernel itself (its
 * `linux` and `initrd` commands), no hypervisor: the bare machine a guest
 * is compared with.
 */
export function makeLinuxIso(o: { kernel: string; initrd: string; cmdline: string; title?: string }): Iso {
  requireFile(o.kernel, "makeLinuxIso: kernel");
  requireFile(o.initrd, "makeLinuxIso: initrd");
  return isoOf(o.title ?? "linux", (boot) => {
    fs.copyFileSync(o.kernel, path.join(boot, "vmlinuz"));
    fs.copyFileSync(o.initrd, path.join(boot, "initrd.img"));
    return [`  linux /boot/vmlinuz ${o.cmdline}`, "  initrd /boot/initrd.img"];
  });
}

// An ISO whose one menu entry is what `fill` returns after copying its
// files into /boot.
function isoOf(title: string, fill: (boot: string) => string[]): Iso {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hv-iso-"));
  try {
    const boot = path.join(dir, "tree", "boot");
    fs.mkdirSync(path.join(boot, "grub"), { recursive: true });
    const lines = [`menuentry "${title}" {`, ...fill(boot), "  boot", "}", ""];
    fs.writeFileSync(path.join(boot, "grub", "grub.cfg"), grubPreamble() + lines.join("\n"));
    const iso = path.join(dir, "hv.iso");
    const r = spawnSync("grub-mkrescue", ["-o", iso, path.join(dir, "tree")], { encoding: "utf8" });
    if (r.error) throw new Error(`makeIso: failed to run grub-mkrescue: ${r.error.message}`);
    if (r.status !== 0 || !fs.existsSync(iso))
      throw new Error(`makeIso: grub-mkrescue failed (status ${r.status}):\n${r.stderr}`);
    return { path: iso, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
