// The TSC's rate, measured against the PIT: SDM 9.4.4's delays (10 ms after
// INIT, 200 us between STARTUP IPIs) and bring-up timeouts are real time,
// and nothing else tells the hypervisor how fast the TSC runs. In Bochs the
// TSC counts emulated instructions and the PIT runs on emulated time
// (`cpu: ips=`), so the figure is the emulator's own notion of a second.
import { logSerialPace } from "../log/log";
import { serialFifo, SERIAL_BAUD } from "../log/serial";
import { inb, outb, rdtsc } from "../arch/hw";
import {
  PIT_HZ, PIT_CHANNEL2, PIT_COMMAND, PIT_CMD_CH2_LOHI_MODE0, PORT_B, PORT_B_GATE2, PORT_B_SPEAKER, PORT_B_OUT2,
} from "../arch/pit";

const CALIBRATE_MS: u32 = 10;
// Believable rates; outside them (no PIT, a stuck OUT2) the fallback holds.
const RATE_MIN: u64 = 1000000;
const RATE_MAX: u64 = 100000000000;
// A machine without a working PIT is assumed fast: delays come out longer
// than asked, never shorter.
export const TSC_FALLBACK_HZ: u64 = 10000000000;
// The polling loop gives up after this many TSC ticks (a second at 100 GHz).
const POLL_LIMIT: u64 = 100000000000;

let hz: u64 = 0;
let measured = false;

// Counts TSC ticks while PIT channel 2 counts down CALIBRATE_MS; returns the
// rate in Hz (TSC_FALLBACK_HZ if the PIT did not behave).
export function tscCalibrate(): u64 {
  const latch: u32 = PIT_HZ * CALIBRATE_MS / 1000;
  outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
  outb(PIT_COMMAND, PIT_CMD_CH2_LOHI_MODE0);
  outb(PIT_CHANNEL2, <u8>(latch & 0xff));
  outb(PIT_CHANNEL2, <u8>(latch >> 8));
  const t0 = rdtsc();
  let t = t0;
  while ((inb(PORT_B) & PORT_B_OUT2) == 0) {
    t = rdtsc();
    if (t - t0 > POLL_LIMIT) break;
  }
  const rate = (t - t0) * (1000 / CALIBRATE_MS);
  measured = rate >= RATE_MIN && rate <= RATE_MAX;
  hz = measured ? rate : TSC_FALLBACK_HZ;
  logSerialPace(serialFifoTicks());
  return hz;
}

// TSC ticks the serial port takes to send a FIFO's worth (10 bits a byte).
export function serialFifoTicks(): u64 {
  return tscHz() * <u64>(serialFifo() * 10) / <u64>SERIAL_BAUD;
}

export function tscHz(): u64 { return hz != 0 ? hz : TSC_FALLBACK_HZ; }
export function tscMeasured(): bool { return measured; }

// TSC ticks in `us` microseconds (rounded up).
export function tscFromMicros(us: u64): u64 {
  return (tscHz() * us + 999999) / 1000000;
}

// Busy-waits `ticks` TSC ticks.
export function tscDelay(ticks: u64): void {
  const until = rdtsc() + ticks;
  while (rdtsc() < until) {}
}
