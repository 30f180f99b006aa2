// Restarting the domains whose policy says so (on_reboot=restart, xl's
// default; on_poweroff or on_crash=restart if configured): each is built
// again, as at boot, from its config line and the boot module it was built
// from, under the same name with a new id, and started. The run loop calls
// this at its top, where no CPU is inside the stopped domain. A domain
// whose predecessors restarted RESTART_BURST times within RESTART_WINDOW_S
// seconds is left stopped and preserved, as is one without a module: a
// guest that resets at once cannot keep the host rebuilding it.
import { Domain } from "../domain/domain";
import { parseDomainConfig } from "../domain/config";
import { parseImage } from "../domain/image";
import { domainBuild, builderHandoff } from "./builder";
import { restartsDue } from "./stop";
import { rdtsc } from "../arch/hw";
import { tscHz } from "../cpu/tsc";
import { println } from "../log/log";
import { dec } from "../lib/str";

const RESTART_BURST: u32 = 8;
const RESTART_WINDOW_S: u64 = 60;

export function domainsRestart(): void {
  while (restartsDue.length > 0) {
    const old = restartsDue.shift();
    const why = restartOne(old);
    if (why.length != 0) {
      old.preserved = true;
      println("hv: domain " + dec(old.id) + " (" + old.name + ") not restarted: " + why + "; kept stopped");
    }
  }
}

// "" once the new domain runs, or why not.
function restartOne(old: Domain): string {
  const m = old.image;
  if (m === null) return "no boot module to build it from";
  const now = rdtsc();
  let burst: u32 = 1;
  let since = now;
  if (old.restartBurst != 0 && now - old.restartBurstAt < RESTART_WINDOW_S * tscHz()) {
    burst = old.restartBurst + 1;
    since = old.restartBurstAt;
  }
  if (burst > RESTART_BURST) return "restarted " + dec(RESTART_BURST) + " times within " + dec(RESTART_WINDOW_S) + " s";
  const cfg = parseDomainConfig(old.configLine, old.name);
  if (cfg.error.length != 0) return cfg.error;
  const img = parseImage(m.start, m.end - m.start, cfg.kind, cfg.memBytes, cfg.load);
  if (img.error.length != 0) return img.error;
  const d = domainBuild(cfg, img, m, builderHandoff(), old.initrd);
  if (d === null) return "it could not be built again (the line above says why)";
  d.restarts = old.restarts + 1;
  d.restartBurst = burst;
  d.restartBurstAt = since;
  println("hv: domain " + dec(old.id) + " (" + old.name + ") restarted as domain " + dec(d.id));
  return "";
}
