// One boot of every virtual-PC probe (pc-guests.ts) in Bochs, for the
// pc-*.test.ts files: each file a configuration (CPUs, APIC virtualization),
// so that the suites spread over the test workers.
import { describe, expect, test } from "vitest";
import { PC_GUESTS } from "./pc-guests";
import { runGuests, checkGuests } from "./guest-suite";

const RESULTS_MS = 8 * 60_000;
const TEST_MS = 11 * 60_000;

export function pcSuite(cpus: number, apicv: boolean) {
  const what = `${cpus} CPU${cpus > 1 ? "s" : ""}, APIC virtualization ${apicv ? "on" : "off"}`;
  describe(`the virtual PC's probe guests (Bochs, ${what})`, () => {
    test("every probe passes next to a spinning and a hostile guest", async () => {
      const { out, results } = await runGuests(PC_GUESTS, {
        title: "tshv-pc", cpus, cmdline: apicv ? "" : "apicv=0", resultsMs: RESULTS_MS,
      });
      checkGuests(PC_GUESTS, out, results, expect);
      expect(out).toContain(apicv ? "hv: guests' LAPICs use APIC virtualization" : "hv: guests' LAPICs are emulated on every access (apicv=0)");
    }, TEST_MS);
  });
}
