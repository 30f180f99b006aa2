// The guest's time, as the device models see it: the domain's TSC (the TSC
// its vCPUs started with: host TSC + the domain's offset) and its rate. A
// model derives its own clock from it (the PIT's 1.193182 MHz, the PM
// timer's 3.579545 MHz, the RTC's seconds) and arms its timers
// (src/devices/timer.ts) on it, so that it runs on guest time and means the
// same after a restore.
export abstract class Clock {
  // The guest TSC now.
  abstract now(): u64;
  // Its ticks per second.
  abstract hz(): u64;
}

// Ticks of a `rate` Hz clock in `tsc` TSC ticks at `hz` (integer; no
// overflow for spans below 2^64 / rate).
export function ticksIn(tsc: u64, hz: u64, rate: u64): u64 {
  // tsc * rate / hz, split so the product stays within 64 bits.
  return (tsc / hz) * rate + ((tsc % hz) * rate) / hz;
}

// TSC ticks at `hz` for `ticks` of a `rate` Hz clock, rounded up.
export function tscFor(ticks: u64, hz: u64, rate: u64): u64 {
  return (ticks / rate) * hz + ((ticks % rate) * hz + rate - 1) / rate;
}

// A clock a test or a caller sets by hand.
@final
export class ManualClock extends Clock {
  t: u64 = 0;
  constructor(public rate: u64) {
    super();
  }
  now(): u64 { return this.t; }
  hz(): u64 { return this.rate; }
}
