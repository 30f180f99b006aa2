// The virtual PC's probe guests (tests/guests/, one behaviour each), booted
// together next to a spinning and a hostile guest by the pc-*.test.ts
// suites: on 1 and 2 physical CPUs, with and without APIC virtualization.
// Two lists, one per family of probes, so that they can grow apart.
import type { Guest } from "./guest-suite";

// The LAPIC, I/O APIC, PIC, PIT, RTC and ACPI PM timer.
export const TIMER_PROBES: Guest[] = [
  { domain: "lapic_timer_periodic_fires", file: "lapic_timer_periodic_fires.elf", mem: "2M", expect: "pass" },
  { domain: "lapic_tsc_deadline_fires", file: "lapic_tsc_deadline_fires.elf", mem: "2M", expect: "pass" },
  { domain: "ioapic_routes_irq_to_vector", file: "ioapic_routes_irq_to_vector.elf", mem: "2M", expect: "pass" },
  { domain: "x2apic_and_xapic_agree", file: "x2apic_and_xapic_agree.elf", mem: "2M", expect: "pass" },
  { domain: "pic_delivers_through_lint0", file: "pic_delivers_through_lint0.elf", mem: "2M", expect: "pass" },
  { domain: "pit_channel2_gates_port61", file: "pit_channel2_gates_port61.elf", mem: "2M", expect: "pass" },
  { domain: "rtc_reads_consistent_time", file: "rtc_reads_consistent_time.elf", mem: "2M", expect: "pass" },
  { domain: "pm_timer_advances", file: "pm_timer_advances.elf", mem: "2M", expect: "pass" },
];

// ACPI tables and power, fw_cfg, string I/O, MMIO decoding, SMP start-up
// and IPIs.
export const PLATFORM_PROBES: Guest[] = [
  { domain: "acpi_tables_checksum", file: "acpi_tables_checksum.elf", mem: "2M", args: "vcpus=2", expect: "pass" },
  {
    domain: "acpi_s5_powers_off_domain", file: "acpi_s5_powers_off_domain.elf", mem: "2M",
    expect: "stopped", stopReason: /the guest powered its machine off/,
  },
  { domain: "fw_cfg_reports_cpus", file: "fw_cfg_reports_cpus.elf", mem: "2M", args: "vcpus=2", expect: "pass" },
  { domain: "string_io_rep_outsb", file: "string_io_rep_outsb.elf", mem: "2M", expect: "pass" },
  { domain: "init_sipi_starts_second_vcpu", file: "init_sipi_starts_second_vcpu.elf", mem: "2M", args: "vcpus=2", expect: "pass" },
  { domain: "ipi_reaches_other_vcpu", file: "ipi_reaches_other_vcpu.elf", mem: "2M", args: "vcpus=2", expect: "pass" },
  {
    domain: "mmio_movs_and_rmw", test: "mmio_decoder_handles_movs_and_rmw",
    file: "mmio_decoder_handles_movs_and_rmw.elf", mem: "4M", args: "testdev=1", expect: "pass",
  },
];

// Resets through each of the PC's ways: every one a reboot of that domain
// alone, restarted (on_reboot=restart) until the bound on restarts in a
// burst keeps it stopped (pc-suite.ts counts the restarts).
export const RESET_METHODS = ["0xcf9", "the 8042", "port 0x92"];
export const RESET_PROBES: Guest[] = RESET_METHODS.map((_, i) => ({
  domain: `reset_port_${i + 1}`, test: "reset_port_restarts_domain", file: "reset_port_restarts_domain.elf", mem: "2M",
  args: `method=${i + 1} on_reboot=restart`, expect: "stopped" as const, stopReason: /the guest reset its machine/,
}));

// Next to them: one that spins with interrupts off, one that writes
// nonsense to every device register, and one that floods its LAPIC.
export const NEIGHBOURS: Guest[] = [
  { domain: "spin_forever", file: "spin_forever.elf", mem: "2M", expect: "runs" },
  { domain: "pc_devices_fuzzed", file: "pc_devices_fuzzed.elf", mem: "2M", expect: "runs" },
  { domain: "lapic_flood", file: "lapic_flood.elf", mem: "2M", expect: "runs" },
];

export const PC_GUESTS: Guest[] = [...TIMER_PROBES, ...PLATFORM_PROBES, ...RESET_PROBES, ...NEIGHBOURS];
