// Shell commands of the image store, named as xl names them: save (stop the
// domain once it is saved, or -c to keep it running), restore (-p leaves it
// paused), images, image-rm, and mkstore, which formats the store disk
// after asking. The store is on the first ATA disk (dom0/ata.ts); it is
// mounted on first use.
import { vmcall } from "./hw";
import { puts, putsln, putPad } from "./uart";
import { fail, usageError } from "./cmdutil";
import { domainResolve, resolveError, domId, domName, domLabel, domFlags, domMemKiB, domState } from "./domains";
import { pauseAll, unpauseAll } from "./pause";
import { StreamSink, StreamSource, saveTo, restoreFrom, streamBound } from "./save";
import { progressEnd, secondsText } from "./progress";
import { AtaDisk, ataProbe } from "./ata";
import {
  storeProbe, storeMount, storeMounted, storeFormat, storeImages, storeFind, storeFreeKiB, storeNameOk, storeWriteBegin,
  storeWrite, storeWriteCommit, storeWriteAbort, storeReadBegin, storeRead, storeReadEnd, storeRemove, storeError,
  STORE_OURS, STORE_BLANK, STORE_OTHER,
} from "./store";
import { errnoText, kibText } from "./text";
import { dec } from "../src/lib/str";
import { CivilDate, civilFromDays, floorDiv, floorMod } from "../src/lib/calendar";
import { HC_DOMAIN_DESTROY, HC_DOMAIN_UNPAUSE, DOMFLAG_CONTROL, DOMSTATE_CREATED } from "../src/arch/abi";

export const SAVE_USAGE = "<domain> <image> [-c]";
export const RESTORE_USAGE = "<image> [name=<name>] [-p]";
export const IMAGE_RM_USAGE = "<image>";

// What storeNameOk takes, and where the store disk comes from.
const NAME_RULE = ": 1 to 31 printable characters, no space or /";
const NO_DISK = "no disk for the image store (make run attaches build/store.img)";

class StoreSink extends StreamSink {
  write(p: usize, n: u32): string { return storeWrite(p, n); }
}
class StoreSource extends StreamSource {
  read(p: usize, n: u32): i64 { return storeRead(p, n); }
  error(): string { return storeError(); }
}

// The disk the store is on: the first ATA disk, found once.
let disks: AtaDisk[] | null = null;
function storeDisk(): AtaDisk | null {
  if (disks === null) disks = ataProbe();
  return disks!.length != 0 ? disks![0] : null;
}

function diskText(d: AtaDisk): string {
  return "disk " + d.where + " \"" + d.model() + "\" (" + kibText(d.sectors() >> 1) + ")";
}

// The store, mounted; false after the error.
function mounted(cmd: string): bool {
  if (storeMounted()) return true;
  const d = storeDisk();
  if (d === null) {
    fail(cmd, NO_DISK);
    return false;
  }
  const why = storeMount(d);
  if (why.length != 0) {
    fail(cmd, diskText(d) + ": " + why);
    return false;
  }
  return true;
}

export function cmdSave(args: string[]): void {
  let keep = false;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] == "-c") keep = true;
    else words.push(args[i]);
  }
  if (words.length != 2) {
    usageError("save", SAVE_USAGE);
    return;
  }
  const slot = domainResolve(words[0], false);
  if (slot < 0) {
    fail("save", resolveError);
    return;
  }
  const image = words[1];
  if (!storeNameOk(image)) {
    fail("save", "image name " + image + NAME_RULE);
    return;
  }
  if ((domFlags(slot) & DOMFLAG_CONTROL) != 0 || domState(slot) == DOMSTATE_CREATED) {
    fail("save", "domain " + domLabel(slot) + (domState(slot) == DOMSTATE_CREATED ? " has not started" : " is a control domain"));
    return;
  }
  if (!mounted("save")) return;
  const id = domId(slot), name = domName(slot), memKiB = domMemKiB(slot);
  const why = storeWriteBegin(image, streamBound(memKiB));
  if (why.length != 0) {
    fail("save", why);
    return;
  }
  const paused: u64[] = [];
  const p = pauseAll([slot], paused);
  if (p < 0) {
    storeWriteAbort();
    fail("save", "domain " + domLabel(slot) + ": pausing it: " + errnoText(p));
    return;
  }
  const o = saveTo(new StoreSink(), id, memKiB);
  if (o.error.length == 0) o.error = storeWriteCommit(name, memKiB, o.savedAt);
  else storeWriteAbort();
  const t = progressEnd();
  if (o.error.length != 0) {
    unpauseAll(paused);
    fail("save", "domain " + domLabel(slot) + ": " + o.error + " (nothing saved; the domain runs on)");
    return;
  }
  putsln("saved domain " + domLabel(slot) + " as " + image + ": " + kibText(memKiB) + " of memory, " + kibText((o.bytes + 1023) >> 10) +
    " written (" + dec(o.dataPages) + " of " + dec(o.frames) + " pages with data) in " + secondsText(t) + " s, " + dec(t) + " TSC ticks");
  if (keep) {
    unpauseAll(paused);
    return;
  }
  const rc = vmcall(HC_DOMAIN_DESTROY, id, 0, 0, 0);
  putsln(rc == 0 ? "domain " + domLabel(slot) + " stopped (save -c keeps it running)" :
    "domain " + domLabel(slot) + ": destroying it: " + errnoText(rc));
}

export function cmdRestore(args: string[]): void {
  let pausedAfter = false;
  let name = "";
  let image = "";
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a == "-p") pausedAfter = true;
    else if (a.startsWith("name=")) name = a.substring(5);
    else if (image.length == 0) image = a;
    else {
      usageError("restore", RESTORE_USAGE);
      return;
    }
  }
  if (image.length == 0) {
    usageError("restore", RESTORE_USAGE);
    return;
  }
  if (name.length != 0 && !storeNameOk(name)) {
    fail("restore", "name " + name + NAME_RULE);
    return;
  }
  if (!mounted("restore")) return;
  const m = storeFind(image);
  if (m === null) {
    fail("restore", "no image named " + image + " (images lists them)");
    return;
  }
  const why = storeReadBegin(image);
  if (why.length != 0) {
    fail("restore", why);
    return;
  }
  const o = restoreFrom(new StoreSource(), m.bytes, name);
  storeReadEnd();
  const t = progressEnd();
  if (o.error.length != 0) {
    fail("restore", "image " + image + ": " + o.error + " (nothing created)");
    return;
  }
  if (!pausedAfter) vmcall(HC_DOMAIN_UNPAUSE, o.id, 0, 0, 0);
  putsln("restored " + image + " as domain " + dec(o.id) + " (" + o.name + "), " + (pausedAfter ? "paused" : "running") +
    ": " + kibText((o.bytes + 1023) >> 10) + " read in " + secondsText(t) + " s, " + dec(t) + " TSC ticks");
}

function two(v: u64): string { return (v < 10 ? "0" : "") + dec(v); }

// 2026-12-08 14:03:59 (UTC) from seconds since 1970.
function dateText(secs: u64): string {
  const days = floorDiv(<i64>secs, 86400);
  const s = <u64>floorMod(<i64>secs, 86400);
  const c = new CivilDate();
  civilFromDays(days, c);
  return dec(<u64>c.year) + "-" + two(c.month) + "-" + two(c.day) + " " + two(s / 3600) + ":" + two(s / 60 % 60) + ":" + two(s % 60);
}

export function cmdImages(args: string[]): void {
  if (args.length != 0) {
    usageError("images", "");
    return;
  }
  if (!mounted("images")) return;
  const list = storeImages();
  putsln("Name                             Size      Domain           Memory  Saved at (UTC)");
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    putPad(m.name, 32);
    puts(" ");
    putPad(kibText((m.bytes + 1023) >> 10), 9);
    puts(" ");
    putPad(m.domName, 16);
    puts(" ");
    putPad(kibText(m.memKiB), 7);
    puts(" ");
    putsln(dateText(m.savedAt));
  }
  putsln(dec(list.length) + (list.length == 1 ? " image, " : " images, ") + kibText(storeFreeKiB()) + " free");
}

export function cmdImageRm(args: string[]): void {
  if (args.length != 1) {
    usageError("image-rm", IMAGE_RM_USAGE);
    return;
  }
  if (!mounted("image-rm")) return;
  const why = storeRemove(args[0]);
  if (why.length != 0) {
    fail("image-rm", why);
    return;
  }
  putsln("image " + args[0] + " removed");
}

// mkstore asks first; the next line answers (commands.ts hands it here).
let asked = false;
export function mkstoreAsked(): bool { return asked; }
export function cmdMkstore(args: string[]): void {
  if (args.length != 0) {
    usageError("mkstore", "");
    return;
  }
  const d = storeDisk();
  if (d === null) {
    fail("mkstore", NO_DISK);
    return;
  }
  const what = storeProbe(d);
  const held = what == STORE_OURS ? "an image store with " + (storeMount(d).length == 0 ? dec(storeImages().length) + " images" : "damage") :
    what == STORE_BLANK ? "nothing (it is blank)" : what == STORE_OTHER ? "something else (not an image store)" : "unreadable sectors: " + storeError();
  putsln(diskText(d) + " holds " + held + ".");
  putsln("Format it as an empty image store? Everything on it is lost. Answer y or n:");
  asked = true;
}

// The answer to mkstore's question.
export function mkstoreAnswer(line: string): void {
  if (!asked) return;
  asked = false;
  const yes = line.trim() == "y" || line.trim() == "yes";
  if (!yes) {
    putsln("mkstore: not formatted");
    return;
  }
  const d = storeDisk();
  const why = d !== null ? storeFormat(d) : "no disk";
  if (why.length != 0) {
    fail("mkstore", why);
    return;
  }
  putsln("image store made on " + diskText(d!) + ": " + kibText(storeFreeKiB()) + " free");
}
