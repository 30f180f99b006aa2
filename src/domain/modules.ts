// The boot modules as the hypervisor keeps them after boot, for Domain 0's
// run-time builder (HC_MODULE_LIST / HC_MODULE_READ). A module is "taken"
// when the hypervisor handled it at boot as a domain (started or refused):
// every module with the `domain` word, except those marked `start=dom0`,
// which are left for Domain 0 to build. Taken modules are not listed and
// cannot be read through the hypercalls. Module memory stays reserved
// (src/mm/reserved.ts), so a module's bytes are valid for the whole run.
import { BootModule } from "../boot/bootinfo";
import { isDomainModule, isForDom0 } from "./config";

const mods: BootModule[] = [];
const taken: bool[] = [];

// Does the hypervisor build this module at boot?
export function isBootDomainModule(cmdline: string): bool {
  return isDomainModule(cmdline) && !isForDom0(cmdline);
}

// Records module `index` (boot order); `take`: the hypervisor handles it.
export function moduleRegister(m: BootModule, take: bool): void {
  mods.push(m);
  taken.push(take);
}

export function moduleCount(): i32 { return mods.length; }

// The module at `index` if it exists and is not taken, else null.
export function moduleAvailable(index: u64): BootModule | null {
  if (index >= <u64>mods.length) return null;
  const i = <i32>index;
  if (unchecked(taken[i])) return null;
  const m = unchecked(mods[i]);
  if (m.end < m.start || m.end > 0x100000000) return null;
  return m;
}
