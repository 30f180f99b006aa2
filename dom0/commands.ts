// The shell's commands: one table (name, usage, summary, help, handler),
// named like xl's where xl has one. A line is split into words
// (dom0/words.ts); the first picks the command, the rest are its arguments.
// Every error is one line naming the command and the problem, and changes
// nothing.
import { putsln, puts, putPad } from "./uart";
import { splitWords } from "./words";
import { fail, usageError } from "./cmdutil";
import {
  cmdList, cmdCreate, cmdDestroy, cmdPause, cmdUnpause, cmdInfo, cmdRights, DOMAIN_USAGE, LIST_USAGE, CREATE_USAGE, RIGHTS_USAGE,
} from "./cmd-domains";
import { cmdConsole, cmdLog, cmdDmesg } from "./cmd-console";
import { cmdMem, cmdCpus, cmdModules, cmdLspci, cmdReboot, cmdPoweroff } from "./cmd-host";
import { cmdSched, cmdVcpuList, cmdVcpuPin, SCHED_USAGE, VCPU_LIST_USAGE, VCPU_PIN_USAGE } from "./cmd-sched";
import { XL_KEYS } from "./xlcfg";
import {
  cmdMemRead, cmdMemWrite, cmdVcpuGet, cmdVcpuSet, MEM_READ_USAGE, MEM_WRITE_USAGE, VCPU_GET_USAGE, VCPU_SET_USAGE,
} from "./cmd-inspect";
import {
  cmdSnapshotCreate, cmdSnapshotList, cmdSnapshotRevert, cmdSnapshotDelete, cmdForkVm, cmdDedup, SNAPSHOT_CREATE_USAGE,
  SNAPSHOT_LIST_USAGE, SNAPSHOT_REVERT_USAGE, SNAPSHOT_DELETE_USAGE, FORK_VM_USAGE, DEDUP_USAGE,
} from "./cmd-snapshot";
import {
  cmdSave, cmdRestore, cmdImages, cmdImageRm, cmdMkstore, mkstoreAsked, mkstoreAnswer, SAVE_USAGE, RESTORE_USAGE, IMAGE_RM_USAGE,
} from "./cmd-save";

class Command {
  constructor(
    public name: string,
    public usage: string,     // the arguments
    public summary: string,   // one line for `help`
    public help: string,      // more for `help <command>` ("" if none)
    public id: i32,           // CMD_* (a switch: no function tables in Domain 0's wasm)
  ) {}
}

const CMD_LIST: i32 = 0;
const CMD_CREATE: i32 = 1;
const CMD_DESTROY: i32 = 2;
const CMD_PAUSE: i32 = 3;
const CMD_UNPAUSE: i32 = 4;
const CMD_CONSOLE: i32 = 5;
const CMD_LOG: i32 = 6;
const CMD_INFO: i32 = 7;
const CMD_DMESG: i32 = 8;
const CMD_MODULES: i32 = 9;
const CMD_MEM: i32 = 10;
const CMD_CPUS: i32 = 11;
const CMD_LSPCI: i32 = 12;
const CMD_HELP: i32 = 13;
const CMD_REBOOT: i32 = 14;
const CMD_POWEROFF: i32 = 15;
const CMD_SCHED: i32 = 16;
const CMD_VCPU_LIST: i32 = 17;
const CMD_VCPU_PIN: i32 = 18;
const CMD_MEM_READ: i32 = 19;
const CMD_MEM_WRITE: i32 = 20;
const CMD_VCPU_GET: i32 = 21;
const CMD_VCPU_SET: i32 = 22;
const CMD_SNAPSHOT_CREATE: i32 = 23;
const CMD_SNAPSHOT_LIST: i32 = 24;
const CMD_SNAPSHOT_REVERT: i32 = 25;
const CMD_SNAPSHOT_DELETE: i32 = 26;
const CMD_FORK_VM: i32 = 27;
const CMD_DEDUP: i32 = 28;
const CMD_RIGHTS: i32 = 29;
const CMD_SAVE: i32 = 30;
const CMD_RESTORE: i32 = 31;
const CMD_IMAGES: i32 = 32;
const CMD_IMAGE_RM: i32 = 33;
const CMD_MKSTORE: i32 = 34;

const DOMAIN_ARG = "A domain is named by its id or its name.";
const HELP_USAGE = "[command]";

const commands: Command[] = [
  new Command("list", LIST_USAGE, "list the domains (-a: stopped ones too)",
    "Shows each domain's id, name, memory, vCPUs and state (runnable, blocked,\n" +
    "paused, created, stopped). -a includes stopped domains (info shows why).", CMD_LIST),
  new Command("create", CREATE_USAGE, "build and start a domain",
    "From a config module (an xl.cfg-style file: its file name ends in .cfg or\n" +
    "its command line says `config`), a domain module (`domain ...` with\n" +
    "start=dom0, built from its own line), an image module (memory= needed), or\n" +
    "from key=value words alone (kernel= and memory= needed). Words override the\n" +
    "file. Keys: " + XL_KEYS + ".\n" +
    "memory is in MiB; kernel names a boot module (modules lists them).\n" +
    "Example: create name=c1 memory=2 kernel=counter.elf cmdline=\"limit=5\"", CMD_CREATE),
  new Command("destroy", DOMAIN_USAGE, "stop a domain and free its memory", DOMAIN_ARG, CMD_DESTROY),
  new Command("pause", DOMAIN_USAGE, "stop scheduling a domain", DOMAIN_ARG, CMD_PAUSE),
  new Command("unpause", DOMAIN_USAGE, "schedule a paused domain again", DOMAIN_ARG, CMD_UNPAUSE),
  new Command("console", DOMAIN_USAGE, "attach to a domain's console (Ctrl-] returns)",
    "Prints what the domain writes to its UART and sends it what you type.\n" +
    "Output not yet seen is shown first. Ctrl-] returns to the shell.\n" + DOMAIN_ARG, CMD_CONSOLE),
  new Command("log", DOMAIN_USAGE, "print a domain's console ring",
    "Everything the domain wrote to its UART that its console ring still holds\n" +
    "(the last 16 KiB), stopped domains included. " + DOMAIN_ARG, CMD_LOG),
  new Command("info", DOMAIN_USAGE, "a domain's state, memory, run time and VM exits", DOMAIN_ARG, CMD_INFO),
  new Command("dmesg", "", "print the hypervisor log",
    "The whole hypervisor log ring (its last 64 KiB). New log lines also appear\n" +
    "above the prompt as they are written.", CMD_DMESG),
  new Command("modules", "", "list the boot modules Domain 0 can use", "", CMD_MODULES),
  new Command("mem", "", "host memory: total, free, per domain", "", CMD_MEM),
  new Command("cpus", "", "the CPUs: state, busy/idle share, run queue, current domain", "", CMD_CPUS),
  new Command("sched", SCHED_USAGE, "the credit scheduler: show or set weight and cap",
    "Like xl sched-credit. Without arguments, every live domain's weight, cap,\n" +
    "credit left this period (TSC ticks; negative: over its share) and run time.\n" +
    "-d <domain> shows one; with -w and/or -c it sets them (what is not given\n" +
    "stays). weight: 1 to 65535, a share relative to the others (default 256).\n" +
    "cap: % of one CPU it may use at most, 100 per vCPU; 0 = none.\n" +
    "Example: sched -d counter -w 512 -c 50", CMD_SCHED),
  new Command("vcpu-list", VCPU_LIST_USAGE, "the vCPUs: CPU, state, run time, affinity",
    "Like xl vcpu-list: each vCPU of the live domains (or of one), the CPU it runs\n" +
    "or waits on (else the one it last ran on; - never ran), its state (running,\n" +
    "runnable, blocked, down), run time in TSC ticks and the CPUs it may run on.", CMD_VCPU_LIST),
  new Command("vcpu-pin", VCPU_PIN_USAGE, "set the CPUs a vCPU may run on",
    "Like xl vcpu-pin. cpus: all, N, N-M or a list (0,2-3) of the host's CPUs\n" +
    "(cpus lists them). vcpu: an index (vcpu-list shows them) or all.\n" +
    "Example: vcpu-pin counter 0 1", CMD_VCPU_PIN),
  new Command("mem-read", MEM_READ_USAGE, "hex dump of a domain's guest-physical memory",
    "Up to 64 KiB from gpa (decimal, or hex with 0x), 16 bytes a line with their\n" +
    "text. The domain may be running. Example: mem-read counter 0x100000 64", CMD_MEM_READ),
  new Command("mem-write", MEM_WRITE_USAGE, "write bytes into a domain's guest-physical memory",
    "The bytes as hex digit pairs, in one word or several (up to 4096).\n" +
    "Example: mem-write counter 0x200000 de ad be ef", CMD_MEM_WRITE),
  new Command("vcpu-get", VCPU_GET_USAGE, "a paused domain's vCPU registers",
    "The general registers, rip, rflags, cr0, cr2, cr3, cr4, efer and cs of\n" +
    "vCPU n (0 is the first). The domain must be paused (pause <domain>).", CMD_VCPU_GET),
  new Command("vcpu-set", VCPU_SET_USAGE, "set a register of a paused domain's vCPU",
    "A general register (rax-r15), rip (canonical) or rflags (no reserved bit,\n" +
    "bit 1 set). Example: vcpu-set counter 0 rax=0x2a", CMD_VCPU_SET),
  new Command("snapshot-create", SNAPSHOT_CREATE_USAGE, "take a snapshot of a domain, in memory",
    "Its vCPUs, devices and memory as they are now (a running domain is paused\n" +
    "for the moment it takes). Memory is shared copy-on-write: the snapshot keeps\n" +
    "only the pages written since its parent. name: letters, digits, . _ -\n" +
    "(default snapN). Example: snapshot-create counter before-upgrade", CMD_SNAPSHOT_CREATE),
  new Command("snapshot-list", SNAPSHOT_LIST_USAGE, "a domain's snapshots (--tree: as a tree)",
    "Each snapshot's id, name, parent, the memory it holds and when it was taken;\n" +
    "* (or <- current in the tree) marks the one the domain runs on from.", CMD_SNAPSHOT_LIST),
  new Command("snapshot-revert", SNAPSHOT_REVERT_USAGE, "put a domain back at one of its snapshots",
    "Every vCPU, device and page as the snapshot has them; what it wrote since is\n" +
    "dropped (its console log stays). A snapshot taken next starts a new branch.\n" +
    "The snapshot by name or id. Example: snapshot-revert counter before-upgrade", CMD_SNAPSHOT_REVERT),
  new Command("snapshot-delete", SNAPSHOT_DELETE_USAGE, "delete a snapshot (--children: its subtree too)",
    "Its pages merge into its child (or into the domain) where they are still\n" +
    "needed; deleting the current one makes its parent current.", CMD_SNAPSHOT_DELETE),
  new Command("fork-vm", FORK_VM_USAGE, "new domains from a domain as it is now, or from its snapshot",
    "Each fork has its own id, name, vCPUs, devices and console, copies of the\n" +
    "source's, and shares all its memory copy-on-write (a running source is\n" +
    "paused for the moment it takes). --count K makes K forks (name-1 ... name-K).\n" +
    "Example: fork-vm counter@s1 --name web --count 3", CMD_FORK_VM),
  new Command("dedup", DEDUP_USAGE, "merge the identical pages of a group of domains",
    "One scan (the domains paused for it) over the pages the named domains own:\n" +
    "each set of identical pages becomes one read-only frame, copied again on the\n" +
    "first write. Only within the group: pages already shared with a domain\n" +
    "outside it take no more (which pages domains share is a side channel).\n" +
    "mem shows the frames before and after. Example: dedup web-1 web-2", CMD_DEDUP),
  new Command("rights", RIGHTS_USAGE, "set what a domain may do beyond running itself",
    "Rights: domains (build, start, stop and list domains, their consoles,\n" +
    "snapshots, forks, dedup), memory (read and write another's memory and\n" +
    "registers), sched (weights, caps, pins), host (host memory, CPUs, the\n" +
    "hypervisor log), power, console (the physical console); all or none.\n" +
    "Only rights this domain holds, over a domain that holds no more than it;\n" +
    "info shows them. Example: rights monitor host,sched", CMD_RIGHTS),
  new Command("save", SAVE_USAGE, "save a domain to the image store (and stop it, unless -c)",
    "Like xl save: the domain is paused, its memory, vCPUs, devices and config\n" +
    "go to the store on the disk as <image> (replacing one of that name only\n" +
    "once the new one is whole), then it is destroyed; with -c it runs on.\n" +
    "Ctrl-C cancels (nothing is saved). Example: save counter c1 -c", CMD_SAVE),
  new Command("restore", RESTORE_USAGE, "a new domain from a saved image",
    "Like xl restore: the domain gets a new id, its saved name (or name=...;\n" +
    "no live domain may have it) and runs on from where it was saved, its\n" +
    "clocks in its own time; -p leaves it paused. Every record of the image\n" +
    "is checked first: a damaged one is refused and nothing is created.", CMD_RESTORE),
  new Command("images", "", "the saved images: size, domain, memory, when", "", CMD_IMAGES),
  new Command("image-rm", IMAGE_RM_USAGE, "remove a saved image", "", CMD_IMAGE_RM),
  new Command("mkstore", "", "format the store disk as an empty image store (asks first)",
    "The first ATA disk. It says what the disk holds now and formats it only if\n" +
    "the next line answers y.", CMD_MKSTORE),
  new Command("lspci", "", "list the PCI functions (bus:device.function class: vendor:device)",
    "Walks PCI configuration space from bus 0 through bridges, like lspci -n.", CMD_LSPCI),
  new Command("help", HELP_USAGE, "list the commands, or explain one", "", CMD_HELP),
  new Command("reboot", "", "reset the machine", "", CMD_REBOOT),
  new Command("poweroff", "", "turn the machine off", "", CMD_POWEROFF),
];

function find(name: string): Command | null {
  const t = commands;
  for (let i = 0; i < t.length; i++) {
    if (unchecked(t[i]).name == name) return unchecked(t[i]);
  }
  return null;
}

// Runs one shell line.
export function runLine(line: string): void {
  const w = splitWords(line);
  if (w.error.length != 0) {
    putsln("error: " + w.error);
    return;
  }
  if (mkstoreAsked()) {
    mkstoreAnswer(line);
    return;
  }
  if (w.list.length == 0) return;
  const name = w.list[0];
  const c = find(name);
  if (c === null) {
    putsln("unknown command \"" + name + "\" (help lists the commands)");
    return;
  }
  run(c.id, w.list.slice(1));
}

function run(id: i32, args: string[]): void {
  switch (id) {
    case CMD_LIST: cmdList(args); break;
    case CMD_CREATE: cmdCreate(args); break;
    case CMD_DESTROY: cmdDestroy(args); break;
    case CMD_PAUSE: cmdPause(args); break;
    case CMD_UNPAUSE: cmdUnpause(args); break;
    case CMD_CONSOLE: cmdConsole(args); break;
    case CMD_LOG: cmdLog(args); break;
    case CMD_INFO: cmdInfo(args); break;
    case CMD_DMESG: cmdDmesg(args); break;
    case CMD_MODULES: cmdModules(args); break;
    case CMD_MEM: cmdMem(args); break;
    case CMD_CPUS: cmdCpus(args); break;
    case CMD_LSPCI: cmdLspci(args); break;
    case CMD_HELP: cmdHelp(args); break;
    case CMD_REBOOT: cmdReboot(args); break;
    case CMD_POWEROFF: cmdPoweroff(args); break;
    case CMD_SCHED: cmdSched(args); break;
    case CMD_VCPU_LIST: cmdVcpuList(args); break;
    case CMD_VCPU_PIN: cmdVcpuPin(args); break;
    case CMD_MEM_READ: cmdMemRead(args); break;
    case CMD_MEM_WRITE: cmdMemWrite(args); break;
    case CMD_VCPU_GET: cmdVcpuGet(args); break;
    case CMD_VCPU_SET: cmdVcpuSet(args); break;
    case CMD_SNAPSHOT_CREATE: cmdSnapshotCreate(args); break;
    case CMD_SNAPSHOT_LIST: cmdSnapshotList(args); break;
    case CMD_SNAPSHOT_REVERT: cmdSnapshotRevert(args); break;
    case CMD_SNAPSHOT_DELETE: cmdSnapshotDelete(args); break;
    case CMD_FORK_VM: cmdForkVm(args); break;
    case CMD_DEDUP: cmdDedup(args); break;
    case CMD_RIGHTS: cmdRights(args); break;
    case CMD_SAVE: cmdSave(args); break;
    case CMD_RESTORE: cmdRestore(args); break;
    case CMD_IMAGES: cmdImages(args); break;
    case CMD_IMAGE_RM: cmdImageRm(args); break;
    case CMD_MKSTORE: cmdMkstore(args); break;
  }
}

// Prints `text` line by line, indented.
function indented(text: string): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    putsln("  " + text.substring(start, end));
    start = end + 1;
  }
}

function cmdHelp(args: string[]): void {
  if (args.length > 1) {
    usageError("help", HELP_USAGE);
    return;
  }
  if (args.length == 1) {
    const c = find(args[0]);
    if (c === null) {
      fail("help", "no command \"" + args[0] + "\" (help lists the commands)");
      return;
    }
    putsln("usage: " + c.name + (c.usage.length != 0 ? " " + c.usage : ""));
    indented(c.summary);
    if (c.help.length != 0) indented(c.help);
    return;
  }
  putsln("commands (help <command> for more):");
  const t = commands;
  for (let i = 0; i < t.length; i++) {
    const c = unchecked(t[i]);
    puts("  ");
    putPad(c.name, 10);
    putsln(c.summary);
  }
  putsln("line editing: arrows, backspace, Ctrl-U, Ctrl-C; history with up/down");
}
