// One boot of every virtual-PC probe (pc-guests.ts) in Bochs, for the
// pc-*.test.ts files: each file a configuration (CPUs, APIC virtualization),
// so that the suites spread over the test workers.
import { describe, expect, test } from "vitest";
import { PC_GUESTS, RESET_PROBES, RESET_METHODS } from "./pc-guests";
import { runGuests, checkGuests } from "./guest-suite";

const RESULTS_MS = 8 * 60_000;
const RESTART_BURST = 8;       // src/lifecycle/restart.ts
const RESTART_WINDOW_S = 60;
const TEST_MS = 11 * 60_000;

const notRestartedRe = (domain: string) =>
  new RegExp(`hv: domain \\d+ \\(${domain}\\) not restarted: restarted ${RESTART_BURST} times within ${RESTART_WINDOW_S} s; kept stopped`);

export function pcSuite(cpus: number, apicv: boolean) {
  const what = `${cpus} CPU${cpus > 1 ? "s" : ""}, APIC virtualization ${apicv ? "on" : "off"}`;
  const mode = apicv ? "hv: guests' LAPICs use APIC virtualization" : "hv: guests' LAPICs are emulated on every access (apicv=0)";
  describe(`the virtual PC's probe guests (Bochs, ${what})`, () => {
    test("every probe passes next to a spinning and a hostile guest", async () => {
      const { out, results } = await runGuests(PC_GUESTS, {
        title: "tshv-pc", cpus, cmdline: apicv ? "" : "apicv=0", resultsMs: RESULTS_MS,
        // The LAPIC mode was chosen; the reset guests' bursts of restarts end.
        live: async (e) => {
          await e.waitFor(mode, 60_000, { fromStart: true });
          for (const g of RESET_PROBES) await e.waitFor(notRestartedRe(g.domain), 120_000, { fromStart: true });
          // The hostile neighbours are still at it.
          await e.waitFor("[pc_devices_fuzzed] pc_devices_fuzzed: round 2048\n", 120_000, { fromStart: true });
          await e.waitFor(/\[lapic_flood\] lapic_flood: ticks 2048 rounds \d+\n/, 120_000, { fromStart: true });
        },
      });
      checkGuests(PC_GUESTS, out, results, expect);
      // Each reset guest: its method, a restart per reset until a burst
      // reaches the bound (more than one burst if a loaded host makes its
      // resets slower than the window), then kept stopped: no restart after.
      RESET_PROBES.forEach((g, i) => {
        expect(out).toContain(`[${g.domain}] reset_port_restarts_domain: resetting through ${RESET_METHODS[i]}\n`);
        const restartRe = new RegExp(`hv: domain \\d+ \\(${g.domain}\\) restarted as domain \\d+\n`, "g");
        const restarts = [...out.matchAll(restartRe)].length;
        expect(restarts, `${g.domain} restarts`).toBeGreaterThanOrEqual(RESTART_BURST);
        const kept = notRestartedRe(g.domain).exec(out);
        expect(kept, `${g.domain} kept stopped`).not.toBeNull();
        expect([...out.slice(kept!.index).matchAll(restartRe)].length, `${g.domain} restarts after it was kept stopped`).toBe(0);
      });
      expect(out).toContain(mode);
      // What only the log can show: S5 reached through the probe, string output on the console.
      expect(out).toContain("[acpi_s5_powers_off_domain] acpi_s5_powers_off_domain: \\_S5 SLP_TYPa 5, writing SLP_EN\n");
      expect(out).toContain("[string_io_rep_outsb] string_io_rep_outsb: rep outsb reaches the console\n");
    }, TEST_MS);
  });
}
