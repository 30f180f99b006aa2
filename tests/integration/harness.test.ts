// Tests of the emulator harness itself (qemu/emulator.ts), on a tiny fixture
// kernel (tests/harness/fixture.asm) so they do not depend on the hypervisor.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bootBochs, bootQemu, makeIso } from "../../qemu/emulator";
import { buildFixture } from "../harness/fixture";

let fixture: { elf: string; cleanup(): void };
beforeAll(() => {
  fixture = buildFixture();
});
afterAll(() => fixture?.cleanup());

describe("a bad emulator start fails loudly", () => {
  test("bootBochs with a missing ISO", async () => {
    await expect(bootBochs({ iso: "/nonexistent/hv.iso" })).rejects.toThrow(/ISO image not found: \/nonexistent\/hv.iso/);
  });

  test("bootQemu with a missing kernel", async () => {
    await expect(bootQemu({ boot: "kernel", kernel: "/nonexistent/hv.elf" })).rejects.toThrow(/kernel not found/);
  });

  test("a missing emulator binary", async () => {
    const iso = makeIso({ elf: fixture.elf });
    try {
      await expect(bootBochs({ iso: iso.path, binary: "/nonexistent/bochs" })).rejects.toThrow(
        /failed to start \/nonexistent\/bochs: .*ENOENT/,
      );
      await expect(bootQemu({ iso: iso.path, binary: "/nonexistent/qemu" })).rejects.toThrow(/failed to start/);
    } finally {
      iso.cleanup();
    }
  });

  test("a bochsrc Bochs rejects", async () => {
    const iso = makeIso({ elf: fixture.elf });
    try {
      await expect(bootBochs({ iso: iso.path, cpuModel: "no_such_cpu" })).rejects.toThrow(
        /bochs exited \(code 1.*before its serial port connected[^]*wrong value for parameter 'model'/,
      );
    } finally {
      iso.cleanup();
    }
  });

  test("QEMU rejecting its arguments", async () => {
    await expect(
      bootQemu({ boot: "kernel", kernel: fixture.elf, extraArgs: ["-no-such-option"] }),
    ).rejects.toThrow(/qemu exited \(code 1[^]*no-such-option/);
  });
});

describe("serial console round trip and power-off", () => {
  test("QEMU -kernel (multiboot1): command line, input echo, exit status 1", async () => {
    const e = await bootQemu({ boot: "kernel", kernel: fixture.elf, append: "debug_fault=pf x=1" });
    try {
      // QEMU's multiboot1 loader passes "<kernel path> <append>".
      await e.waitFor(/fixture: multiboot1 cmdline=\S*fixture\.elf debug_fault=pf x=1\n/, 30_000);
      await e.waitFor("fixture: ready> ", 10_000);
      e.write("hello there\r");
      await e.waitFor("hello there\n", 10_000);
      // A timeout names the pattern and shows the serial tail.
      await expect(e.waitFor("never printed", 300)).rejects.toThrow(/timed out[^]*hello there/);
      e.write("q");
      await e.waitFor("fixture: bye\n", 10_000);
      expect(await e.exited).toEqual({ code: 1, signal: null });
      expect(e.output()).not.toContain("\r");
    } finally {
      await e.kill();
    }
  }, 60_000);

  test("Bochs from a makeIso image (multiboot2): command line, input echo, exit status 1", async () => {
    const iso = makeIso({ elf: fixture.elf, cmdline: "debug_fault=pf x=1" });
    try {
      const e = await bootBochs({ iso: iso.path });
      try {
        await e.waitFor(/fixture: multiboot2 cmdline=debug_fault=pf x=1\n/, 120_000);
        await e.waitFor("fixture: ready> ", 10_000);
        e.write("hello bochs\r");
        await e.waitFor("hello bochs\n", 10_000);
        e.write("q");
        await e.waitFor("fixture: bye\n", 10_000);
        // Bochs ends on "Shutdown" written to port 0x8900, with status 1.
        expect(await e.exited).toEqual({ code: 1, signal: null });
        // An emulator that exited makes waitFor fail at once, not at its timeout.
        await expect(e.waitFor("never printed", 60_000)).rejects.toThrow(/bochs exited \(code 1/);
      } finally {
        await e.kill();
      }
    } finally {
      iso.cleanup();
    }
  }, 180_000);
});
