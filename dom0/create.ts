// What `create` builds: the arguments resolved to a config line for
// HC_DOMAIN_CREATE and the boot module with the image.
//
//   create <config module> [key=value ...]   the file's keys, words override
//   create <domain module> [key=value ...]   the module's own line (as at
//                                            boot), words override
//   create <image module> key=value ...      memory= at least
//   create key=value ...                     kernel= and memory= at least
//
// Keys are xl.cfg's (dom0/xlcfg.ts). A name already used by a live domain
// is refused here (the hypervisor does not check names).
import { XlConfig, xlParseFile, xlAssignWord, xlMerge, xlHvWords, xlToDomainLine, xlGuestCmdline } from "./xlcfg";
import {
  modulesLoad, moduleFind, moduleFindError, moduleKindOf, moduleLine, moduleLabel, moduleSize,
  moduleRead, moduleTruncated, MOD_CONFIG, MOD_DOMAIN,
} from "./modules";
import { domainsLoad, findLiveByName, domLabel } from "./domains";
import { parseDomainConfig } from "../src/domain/config";
import { stringFromBytes, dec } from "../src/lib/str";
import { errnoText } from "./text";

export const CONFIG_FILE_MAX: u32 = 16384;
const configText = memory.data(<i32>CONFIG_FILE_MAX);

export class CreatePlan {
  line: string = "";   // the HC_DOMAIN_CREATE config
  slot: i32 = -1;      // the image module's slot
  rdSlot: i32 = -1;    // the initrd module's (ramdisk=), -1 for none
  error: string = "";

  fail(message: string): CreatePlan {
    if (this.error.length == 0) this.error = message;
    return this;
  }
}

// The text of a config module, or null with p.error set.
function readConfig(p: CreatePlan, slot: i32): string | null {
  const size = moduleSize(slot);
  if (size > <u64>CONFIG_FILE_MAX) {
    p.fail(moduleLabel(slot) + ": config larger than " + dec(CONFIG_FILE_MAX) + " bytes");
    return null;
  }
  if (!moduleRead(slot, configText, size)) {
    p.fail(moduleLabel(slot) + ": HC_MODULE_READ failed");
    return null;
  }
  return stringFromBytes(configText, <u32>size);
}

// The image module a config's kernel (or ramdisk) names, or -1 with
// p.error set.
function imageSlot(p: CreatePlan, key: string, what: string): i32 {
  const slot = moduleFind(what);
  if (slot < 0) {
    p.fail(key + ": " + moduleFindError);
    return -1;
  }
  if (moduleKindOf(moduleLine(slot)) == MOD_CONFIG) {
    p.fail(key + ": " + moduleLabel(slot) + " is a config, not an image");
    return -1;
  }
  return slot;
}

function kernelSlot(p: CreatePlan, c: XlConfig): i32 {
  if (c.kernel.length == 0) {
    p.fail("kernel not given (kernel=<boot module>, modules lists them)");
    return -1;
  }
  return imageSlot(p, "kernel", c.kernel);
}

export function planCreate(args: string[]): CreatePlan {
  const p = new CreatePlan();
  if (args.length == 0) return p.fail("nothing to create (help create)");
  const rc = modulesLoad();
  if (rc < 0) return p.fail("cannot list the boot modules (" + errnoText(rc) + ")");

  const inline = args[0].indexOf("=") >= 0;
  let ramdiskOf = "";     // a config module's ramdisk
  const over = new XlConfig();
  for (let i = inline ? 0 : 1; i < args.length; i++) {
    if (!xlAssignWord(over, args[i])) return p.fail(over.error);
  }
  if (inline) {
    p.slot = kernelSlot(p, over);
    if (p.slot < 0) return p;
    p.line = xlToDomainLine(over);
    if (over.error.length != 0) return p.fail(over.error);
  } else {
    const slot = moduleFind(args[0]);
    if (slot < 0) return p.fail(moduleFindError);
    const kind = moduleKindOf(moduleLine(slot));
    if (kind == MOD_CONFIG) {
      const text = readConfig(p, slot);
      if (text === null) return p;
      const base = new XlConfig();
      if (!xlParseFile(base, text)) return p.fail(moduleLabel(slot) + ": " + base.error);
      xlMerge(base, over);
      ramdiskOf = base.ramdisk;
      p.slot = kernelSlot(p, base);
      if (p.slot < 0) return p;
      p.line = xlToDomainLine(base);
      if (base.error.length != 0) return p.fail(moduleLabel(slot) + ": " + base.error);
    } else if (kind == MOD_DOMAIN) {
      if (over.kernel.length != 0) return p.fail("kernel= does not apply: " + moduleLabel(slot) + " is its own image");
      if (moduleTruncated(slot)) return p.fail(moduleLabel(slot) + ": command line too long to use");
      p.slot = slot;
      p.line = moduleLine(slot);
      const guest = xlGuestCmdline(over);
      if (guest.length != 0) p.line += " " + guest;
      p.line += xlHvWords(over);
    } else {
      if (over.kernel.length != 0) return p.fail("kernel= does not apply: " + moduleLabel(slot) + " is the image");
      over.kernel = args[0];
      p.slot = slot;
      p.line = xlToDomainLine(over);
      if (over.error.length != 0) return p.fail(over.error);
    }
  }

  const ramdisk = over.ramdisk.length != 0 ? over.ramdisk : ramdiskOf;
  if (ramdisk.length != 0) {
    p.rdSlot = imageSlot(p, "ramdisk", ramdisk);
    if (p.rdSlot < 0) return p;
  }

  // A live domain with the same name?
  const cfg = parseDomainConfig(p.line, "");
  if (cfg.error.length != 0) return p.fail(cfg.error);
  if (cfg.name.length != 0) {
    const n = domainsLoad();
    if (n < 0) return p.fail("cannot list the domains (" + errnoText(n) + ")");
    const other = findLiveByName(cfg.name);
    if (other >= 0) return p.fail("domain " + domLabel(other) + " already has the name \"" + cfg.name + "\" (name=... gives another)");
  }
  return p;
}
