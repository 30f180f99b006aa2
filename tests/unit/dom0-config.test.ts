// Domain 0's parsers on its compiled wasm: the shell's word splitter
// (dom0/words.ts), the xl.cfg-style config parser (dom0/xlcfg.ts), how
// `create` resolves its arguments to a config line and an image module
// (dom0/create.ts, dom0/modules.ts), and how a domain is named by id or name
// (dom0/domains.ts). The hypervisor's own config parser behind them has its
// tests in domain-config.test.ts.
import { describe, expect, it } from "vitest";
import { Dom0, STATE } from "../sim/dom0";

const d = new Dom0();
const words = (s: string) => d.json("wordsJson", d.str(s));
const xlFile = (s: string) => d.json("xlFileJson", d.str(s));
const xlWords = (s: string) => d.json("xlWordsJson", d.str(s));

describe("shell words", () => {
  it("splits on blanks and keeps double-quoted blanks", () => {
    expect(words("  create  counter.cfg\tname=c1 ")).toEqual({ words: ["create", "counter.cfg", "name=c1"], error: "" });
    expect(words('create cmdline="delay=5 limit=2" "a b"c')).toEqual({ words: ["create", "cmdline=delay=5 limit=2", "a bc"], error: "" });
    expect(words('x "" y').words).toEqual(["x", "", "y"]);
    expect(words('say "a \\"quoted\\" \\\\ word"').words).toEqual(["say", 'a "quoted" \\ word']);
    expect(words("").words).toEqual([]);
    expect(words("   ").words).toEqual([]);
  });

  it("refuses an unterminated quote and control characters", () => {
    expect(words('create cmdline="abc').error).toBe("unterminated quote");
    expect(words("list\x01").error).toBe("control character in the line");
  });
});

describe("xl.cfg files", () => {
  it("parses every key, comments, blank lines, CR LF, and lets a later line win", () => {
    const c = xlFile([
      "# a guest",
      'name = "web"   # trailing comment',
      "memory=64",
      "",
      "  vcpus = 1\r",
      'kernel = "/boot/guests/counter.elf"',
      'cmdline = "delay=5 # not a comment"',
      "weight = 512",
      "cap = 50",
      'kind = "auto"',
      "memory = 32",
    ].join("\n"));
    expect(c).toEqual({
      name: "web", memory: 32, vcpus: 1, kernel: "/boot/guests/counter.elf", cmdline: "delay=5 # not a comment",
      weight: 512, cap: 50, kind: "auto",
      line: "domain delay=5 # not a comment name=web mem=32M vcpus=1 weight=512 cap=50 kind=auto", error: "",
    });
  });

  it("escapes in strings", () => {
    expect(xlFile('cmdline = "say \\"hi\\" \\\\"\nmemory = 1').cmdline).toBe('say "hi" \\');
  });

  const bad: Array<[string, string]> = [
    ['name = "a"\nfoo = 1', 'line 2: foo: unknown key "foo" (keys: name, memory, vcpus, kernel, ramdisk, cmdline, root, extra, weight, cap, kind, acpi, on_poweroff, on_reboot, on_crash, rights, ioports)'],
    ["memory 64", "line 1: expected key = value"],
    ["= 64", "line 1: expected key = value"],
    ["\n\nmemory =", "line 3: missing value after memory ="],
    ["name = web", 'line 1: name: a string needs double quotes: name = "..."'],
    ['memory = "64"', "line 1: memory: a number takes no quotes: memory = 64"],
    ["memory = 64M", "line 1: memory: not a number (1 to 2048 MiB)"],
    ["memory = 0", "line 1: memory: out of range (1 to 2048 MiB)"],
    ["memory = 4096", "line 1: memory: out of range (1 to 2048 MiB)"],
    ["vcpus = 65", "line 1: vcpus: out of range (1 to 64 vCPUs)"],
    ["weight = 0", "line 1: weight: out of range (1 to 65535 weight)"],
    ["cap = 101", "line 1: cap: out of range (0 to 100 cap %)"],
    ['name = "a b"', 'line 1: name: bad name "a b" (1-31 characters of A-Z a-z 0-9 _ . -)'],
    ['name = "' + "n".repeat(32) + '"', `line 1: name: bad name "${"n".repeat(32)}" (1-31 characters of A-Z a-z 0-9 _ . -)`],
    ['kind = "elf"', 'line 1: kind: unknown kind "elf" (auto, flat64 or realmode)'],
    ['kernel = ""', "line 1: kernel: empty kernel (a boot module's file name)"],
    ['cmdline = "abc', "line 1: unterminated string"],
    ['name = "a" "b"', 'line 1: unexpected text after the value: ""b""'],
    ["memory = 4 5", 'line 1: unexpected text after the value: "5"'],
    ["memory = 4\n\x00\x01\x02", "line 2: not text (control characters)"],
  ];
  for (const [text, error] of bad) {
    it(`refuses ${JSON.stringify(text).slice(0, 40)}`, () => expect(xlFile(text).error).toBe(error));
  }
});

describe("key=value words", () => {
  it("takes values as they are (the shell removed the quotes)", () => {
    expect(xlWords("name=c1 memory=4 kernel=counter.elf cmdline=limit=3")).toMatchObject({
      name: "c1", memory: 4, kernel: "counter.elf", cmdline: "limit=3",
      line: "domain limit=3 name=c1 mem=4M", error: "",
    });
  });

  it("makes xl's root= and extra= the command line unless cmdline= is given, a file's and the words' together", () => {
    expect(xlWords("memory=64 kernel=vmlinuz root=/dev/vda1 extra=quiet").line).toBe("domain root=/dev/vda1 quiet mem=64M");
    expect(xlWords("memory=64 kernel=vmlinuz root=/dev/vda1").line).toBe("domain root=/dev/vda1 mem=64M");
    expect(xlWords("memory=64 kernel=vmlinuz extra=console=ttyS0").line).toBe("domain console=ttyS0 mem=64M");
    expect(xlWords("memory=64 kernel=vmlinuz root=/dev/vda1 extra=quiet cmdline=init=/bin/sh").line).toBe("domain init=/bin/sh mem=64M");
    expect(xlFile('memory = 64\nkernel = "vmlinuz"\nroot = "/dev/sda"\nextra = "console=ttyS0 quiet"').line)
      .toBe("domain root=/dev/sda console=ttyS0 quiet mem=64M");
    expect(xlFile('memory = 64\nkernel = "vmlinuz"\nroot = /dev/sda').error).toBe('line 3: root: a string needs double quotes: root = "..."');
  });

  it("names the word in its errors", () => {
    expect(xlWords("memory=abc").error).toBe("memory=abc: not a number (1 to 2048 MiB)");
    expect(xlWords("nmae=x").error).toBe('nmae=x: unknown key "nmae" (keys: name, memory, vcpus, kernel, ramdisk, cmdline, root, extra, weight, cap, kind, acpi, on_poweroff, on_reboot, on_crash, rights, ioports)');
    expect(xlWords("=5").error).toBe('"=5": expected key=value');
    expect(xlWords("name=").error).toBe('name=: bad name "" (1-31 characters of A-Z a-z 0-9 _ . -)');
  });
});

// Boot modules as GRUB hands them: the first word repeats the path.
function world() {
  const elf = new Uint8Array(64);
  const w = new Dom0({
    domains: [
      { name: "dom0", memKiB: 16384, control: true },
      { name: "web", memKiB: 4096 },
      { name: "old", memKiB: 2048, state: STATE.STOPPED },
      { name: "old", memKiB: 2048, state: STATE.STOPPED },
    ],
    modules: [
      { cmdline: "/boot/guests/counter.elf /boot/guests/counter.elf", bytes: elf },
      { cmdline: "/boot/guests/counter.cfg", bytes: Buffer.from('name = "counter"\nmemory = 2\nkernel = "counter.elf"\n') },
      { cmdline: "/boot/x/bad.cfg config", bytes: Buffer.from('name = "x"\nmemory = lots\n') },
      { cmdline: "domain name=cpuid mem=2M start=dom0", bytes: elf },
      { cmdline: "/other/hello.elf", bytes: elf },
      { cmdline: "/boot/nokernel.cfg", bytes: Buffer.from("memory = 2\n") },
      { cmdline: "/boot/self.cfg", bytes: Buffer.from('memory = 2\nkernel = "self.cfg"\n') },
      { cmdline: "/boot/hello.elf", bytes: elf },
    ],
  });
  w.exports.domainsFindSelf(w.str("dom0"));
  return w;
}

describe("create's arguments", () => {
  const w = world();
  const plan = (line: string) => w.json("createPlanJson", w.str(line));

  it("a config module, with words overriding its keys", () => {
    expect(plan("counter.cfg")).toEqual({ line: "domain name=counter mem=2M", slot: 0, error: "" });
    expect(plan("/boot/guests/counter.cfg memory=8 name=c2 cmdline=limit=1"))
      .toEqual({ line: "domain limit=1 name=c2 mem=8M", slot: 0, error: "" });
  });

  it("a domain module by its name=, built from its own line with words appended", () => {
    expect(plan("cpuid")).toEqual({ line: "domain name=cpuid mem=2M start=dom0", slot: 3, error: "" });
    expect(plan("3 name=cpuid2 memory=4"))
      .toEqual({ line: "domain name=cpuid mem=2M start=dom0 name=cpuid2 mem=4M", slot: 3, error: "" });
  });

  it("an image module with key=value words, and key=value words alone", () => {
    expect(plan("/boot/guests/counter.elf name=c3 memory=2")).toEqual({ line: "domain name=c3 mem=2M", slot: 0, error: "" });
    expect(plan("name=c4 memory=2 kernel=/boot/guests/counter.elf cmdline=\"delay=9 limit=2\""))
      .toEqual({ line: "domain delay=9 limit=2 name=c4 mem=2M", slot: 0, error: "" });
  });

  const bad: Array<[string, string]> = [
    ["", "nothing to create (help create)"],
    ["nosuch.cfg", 'no boot module "nosuch.cfg" (modules lists them)'],
    ["hello.elf name=c5 memory=2", '"hello.elf" names modules 4 and 7: give its path or index'],
    ["/boot/guests/counter.elf name=c5", "memory not given (e.g. memory=16, in MiB)"],
    ["name=c5 memory=2", "kernel not given (kernel=<boot module>, modules lists them)"],
    ["name=c5 memory=2 kernel=nope", 'kernel: no boot module "nope" (modules lists them)'],
    ["bad.cfg", "bad.cfg: line 2: memory: not a number (1 to 2048 MiB)"],
    ["nokernel.cfg", "kernel not given (kernel=<boot module>, modules lists them)"],
    ["self.cfg", "kernel: self.cfg is a config, not an image"],
    ["counter.cfg memory=x", "memory=x: not a number (1 to 2048 MiB)"],
    ["counter.cfg name=web", 'domain 2 (web) already has the name "web" (name=... gives another)'],
    ["cpuid kernel=counter.elf", "kernel= does not apply: cpuid is its own image"],
    ["/boot/guests/counter.elf memory=2 kernel=x", "kernel= does not apply: counter.elf is the image"],
  ];
  for (const [line, error] of bad) {
    it(`refuses "create ${line}"`, () => expect(plan(line)).toMatchObject({ error }));
  }

  it("a name only stopped domains had is free again", () => {
    expect(plan("counter.cfg name=old").error).toBe("");
  });
});

describe("domains by id or name", () => {
  const w = world();
  const resolve = (word: string, stoppedOk = false) => {
    const id = Number(w.exports.resolveDomain(w.str(word), stoppedOk ? 1 : 0));
    return id >= 0 ? id : w.call("resolveErrorText");
  };

  it("finds live domains by id and by name", () => {
    expect(resolve("1")).toBe(1);
    expect(resolve("web")).toBe(2);
    expect(resolve("2")).toBe(2);
  });

  it("says when the domain is stopped, unless stopped ones are wanted", () => {
    expect(resolve("3")).toBe("domain 3 (old) is stopped");
    expect(resolve("old")).toBe("domain 4 (old) is stopped");
    expect(resolve("old", true)).toBe(4);
  });

  it("says when there is no such domain", () => {
    expect(resolve("42")).toBe("no domain with id 42");
    expect(resolve("nobody")).toBe('no domain named "nobody" (list shows them)');
    expect(resolve("-1")).toBe('no domain named "-1" (list shows them)');
  });
});
