// Domain configuration from a boot module's command line (src/domain/config.ts).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Machine } from "../sim/machine";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const m = new Machine();
function parse(line: string, def = "dom1") {
  const rc = m.exports.domainConfigParse(m.newString(line), m.newString(def));
  const json = JSON.parse(m.str("domainConfigJson")!);
  expect(rc === 0).toBe(json.error === "");
  return json;
}

describe("domain config", () => {
  it("parses all keys and keeps the words after `domain` as the guest cmdline", () => {
    const c = parse("/boot/guest.elf domain name=web.1 mem=64M vcpus=2 cpus=1-2 kind=flat64 load=0x200000 console=ttyS0 quiet");
    expect(c).toEqual({
      name: "web.1", memBytes: "0x4000000", vcpus: 2, cpus: "0x6", kind: 1, load: "0x200000",
      on_poweroff: "destroy", on_reboot: "restart", on_crash: "destroy",
      cmdline: "name=web.1 mem=64M vcpus=2 cpus=1-2 kind=flat64 load=0x200000 console=ttyS0 quiet", error: "",
    });
  });

  it("defaults: name from the caller, 1 vcpu, kind auto, load 0", () => {
    const c = parse("domain mem=16m", "dom7");
    expect(c).toMatchObject({ name: "dom7", memBytes: "0x1000000", vcpus: 1, cpus: "0xffffffffffffffff", kind: 0, load: "0x0", cmdline: "mem=16m", error: "" });
  });

  it("takes xl's on_poweroff, on_reboot and on_crash actions, and refuses others", () => {
    expect(parse("domain mem=2M on_poweroff=restart on_reboot=preserve on_crash=restart")).toMatchObject(
      { on_poweroff: "restart", on_reboot: "preserve", on_crash: "restart", error: "" });
    expect(parse("domain mem=2M on_reboot=destroy on_crash=preserve")).toMatchObject(
      { on_poweroff: "destroy", on_reboot: "destroy", on_crash: "preserve" });
    expect(parse("domain mem=2M on_crash=coredump-restart").error).toBe("on_crash=coredump-restart: unknown action (use destroy, restart or preserve)");
    expect(parse("domain mem=2M on_reboot=").error).toMatch(/on_reboot=/);
  });

  it("accepts decimal, hex and K/M/G suffixes in any case", () => {
    expect(parse("domain mem=1048576").memBytes).toBe("0x100000");
    expect(parse("domain mem=0x200000").memBytes).toBe("0x200000");
    expect(parse("domain mem=4096k").memBytes).toBe("0x400000");
    expect(parse("domain mem=2G").memBytes).toBe("0x80000000");
    expect(parse("domain mem=0x10M").memBytes).toBe("0x1000000");
    expect(parse("domain mem=1g").memBytes).toBe("0x40000000");
    expect(parse("domain\tmem=32M\tkind=realmode").kind).toBe(2);
  });

  it("leaves unknown keys and plain words to the guest", () => {
    const c = parse("domain mem=8M root=/dev/vda foo=bar=baz nosmp");
    expect(c.error).toBe("");
    expect(c.cmdline).toBe("mem=8M root=/dev/vda foo=bar=baz nosmp");
    expect(m.exports.isDomainModule(m.newString("dom0.elf console=com1"))).toBe(0);
    expect(m.exports.isDomainModule(m.newString("g.elf domain mem=8M"))).toBe(1);
    expect(m.exports.isDomainModule(m.newString("g.elf domainx mem=8M"))).toBe(0);
  });

  const bad: Array<[string, string]> = [
    ["domain mem=12Q", "mem=12Q: bad size (use e.g. 16M)"],
    ["domain mem=", "mem=: bad size (use e.g. 16M)"],
    ["domain mem=0x", "mem=0x: bad size (use e.g. 16M)"],
    ["domain mem=M", "mem=M: bad size (use e.g. 16M)"],
    ["domain mem=99999999999999999999", "mem=99999999999999999999: bad size (use e.g. 16M)"],
    ["domain mem=-5M", "mem=-5M: bad size (use e.g. 16M)"],
    ["domain mem=512K", "mem=512K: too small (minimum 1M)"],
    ["domain mem=3G", "mem=3G: too large (maximum 2G)"],
    ["domain mem=0x100800", "mem=0x100800: not a multiple of 4K"],
    ["domain name=x", "missing mem= (guest memory size, e.g. mem=64M)"],
    ["domain", "missing mem= (guest memory size, e.g. mem=64M)"],
    ["guest.elf mem=16M", 'not a domain module (no `domain` word in "guest.elf mem=16M")'],
    ["domain mem=16M name=", "name=: bad name (1-31 characters of A-Z a-z 0-9 _ . -)"],
    ["domain mem=16M name=a/b", "name=a/b: bad name (1-31 characters of A-Z a-z 0-9 _ . -)"],
    ["domain mem=16M name=" + "x".repeat(32), "name=" + "x".repeat(32) + ": bad name (1-31 characters of A-Z a-z 0-9 _ . -)"],
    ["domain mem=16M vcpus=0", "vcpus=0: bad vcpu count (1 to 64)"],
    ["domain mem=16M vcpus=65", "vcpus=65: bad vcpu count (1 to 64)"],
    ["domain mem=16M vcpus=2k", "vcpus=2k: bad vcpu count (1 to 64)"],
    ["domain mem=16M weight=0", "weight=0: bad weight (1 to 65535)"],
    ["domain mem=16M weight=65536", "weight=65536: bad weight (1 to 65535)"],
    ["domain mem=16M weight=0x10", "weight=0x10: bad weight (1 to 65535)"],
    ["domain mem=16M cap=101", "cap=101: bad cap (0 to 100, % of one CPU; 0 = none)"],
    ["domain mem=16M cap=-1", "cap=-1: bad cap (0 to 100, % of one CPU; 0 = none)"],
    ...["", "64", "1-", "-2", "3-1", "0,", ",1", "1,,2", "a", "0x1", "1-64"].map((l): [string, string] => [
      `domain mem=16M cpus=${l}`, `cpus=${l}: bad CPU list (e.g. 1, 0-3 or 0,2; CPUs 0 to 63)`]),
    ["domain mem=16M kind=elf", "kind=elf: unknown kind (use auto, flat64 or realmode)"],
    ["domain mem=16M load=zz", "load=zz: bad address (use e.g. 0x100000)"],
    ["domain mem=16M load=0x1000000", "load=0x1000000: outside the guest's 16M of memory"],
  ];
  for (const [line, err] of bad) {
    it(`rejects "${line.slice(0, 40)}"`, () => expect(parse(line).error).toBe(err));
  }

  it("accepts scheduler weights 1-65535 and caps 0-100", () => {
    for (const ok of ["weight=1", "weight=65535", "cap=0", "cap=100", "weight=7 cap=25"]) {
      expect(parse(`domain mem=16M ${ok}`).error, ok).toBe("");
    }
  });

  it("reads cpus= as a CPU mask: single CPUs, ranges, lists", () => {
    const cases: Array<[string, string]> = [
      ["0", "0x1"], ["2", "0x4"], ["63", "0x8000000000000000"], ["0-3", "0xf"], ["0,2", "0x5"],
      ["1-2,5,7-8", "0x1a6"], ["3-3", "0x8"], ["0-63", "0xffffffffffffffff"],
    ];
    for (const [list, mask] of cases) expect(parse(`domain mem=16M cpus=${list}`).cpus, list).toBe(mask);
  });

  it("accepts a 31-character name and the last of repeated keys", () => {
    expect(parse("domain mem=16M name=" + "a".repeat(31)).name).toBe("a".repeat(31));
    expect(parse("domain mem=16M mem=32M").memBytes).toBe("0x2000000");
  });
});

describe("HV_KEYS: the keys the hypervisor takes out of a domain's line", () => {
  // Every key read from a domain module's line (config.ts's parser, the
  // builder's and rights.ts's optionValue calls) is one HV_KEYS lists, so
  // the guest's words (guestWords) never carry one; and every listed key is
  // read somewhere, so the list does not keep a key nothing uses.
  it("lists exactly the keys the code reads", () => {
    const src = (f: string) => readFileSync(join(ROOT, f), "utf8");
    const config = src("src/domain/config.ts");
    const listed = /const HV_KEYS = " ([a-z_ ]+) ";/.exec(config)![1].split(" ");
    // The builder also reads the hypervisor's own command line.
    const hypervisorLine = ["dom0_mem"];
    const read = new Set<string>();
    for (const f of ["src/domain/config.ts", "src/domain/rights.ts", "src/lifecycle/builder.ts"]) {
      for (const m of src(f).matchAll(/key == "([a-z_0-9]+)"|optionValue\([\w.]+, "([a-z_0-9]+)"\)/g)) read.add(m[1] ?? m[2]);
    }
    for (const k of hypervisorLine) read.delete(k);
    expect([...read].filter((k) => !listed.includes(k)), "read but not in HV_KEYS").toEqual([]);
    expect(listed.filter((k) => !read.has(k)), "in HV_KEYS but read nowhere").toEqual([]);
  });
});
