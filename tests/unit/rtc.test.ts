// The MC146818A RTC and CMOS RAM model (src/devices/rtc.ts) and the
// calendar it counts with (src/lib/calendar.ts): register by register as
// the MC146818A data sheet gives them, what Linux reads
// (drivers/rtc/rtc-mc146818-lib.c's mc146818_get_time and set_time,
// rtc-cmos's periodic interrupt), nonsense from a guest, and save, reset
// and restore through the Device interface. The guest clock is set by hand
// (ManualClock at TSC 0 when the device is made); timers fire when a test
// calls rtcFire, as the run loop would once their deadline has passed.
import { describe, expect, it } from "vitest";
import { Machine } from "../sim/machine";

const SEC = 0x00, SEC_ALARM = 0x01, MIN = 0x02, MIN_ALARM = 0x03, HOUR = 0x04, HOUR_ALARM = 0x05;
const WDAY = 0x06, MDAY = 0x07, MON = 0x08, YEAR = 0x09, A = 0x0a, B = 0x0b, C = 0x0c, D = 0x0d, CENTURY = 0x32;
const UIP = 0x80;
const SET = 0x80, PIE = 0x40, AIE = 0x20, UIE = 0x10, SQWE = 0x08, DM = 0x04, H24 = 0x02, DSE = 0x01;
const IRQF = 0x80, PF = 0x40, AF = 0x20, UF = 0x10;
const DV_RUN = 0x20, DV_RESET = 0x70, DV_OFF = 0x00;
const GHZ = 1_000_000_000n;
const IRQ = 8;
const BUF = 0x30000;

const bcd = (v: number): number => Math.floor(v / 10) * 16 + (v % 10);

// Seconds since 1970 for a UTC date (any year 0..9999).
function epoch(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): bigint {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return BigInt(t.getTime() / 1000);
}

// The bytes the clock should show for `secs` (24-hour BCD unless told).
function bytesFor(secs: bigint, b = H24): Record<string, number> {
  const t = new Date(Number(secs) * 1000);
  const enc = (v: number): number => ((b & DM) !== 0 ? v : bcd(v));
  const h = t.getUTCHours();
  const hour = (b & H24) !== 0 ? enc(h) : enc(h % 12 === 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0);
  const y = t.getUTCFullYear();
  return {
    sec: enc(t.getUTCSeconds()), min: enc(t.getUTCMinutes()), hour, wday: enc(t.getUTCDay() + 1),
    mday: enc(t.getUTCDate()), mon: enc(t.getUTCMonth() + 1), year: enc(y % 100), century: enc(Math.floor(y / 100)),
  };
}

function rtc(start: bigint, hz = GHZ) {
  const m = new Machine();
  const e = m.exports;
  e.rtcRig(hz);
  const d = e.rtcCreate(start, IRQ) >>> 0;
  const at = (t: bigint): void => e.rtcClockSet(t);
  const now = (): bigint => BigInt.asUintN(64, e.rtcClockNow());
  const index = (v: number): number => e.devWrite(d, 0, 1, BigInt(v & 0xff));
  const rd = (i: number): number => { index(i); return Number(e.devRead(d, 1, 1)); };
  const wr = (i: number, v: number): void => { index(i); e.devWrite(d, 1, 1, BigInt(v & 0xff)); };
  const fire = (): number => e.rtcFire();
  const deadline = (): bigint => BigInt.asUintN(64, e.rtcNextDeadline());
  const armed = (): number => e.rtcArmed();
  const level = (): boolean => e.rtcIrqLevel(IRQ) !== 0;
  const rises = (): number => e.rtcIrqRises(IRQ);
  const time = (): bigint => BigInt(e.rtcTime(d));
  const clock = (): Record<string, number> => ({
    sec: rd(SEC), min: rd(MIN), hour: rd(HOUR), wday: rd(WDAY), mday: rd(MDAY), mon: rd(MON), year: rd(YEAR), century: rd(CENTURY),
  });
  // Advances to the next deadline and fires it.
  const next = (): bigint => { const t = deadline(); at(t); expect(fire()).toBe(1); return t; };
  // Linux's CMOS_WRITE sequence under SET (mc146818_set_time): BCD 24-hour.
  const setTime = (secs: bigint): void => {
    const x = bytesFor(secs);
    const control = rd(B);
    wr(B, control | SET);
    const freq = rd(A);
    wr(A, freq | DV_RESET);
    wr(YEAR, x.year); wr(MON, x.mon); wr(MDAY, x.mday); wr(HOUR, x.hour); wr(MIN, x.min); wr(SEC, x.sec); wr(CENTURY, x.century);
    wr(B, control);
    wr(A, freq);
  };
  return { m, e, d, hz, at, now, index, rd, wr, fire, deadline, armed, level, rises, time, clock, next, setTime };
}

describe("calendar (days from civil)", () => {
  it("converts days since 1970 to dates and back as JavaScript's UTC calendar does, year 0 to 9999", () => {
    const m = new Machine();
    const e = m.exports;
    const check = (days: number): void => {
      const t = new Date(days * 86400000);
      e.calCivilFromDays(BigInt(days));
      const got = [Number(e.calYear()), e.calMonth(), e.calDay(), e.calWeekday(BigInt(days))];
      expect(got).toEqual([t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCDay()]);
      expect(Number(e.calDaysFromCivil(BigInt(t.getUTCFullYear()), t.getUTCMonth() + 1, BigInt(t.getUTCDate())))).toBe(days);
    };
    // Every day from 1899 to 2101 (1900 and 2100 are not leap years, 2000 is).
    for (let days = -25600; days <= 48300; days++) check(days);
    // And a sweep of the whole range, across every kind of century.
    for (let days = -719528; days <= 2932896; days += 997) check(days);
    check(-719528);   // 0000-01-01
    check(2932896);   // 9999-12-31
  });

  it("knows the leap days and carries days past a month's end", () => {
    const m = new Machine();
    const e = m.exports;
    const days = (y: number, mo: number, d: number): number => Number(e.calDaysFromCivil(BigInt(y), mo, BigInt(d)));
    expect(days(1970, 1, 1)).toBe(0);
    expect(days(2000, 3, 1) - days(2000, 2, 28)).toBe(2);   // 2000-02-29
    expect(days(1900, 3, 1) - days(1900, 2, 28)).toBe(1);
    expect(days(2100, 3, 1) - days(2100, 2, 28)).toBe(1);
    expect(days(2400, 3, 1) - days(2400, 2, 28)).toBe(2);
    expect(days(2024, 2, 30)).toBe(days(2024, 3, 1));       // day 30 of February 2024 is 1 March
    expect(days(2024, 3, 0)).toBe(days(2024, 2, 29));       // day 0 is the last of the month before
    expect(days(2023, 12, 32)).toBe(days(2024, 1, 1));
    expect(days(0, 1, 1)).toBe(-719528);
  });
});

describe("MC146818 RTC: the clock", () => {
  it("powers up as a PC BIOS leaves it, showing the start time in 24-hour BCD", () => {
    const start = epoch(2024, 2, 29, 23, 59, 58);   // a Thursday
    const r = rtc(start);
    expect(r.rd(A)).toBe(0x26);
    expect(r.rd(B)).toBe(0x02);
    expect(r.rd(D)).toBe(0x80);
    expect(r.rd(C)).toBe(0x00);
    expect(r.clock()).toEqual({ sec: 0x58, min: 0x59, hour: 0x23, wday: 5, mday: 0x29, mon: 0x02, year: 0x24, century: 0x20 });
    expect(r.time()).toBe(start);
    expect(r.armed()).toBe(0);   // nothing enabled, nothing armed
  });

  it("counts whole seconds of the guest TSC: the second ticks exactly at each multiple of its rate", () => {
    const start = epoch(2024, 2, 29, 23, 59, 58);
    const r = rtc(start);
    r.at(GHZ - 1n);
    expect(r.rd(SEC)).toBe(0x58);
    r.at(GHZ);
    expect(r.rd(SEC)).toBe(0x59);
    r.at(2n * GHZ);   // into March: 2024 is a leap year, so 29 February came first
    expect(r.clock()).toEqual({ sec: 0x00, min: 0x00, hour: 0x00, wday: 6, mday: 0x01, mon: 0x03, year: 0x24, century: 0x20 });
  });

  it("does not drift at an odd TSC rate over ten years, and rolls years and centuries", () => {
    const hz = 2_999_999_999n;
    const start = epoch(1999, 12, 31, 23, 59, 59);
    const r = rtc(start, hz);
    r.at(hz);
    expect(r.clock()).toEqual(bytesFor(epoch(2000, 1, 1)));     // Saturday, century 20, year 00
    const tenYears = epoch(2009, 12, 31, 23, 59, 59) - start;
    r.at(tenYears * hz - 1n);
    expect(r.time()).toBe(start + tenYears - 1n);
    r.at(tenYears * hz);
    expect(r.time()).toBe(start + tenYears);
    expect(r.clock()).toEqual(bytesFor(start + tenYears));
    for (const [y, mo, d] of [[2099, 12, 31], [2100, 2, 28], [2000, 2, 28], [1900, 2, 28], [2400, 2, 28]]) {
      const q = rtc(epoch(y, mo, d, 23, 59, 59));
      q.at(GHZ);
      expect(q.clock()).toEqual(bytesFor(epoch(y, mo, d, 23, 59, 59) + 1n));
    }
  });

  it("shows the same time in binary (DM) and in 12-hour mode with PM in bit 7, as register B asks", () => {
    const start = epoch(2024, 2, 29, 23, 59, 58);
    const r = rtc(start);
    r.wr(B, DM | H24);
    expect(r.clock()).toEqual({ sec: 58, min: 59, hour: 23, wday: 5, mday: 29, mon: 2, year: 24, century: 20 });
    r.wr(B, 0);          // BCD, 12-hour
    expect(r.rd(HOUR)).toBe(0x91);   // 11 PM
    r.wr(B, DM);         // binary, 12-hour
    expect(r.rd(HOUR)).toBe(0x8b);
    // Every hour of a day in both 12-hour forms.
    const q = rtc(epoch(2024, 1, 1));
    for (let h = 0; h < 24; h++) {
      q.at(BigInt(h) * 3600n * GHZ);
      q.wr(B, 0);
      const h12 = h % 12 === 0 ? 12 : h % 12;
      expect(q.rd(HOUR)).toBe(bcd(h12) | (h >= 12 ? 0x80 : 0));
      q.wr(B, DM);
      expect(q.rd(HOUR)).toBe(h12 | (h >= 12 ? 0x80 : 0));
    }
  });

  it("keeps SQWE and DSE readable and without effect (daylight saving is ignored, as on PCs)", () => {
    const start = epoch(2024, 3, 31, 0, 59, 59);   // when EU summer time begins
    const r = rtc(start);
    r.wr(B, H24 | DSE | SQWE);
    expect(r.rd(B)).toBe(H24 | DSE | SQWE);
    r.at(GHZ);
    expect(r.rd(HOUR)).toBe(0x01);
    expect(r.armed()).toBe(0);
  });
});

describe("MC146818 RTC: UIP and what Linux reads", () => {
  it("sets UIP for the 244 us (8 cycles of 32.768 kHz) before each update, on guest time", () => {
    const r = rtc(epoch(2024, 6, 1, 12));
    const window = (8n * GHZ + 32767n) / 32768n;   // 244141 ticks at 1 GHz
    r.at(GHZ - window - 1n);
    expect(r.rd(A)).toBe(0x26);
    r.at(GHZ - window);
    expect(r.rd(A)).toBe(0x26 | UIP);
    expect(r.rd(SEC)).toBe(0x00);   // the old second until the update
    r.at(GHZ - 1n);
    expect(r.rd(A) & UIP).toBe(UIP);
    r.at(GHZ);
    expect(r.rd(A)).toBe(0x26);
    expect(r.rd(SEC)).toBe(0x01);
    // Not while SET holds updates.
    r.at(2n * GHZ - 1n);
    r.wr(B, SET | H24);
    expect(r.rd(A) & UIP).toBe(0);
  });

  it("gives mc146818_get_time a consistent time however its reads straddle an update; a reader that ignores UIP can tear", () => {
    const start = epoch(2023, 12, 31, 23, 59, 59);
    // Linux's loop: seconds, UIP (mdelay(1) and again while set), seconds
    // again, the fields, control, UIP and seconds once more; each port read
    // here takes `step` ticks.
    const linuxGetTime = (r: ReturnType<typeof rtc>, step: bigint): { secs: bigint; tries: number } => {
      const R = (i: number): number => { r.at(r.now() + step); return r.rd(i); };
      for (let tries = 1; tries < 100; tries++) {
        const sec = R(SEC);
        if ((R(A) & UIP) !== 0) { r.at(r.now() + 1_000_000n); continue; }
        if (sec !== R(SEC)) continue;
        const f = [R(MIN), R(HOUR), R(MDAY), R(MON), R(YEAR), R(CENTURY)];
        const ctrl = R(B);
        if ((R(A) & UIP) !== 0 || sec !== R(SEC)) continue;
        expect(ctrl & DM).toBe(0);
        const b2 = (v: number): number => (v >> 4) * 10 + (v & 15);
        return { secs: epoch(b2(f[5]) * 100 + b2(f[4]), b2(f[3]), b2(f[2]), b2(f[1]), b2(f[0]), b2(sec)), tries };
      }
      throw new Error("mc146818_get_time never finished");
    };
    for (const step of [1000n, 20_000n, 60_000n]) {          // 1 us to 60 us a port read
      for (let lead = 0n; lead <= 1_200_000n; lead += 30_001n) { // starting up to 1.2 ms before the update
        const r = rtc(start);
        r.at(GHZ - lead);
        const got = linuxGetTime(r, step);
        // What it read is the time at its last read, whole.
        expect(got.secs).toBe(start + r.now() / GHZ);
      }
    }
    // Reading the fields in order without looking at UIP, across the
    // update: 59 seconds of 2023 with the year of 2024.
    const r = rtc(start);
    r.at(GHZ - 10n);
    const sec = r.rd(SEC);
    r.at(GHZ);
    expect([sec, r.rd(YEAR)]).toEqual([0x59, 0x24]);
  });

  it("takes mc146818_set_time's sequence: SET, divider reset, the fields, then the first update half a second after the divider runs", () => {
    const r = rtc(epoch(2024, 6, 1, 12));
    r.at(5n * GHZ + 300_000_000n);
    const set = epoch(2031, 7, 4, 9, 30, 15);
    r.setTime(set);
    const t = r.now();
    expect(r.rd(A)).toBe(0x26);
    expect(r.rd(B)).toBe(0x02);
    expect(r.time()).toBe(set);
    r.at(t + GHZ / 2n - 1n);
    expect(r.clock()).toEqual(bytesFor(set));
    r.at(t + GHZ / 2n);
    expect(r.clock()).toEqual(bytesFor(set + 1n));
    r.at(t + GHZ / 2n + 10n * GHZ);
    expect(r.time()).toBe(set + 11n);
  });
});

describe("MC146818 RTC: setting and halting", () => {
  it("SET halts updates, clears UIE and UIP; the bytes read back as written; clearing SET makes them the time, on the divider's phase", () => {
    const start = epoch(2024, 6, 1, 12, 0, 0);
    const r = rtc(start);
    r.wr(A, DV_RUN);                 // no periodic rate: register C shows updates alone
    r.wr(B, UIE | H24);
    r.at(2n * GHZ + 400_000_000n);   // 12:00:02.4
    r.wr(B, SET | UIE | H24);
    expect(r.rd(B)).toBe(SET | H24);
    r.at(9n * GHZ);
    expect(r.rd(SEC)).toBe(0x02);    // halted at what it showed
    r.rd(C);
    r.at(10n * GHZ);
    expect(r.rd(C)).toBe(0);         // no updates, no UF
    r.wr(MIN, 0x30);
    r.wr(SEC, 0x45);
    r.wr(HOUR, 0x07);
    expect([r.rd(HOUR), r.rd(MIN), r.rd(SEC)]).toEqual([0x07, 0x30, 0x45]);
    r.at(10n * GHZ + 100_000_000n);  // 10.1 s: the divider's next second boundary is 11 s
    r.wr(B, H24);
    expect(r.time()).toBe(epoch(2024, 6, 1, 7, 30, 45));
    r.at(11n * GHZ - 1n);
    expect(r.rd(SEC)).toBe(0x45);
    r.at(11n * GHZ);
    expect(r.rd(SEC)).toBe(0x46);
  });

  it("a time byte written while updates run becomes part of the time and counting goes on (OpenBSD's century write)", () => {
    const r = rtc(epoch(2024, 6, 1, 12, 34, 55));
    r.at(300_000_000n);
    r.wr(MIN, 0x00);
    expect(r.time()).toBe(epoch(2024, 6, 1, 12, 0, 55));
    r.wr(CENTURY, 0x19);
    expect(r.time()).toBe(epoch(1924, 6, 1, 12, 0, 55));
    r.at(GHZ - 1n);
    expect(r.rd(SEC)).toBe(0x55);
    r.at(GHZ);
    expect(r.clock()).toEqual(bytesFor(epoch(1924, 6, 1, 12, 0, 56)));
  });

  it("reads written nonsense back as a defined time: fields carry as mktime's do, held to years 0..9999", () => {
    const r = rtc(epoch(2024, 6, 1));
    const put = (f: Record<number, number>, b = H24): bigint => {
      r.wr(B, SET | b);
      for (const [i, v] of Object.entries(f)) r.wr(Number(i), v);
      r.wr(B, b);
      return r.time();
    };
    const base = { [SEC]: 0, [MIN]: 0, [HOUR]: 0, [MDAY]: 1, [MON]: 1, [YEAR]: 0x24, [CENTURY]: 0x20 };
    expect(put({ ...base, [MON]: 0x13, [YEAR]: 0x23 })).toBe(epoch(2024, 1, 1));        // month 13
    expect(put({ ...base, [MON]: 0x03, [MDAY]: 0x00 })).toBe(epoch(2024, 2, 29));       // day 0
    expect(put({ ...base, [MON]: 0x02, [MDAY]: 0x30 })).toBe(epoch(2024, 3, 1));        // 30 February
    expect(put({ ...base, [SEC]: 0x75 })).toBe(epoch(2024, 1, 1, 0, 1, 15));            // second 75
    expect(put({ ...base, [SEC]: 0x5a })).toBe(epoch(2024, 1, 1, 0, 1, 0));             // a nibble of 10
    expect(put({ ...base, [HOUR]: 0x24 })).toBe(epoch(2024, 1, 2));                     // hour 24
    expect(put({ ...base, [HOUR]: 0x00 }, 0)).toBe(epoch(2024, 1, 1));                  // 12-hour mode, hour 0
    expect(put({ ...base, [MON]: 0x00, [MDAY]: 0x00 })).toBe(epoch(2023, 11, 30));      // month 0, day 0
    expect(put({ ...base, [YEAR]: 0x99, [CENTURY]: 0x99, [MON]: 0x13 })).toBe(epoch(9999, 12, 31, 23, 59, 59));
    expect(put({ [SEC]: 0xff, [MIN]: 0xff, [HOUR]: 0xff, [MDAY]: 0xff, [MON]: 0xff, [YEAR]: 0xff, [CENTURY]: 0xff }))
      .toBe(epoch(9999, 12, 31, 23, 59, 59));
    expect(put({ ...base, [CENTURY]: 0x00, [YEAR]: 0x00, [MON]: 0x01, [MDAY]: 0x00 })).toBe(epoch(0, 1, 1));
    // Binary mode reads the bytes as numbers.
    expect(put({ ...base, [MON]: 2, [MDAY]: 29, [YEAR]: 24, [CENTURY]: 20, [HOUR]: 25 }, DM | H24)).toBe(epoch(2024, 3, 1, 1));
  });

  it("DV 11x holds the divider in reset: time stops, and the first update is half a second after 010 returns", () => {
    const r = rtc(epoch(2024, 6, 1, 12));
    r.at(3n * GHZ + 700_000_000n);
    r.wr(A, DV_RESET | 0x06);
    expect(r.rd(A)).toBe(0x76);
    r.at(60n * GHZ);
    expect(r.time()).toBe(epoch(2024, 6, 1, 12, 0, 3));
    expect(r.rd(A) & UIP).toBe(0);
    r.wr(A, 0x26);
    r.at(60n * GHZ + GHZ / 2n - 1n);
    expect(r.rd(SEC)).toBe(0x03);
    r.at(60n * GHZ + GHZ / 2n);
    expect(r.rd(SEC)).toBe(0x04);
  });

  it("any other DV stops the divider where it is: time and the periodic interrupt stop, and resume on the same phase", () => {
    const r = rtc(epoch(2024, 6, 1, 12));
    r.wr(B, PIE | H24);
    r.at(3n * GHZ + 300_000_000n);   // 0.7 s before the next update
    r.rd(C);
    r.wr(A, DV_OFF | 0x06);
    expect(r.armed()).toBe(0);
    r.at(20n * GHZ);
    expect(r.time()).toBe(epoch(2024, 6, 1, 12, 0, 3));
    expect(r.rd(C)).toBe(0);          // no periodic edges while stopped
    r.wr(A, 0x26);
    expect(r.armed()).toBe(1);
    r.at(20n * GHZ + 700_000_000n - 1n);
    expect(r.rd(SEC)).toBe(0x03);
    r.at(20n * GHZ + 700_000_000n);
    expect(r.rd(SEC)).toBe(0x04);
    for (const dv of [0x00, 0x10, 0x30, 0x40, 0x50]) {
      const q = rtc(epoch(2024, 6, 1));
      q.wr(A, dv | 0x06);
      q.at(5n * GHZ);
      expect(q.time()).toBe(epoch(2024, 6, 1));
    }
  });
});

describe("MC146818 RTC: interrupts", () => {
  it("raises PF at the rate RS selects: 256 and 128 Hz for 1 and 2, then 32768 >> (rs - 1) down to 2 Hz; none for 0", () => {
    for (let rs = 0; rs < 16; rs++) {
      const r = rtc(epoch(2024, 6, 1));
      r.wr(A, DV_RUN | rs);
      r.wr(B, PIE | H24);
      if (rs === 0) {
        expect(r.armed()).toBe(0);
        r.at(10n * GHZ);
        expect(r.rd(C) & PF).toBe(0);
        continue;
      }
      const rate = BigInt(rs <= 2 ? [256, 128][rs - 1] : 32768 >> (rs - 1));
      // Edges at ceil(k * hz / rate) from the second boundary at TSC 0.
      for (let k = 1n; k <= 3n; k++) {
        expect(r.deadline()).toBe((k * GHZ + rate - 1n) / rate);
        r.next();
        expect(r.level()).toBe(true);
        expect(r.rd(C) & ~UF).toBe(IRQF | PF);   // at 2 Hz the second edge is also an update
        expect(r.level()).toBe(false);
      }
      expect(r.rises()).toBe(3);
    }
  });

  it("drives rtc-cmos's periodic interrupt (RTC_PIE at 64 Hz): 64 interrupts a second, each cleared by reading C", () => {
    const r = rtc(epoch(2024, 6, 1));
    r.wr(A, (r.rd(A) & 0xf0) | 10);   // cmos_irq_set_freq(64)
    r.rd(C);                          // cmos_irq_enable flushes the status first
    r.wr(B, r.rd(B) | PIE);
    let irqs = 0;
    while (r.now() < GHZ) {
      r.next();
      expect(r.level()).toBe(true);
      const ctrl = r.rd(B);
      const irqstat = r.rd(C) & ((ctrl & 0x70) | IRQF);   // cmos_interrupt's mask
      expect(irqstat).toBe(IRQF | PF);
      expect(r.level()).toBe(false);
      irqs++;
    }
    expect(irqs).toBe(64);
    expect(r.now()).toBe(GHZ);
    // rtc_irq_set_freq(1024) on the way: the next edge is the new tap's,
    // on the same divider chain.
    r.at(GHZ + 3n * GHZ / 64n + 5n);
    expect(r.level()).toBe(false);    // three edges passed with no timer fired: still low
    expect(r.rd(C) & IRQF).toBe(IRQF); // but IRQF was set by them, and reading C clears it
    r.wr(A, (r.rd(A) & 0xf0) | 6);
    const k = ((r.now() - GHZ) * 1024n) / GHZ + 1n;
    expect(r.deadline()).toBe(GHZ + (k * GHZ + 1023n) / 1024n);
  });

  it("sets the flags whatever the enables say; IRQF only for an enabled one; enabling a set flag raises the line at once", () => {
    const r = rtc(epoch(2024, 6, 1, 12));
    r.at(GHZ / 100n);                 // 10 ms: edges of 1024 Hz, no update yet
    expect(r.level()).toBe(false);
    const c = r.rd(C);
    expect(c).toBe(PF);
    r.at(GHZ + 1n);
    expect(r.rises()).toBe(0);
    r.wr(B, PIE | H24);               // PF and UF are set: enabling PIE raises IRQF and the line
    expect(r.level()).toBe(true);
    r.wr(B, H24);                     // and disabling it lowers them
    expect(r.level()).toBe(false);
    expect(r.rd(C)).toBe(PF | UF);
    r.wr(B, UIE | H24);
    r.at(2n * GHZ);
    expect(r.level()).toBe(false);    // nothing read yet: the timer was armed for the update
    expect(r.fire()).toBe(1);
    expect(r.level()).toBe(true);
    expect(r.rd(C)).toBe(IRQF | PF | UF);
  });

  it("holds the line until C is read: a guest that never reads it gets no more timers and no storm", () => {
    const r = rtc(epoch(2024, 6, 1, 12));
    r.wr(A, DV_RUN | 3);   // 8192 Hz
    r.wr(B, PIE | UIE | H24);
    r.next();
    expect(r.level()).toBe(true);
    expect(r.armed()).toBe(0);
    const used = r.e.heapCurrentUsed();
    for (let t = 1n; t <= 10000n; t++) {
      r.at(t * 1_000_000n);
      expect(r.fire()).toBe(0);
    }
    expect(r.rises()).toBe(1);
    expect(r.level()).toBe(true);
    expect(r.rd(C)).toBe(IRQF | PF | UF);
    expect(r.level()).toBe(false);
    expect(r.armed()).toBe(1);
    expect(r.e.heapCurrentUsed()).toBe(used);
  });

  it("a guest TSC set back (WRMSR IA32_TSC) does not lose PF: the next edge after it raises it, the timer is not re-armed edge after edge", () => {
    const r = rtc(epoch(2024, 6, 1));
    r.at(1000n * GHZ);                  // the guest's TSC far ahead ...
    r.wr(A, DV_RUN | 3);                // 8192 Hz
    r.rd(C);
    r.at(1n * GHZ);                     // ... then set back
    r.wr(B, PIE | H24);
    expect(r.armed()).toBe(1);
    r.next();
    expect(r.level()).toBe(true);
    expect(r.armed()).toBe(0);
    expect(r.rd(C) & (IRQF | PF)).toBe(IRQF | PF);
  });

  it("UIE: an interrupt after every update, at each second boundary", () => {
    const r = rtc(epoch(2024, 6, 1, 12));
    r.wr(A, DV_RUN);
    r.wr(B, UIE | H24);
    for (let s = 1n; s <= 3n; s++) {
      expect(r.next()).toBe(s * GHZ);
      expect(r.rd(SEC)).toBe(Number(s));
      expect(r.rd(C)).toBe(IRQF | UF);
    }
  });

  it("AIE: the alarm at its hour, minute and second; don't-care bytes (0xC0-0xFF) match every value", () => {
    const start = epoch(2024, 6, 1, 12, 34, 50);
    const r = rtc(start);
    r.wr(A, DV_RUN);
    r.wr(HOUR_ALARM, 0x12); r.wr(MIN_ALARM, 0x35); r.wr(SEC_ALARM, 0x00);
    r.wr(B, AIE | H24);
    expect(r.next()).toBe(10n * GHZ);
    expect(r.clock().min).toBe(0x35);
    expect(r.rd(C)).toBe(IRQF | AF | UF);
    expect(r.deadline()).toBe((10n + 86400n) * GHZ);   // the same time tomorrow
    // Seconds don't care: every second of 12:35.
    r.wr(SEC_ALARM, 0xc7);
    expect(r.next()).toBe(11n * GHZ);
    r.rd(C);
    r.at(69n * GHZ);                                   // 12:35:59
    r.rd(C);
    expect(r.deadline()).toBe(70n * GHZ + (86400n - 60n) * GHZ);
    // Hours don't care: every hour at :35:00.
    r.wr(SEC_ALARM, 0x00); r.wr(HOUR_ALARM, 0xff);
    expect(r.deadline()).toBe((10n + 3600n) * GHZ);
    // All three: every second.
    r.wr(SEC_ALARM, 0xc0); r.wr(MIN_ALARM, 0xc0);
    expect(r.next()).toBe(70n * GHZ);
    expect(r.rd(C)).toBe(IRQF | AF | UF);
    expect(r.deadline()).toBe(71n * GHZ);
  });

  it("the alarm across midnight, in 12-hour and binary forms; a byte no time can equal never matches", () => {
    const r = rtc(epoch(2024, 12, 31, 23, 59, 58));
    r.wr(A, DV_RUN);
    r.wr(HOUR_ALARM, 0x00); r.wr(MIN_ALARM, 0x00); r.wr(SEC_ALARM, 0x00);
    r.wr(B, AIE | H24);
    expect(r.next()).toBe(2n * GHZ);
    expect(r.clock().year).toBe(0x25);
    r.rd(C);
    // 12-hour BCD: 11 PM is 0x91.
    const q = rtc(epoch(2024, 12, 31, 23, 59, 58));
    q.wr(A, DV_RUN);
    q.wr(B, 0);
    q.wr(HOUR_ALARM, 0x91); q.wr(MIN_ALARM, 0x59); q.wr(SEC_ALARM, 0x59);
    q.wr(B, AIE);
    expect(q.next()).toBe(GHZ);
    expect(q.rd(C)).toBe(IRQF | AF | UF);
    // 12-hour binary: 12 AM is 12, without the PM bit.
    q.wr(B, AIE | DM);
    q.wr(HOUR_ALARM, 12); q.wr(MIN_ALARM, 0); q.wr(SEC_ALARM, 0);
    expect(q.deadline()).toBe(2n * GHZ);
    // Values no time byte takes: second 60, a BCD nibble of 10, hour 13 in 12-hour mode.
    for (const [i, v, b] of [[SEC_ALARM, 0x60, H24], [MIN_ALARM, 0x5a, H24], [HOUR_ALARM, 0x13, 0], [HOUR_ALARM, 0x00, 0], [HOUR_ALARM, 24, DM | H24]]) {
      const n = rtc(epoch(2024, 6, 1));
      n.wr(A, DV_RUN);
      n.wr(HOUR_ALARM, 0xc0); n.wr(MIN_ALARM, 0xc0); n.wr(SEC_ALARM, 0xc0);
      n.wr(i, v);
      n.wr(B, AIE | b);
      expect(n.armed()).toBe(0);
      n.at(2n * 86400n * GHZ);
      expect(n.rd(C) & AF).toBe(0);
    }
  });

  it("AF is set for a passed alarm without AIE, and not for one not passed", () => {
    const r = rtc(epoch(2024, 6, 1, 12, 0, 0));
    r.wr(A, DV_RUN);
    r.wr(HOUR_ALARM, 0x12); r.wr(MIN_ALARM, 0x00); r.wr(SEC_ALARM, 0x30);
    r.at(29n * GHZ);
    expect(r.rd(C)).toBe(UF);
    r.at(31n * GHZ);
    expect(r.rd(C)).toBe(AF | UF);
    r.at(3n * 86400n * GHZ);          // a long gap holds three more 12:00:30s
    expect(r.rd(C)).toBe(AF | UF);
    expect(r.rises()).toBe(0);
  });

  it("the periodic interrupt keeps running while SET holds updates, and stops while the divider is in reset", () => {
    const r = rtc(epoch(2024, 6, 1));
    r.wr(B, SET | PIE | H24);
    expect(r.armed()).toBe(1);
    r.next();
    expect(r.rd(C)).toBe(IRQF | PF);
    r.wr(A, DV_RESET | 0x06);
    expect(r.armed()).toBe(0);
    r.at(5n * GHZ);
    expect(r.rd(C)).toBe(0);
  });
});

describe("MC146818 RTC: ports, registers and RAM", () => {
  it("takes the index at 0x70 (bits 6:0, wrapping), keeps bit 7 as the NMI mask, and reads 0x70 as 0xff", () => {
    const r = rtc(epoch(2024, 6, 1));
    r.index(0x8d);
    expect(r.e.rtcNmiMasked(r.d)).toBe(1);
    expect(Number(r.e.devRead(r.d, 1, 1))).toBe(0x80);   // register D
    expect(Number(r.e.devRead(r.d, 0, 1))).toBe(0xff);
    r.index(0x0d);
    expect(r.e.rtcNmiMasked(r.d)).toBe(0);
    r.index(0xff);                  // 0x7f, NMI masked
    r.e.devWrite(r.d, 1, 1, 0x5an);
    expect(r.e.rtcNmiMasked(r.d)).toBe(1);
    expect(r.rd(0x7f)).toBe(0x5a);
    expect(r.rd(0xff)).toBe(0x5a);
    expect(r.rd(0x8e)).toBe(r.rd(0x0e));
  });

  it("on the port bus, a 16-bit write to 0x70 is the index then the data, as some BIOSes write it", () => {
    const r = rtc(epoch(2024, 6, 1));
    const bus = r.e.portBusCreate() >>> 0;
    expect(r.e.portBusRegister(bus, 0x70, 2, 0, r.d)).toBe(0);
    r.e.portWrite(bus, 0x70, 2, 0xab0e);
    r.e.portWrite(bus, 0x70, 1, 0x0e);
    expect(r.e.portRead(bus, 0x71, 1)).toBe(0xab);
    expect(r.e.portRead(bus, 0x70, 2) & 0xff).toBe(0xff);
  });

  it("register A's UIP, C and D are read only; B's SET clears UIE; every bit else reads back", () => {
    const r = rtc(epoch(2024, 6, 1));
    r.wr(A, 0xff);
    expect(r.rd(A)).toBe(0x7f);
    r.wr(A, 0x26);
    r.wr(B, 0x7f);
    expect(r.rd(B)).toBe(0x7f);
    r.wr(B, 0xff);
    expect(r.rd(B)).toBe(0xef);
    r.wr(B, 0x02);
    r.wr(D, 0x00);
    expect(r.rd(D)).toBe(0x80);
    r.rd(C);
    r.wr(C, 0xff);
    expect(r.rd(C)).toBe(0);
    expect(r.level()).toBe(false);
  });

  it("keeps the 114 bytes of RAM at 0x0e-0x7f; setRam takes RAM but not the clock's bytes", () => {
    const r = rtc(epoch(2024, 6, 1));
    for (let i = 0x0e; i < 0x80; i++) if (i !== CENTURY) r.wr(i, (i * 7 + 3) & 0xff);
    for (let i = 0x0e; i < 0x80; i++) if (i !== CENTURY) expect(r.rd(i)).toBe((i * 7 + 3) & 0xff);
    expect(r.rd(CENTURY)).toBe(0x20);
    for (const i of [0x00, 0x09, 0x0a, 0x0d, CENTURY, 0x80, 0x1000]) expect(r.e.rtcSetRam(r.d, i, 1)).toBe(0);
    expect(r.e.rtcSetRam(r.d, 0x0e, 0x11)).toBe(1);
    expect(r.e.rtcSetRam(r.d, 0x7f, 0x22)).toBe(1);
    expect([r.rd(0x0e), r.rd(0x7f), r.e.rtcRam(r.d, 0x0e)]).toEqual([0x11, 0x22, 0x11]);
  });

  it("writes the memory sizes and equipment byte a PC BIOS leaves, as QEMU's pc_cmos_init", () => {
    const MiB = 1024n * 1024n, GiB = 1024n * MiB;
    const cases: Array<[bigint, bigint, number[]]> = [
      // below, above: 0x15 0x16 0x17 0x18 0x30 0x31 0x34 0x35 0x5b 0x5c 0x5d
      [512n * 1024n, 0n, [0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
      [16n * MiB, 0n, [0x80, 0x02, 0x00, 0x3c, 0x00, 0x3c, 0, 0, 0, 0, 0]],
      [64n * MiB, 0n, [0x80, 0x02, 0x00, 0xfc, 0x00, 0xfc, 0x00, 0x03, 0, 0, 0]],
      [2n * GiB, 0n, [0x80, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0x7f, 0, 0, 0]],
      [3584n * MiB, 1536n * MiB, [0x80, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0xdf, 0x00, 0x60, 0x00]],
      [3584n * MiB, 64n * GiB, [0x80, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0xdf, 0x00, 0x00, 0x10]],
      [3584n * MiB, 1024n * GiB, [0x80, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0xdf, 0xff, 0xff, 0xff]],   // held to 24 bits
    ];
    for (const [below, above, want] of cases) {
      const r = rtc(epoch(2024, 6, 1));
      r.e.rtcPcLayout(r.d, below, above);
      expect([0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5b, 0x5c, 0x5d].map((i) => r.rd(i))).toEqual(want);
      expect(r.rd(0x14)).toBe(0x06);   // FPU, PS/2 mouse
    }
  });

  it("gives defined answers to garbage written to every register, allocating nothing, then works as before", () => {
    const r = rtc(epoch(2024, 6, 1));
    let x = 0x2545f491;
    const rnd = (n: number): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
    // Every value to every register once, then random traffic.
    for (let i = 0; i < 128; i++) for (let v = 0; v < 256; v++) r.wr(i, v);
    const used = r.e.heapCurrentUsed();
    for (let n = 0; n < 40000; n++) {
      switch (rnd(6)) {
        case 0: r.index(rnd(256)); break;
        case 1: r.e.devWrite(r.d, 1, 1, BigInt(rnd(256))); break;
        case 2: {
          const v = Number(r.e.devRead(r.d, 1, 1));
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThan(256);
          break;
        }
        case 3: r.at(r.now() + BigInt(rnd(300_000_000))); break;
        case 4:
          r.fire();
          // What is left armed is not yet due.
          if (r.armed() === 1) expect(r.deadline() > r.now()).toBe(true);
          break;
        default: {
          const i = [A, B, C, D][rnd(4)];
          const v = r.rd(i);
          if (i === C) expect(v & 0x0f).toBe(0);
          if (i === D) expect(v).toBe(0x80);
          if (i === A && (v & 0x70) !== DV_RUN) expect(v & UIP).toBe(0);
        }
      }
      expect(r.armed()).toBeLessThanOrEqual(1);
    }
    expect(r.e.heapCurrentUsed()).toBe(used);
    // Sane again: a PC's settings and a time set as Linux sets it.
    r.wr(A, 0x26);
    r.wr(B, H24);
    r.rd(C);
    for (const i of [SEC_ALARM, MIN_ALARM, HOUR_ALARM]) r.wr(i, 0xff);
    const set = epoch(2030, 1, 2, 3, 4, 5);
    r.setTime(set);
    expect(r.time()).toBe(set);
    r.wr(B, UIE | H24);
    r.next();
    expect(r.time()).toBe(set + 1n);
    expect(r.rd(C) & (IRQF | UF)).toBe(IRQF | UF);
  });
});

describe("MC146818 RTC: saved state", () => {
  // Reads that show the whole state, in a fixed order (C last: it clears).
  const READS = [A, B, D, SEC_ALARM, MIN_ALARM, HOUR_ALARM, 0x0e, 0x40, 0x7f, SEC, MIN, HOUR, WDAY, MDAY, MON, YEAR, CENTURY, C];
  const reads = (r: ReturnType<typeof rtc>): number[] => READS.map((i) => r.rd(i));

  function configured() {
    const r = rtc(epoch(2024, 6, 1, 12, 34, 50));
    expect(r.e.rtcLayoutCheck()).toBe(0);
    r.wr(A, DV_RUN | 10);   // 64 Hz
    r.wr(HOUR_ALARM, 12); r.wr(MIN_ALARM, 35); r.wr(SEC_ALARM, 0);
    r.wr(B, PIE | AIE | SQWE | DM | H24 | DSE);
    r.wr(0x0e, 0x5a); r.wr(0x40, 0xa5); r.wr(0x7f, 0x77);
    r.at(3n * GHZ + 123_456_789n);
    r.rd(C);
    r.index(0x8b);          // NMI masked, index at B
    return r;
  }

  it("a device saved, reset and restored answers the same reads and re-arms its timer", () => {
    const r = configured();
    const len = r.e.devSaveSize(r.d);
    expect(len).toBe(16 + r.e.RTC_BLOCK_SIZE.value);
    const deadline = r.deadline();
    r.e.devSave(r.d, BUF);
    const before = reads(r);
    r.index(0x8b);
    r.e.devReset(r.d);
    expect(r.e.rtcNmiMasked(r.d)).toBe(0);
    expect(r.armed()).toBe(0);
    expect(r.rd(B)).toBe(DM | H24 | DSE);   // the RESET pin clears PIE, AIE, UIE, SQWE
    expect(reads(r)).not.toEqual(before);
    expect(r.e.rtcTime(r.d)).toBe(BigInt(epoch(2024, 6, 1, 12, 34, 53)));   // the time goes on
    expect(r.m.readString(r.e.devRestore(r.d, BUF, len) >>> 0)).toBe("");
    expect(r.e.rtcNmiMasked(r.d)).toBe(1);
    expect(r.deadline()).toBe(deadline);
    expect(reads(r)).toEqual(before);
    // It goes on as it would have: the periodic interrupt, then the alarm at 12:35:00.
    r.e.devRestore(r.d, BUF, len);
    r.next();
    expect(r.rd(C)).toBe(IRQF | PF);
    r.at(10n * GHZ);                  // 12:35:00
    expect(r.fire()).toBe(1);
    expect(r.rd(C)).toBe(IRQF | PF | AF | UF);
    // Into another device on the same clock.
    const q = rtc(epoch(1980, 1, 1));
    q.at(3n * GHZ + 123_456_789n);
    q.m.bytes.set(r.m.bytes.subarray(BUF, BUF + len), BUF);
    expect(q.m.readString(q.e.devRestore(q.d, BUF, len) >>> 0)).toBe("");
    expect(q.deadline()).toBe(deadline);
    expect(reads(q)).toEqual(before);
  });

  it("re-arms the alarm's timer on restore, for the second it matches", () => {
    const r = rtc(epoch(2024, 6, 1, 23, 59, 0));
    r.wr(A, DV_RUN);
    r.wr(HOUR_ALARM, 0x00); r.wr(MIN_ALARM, 0x00); r.wr(SEC_ALARM, 0x00);
    r.wr(B, AIE | H24);
    r.at(12n * GHZ + 5n);
    expect(r.deadline()).toBe(60n * GHZ);
    const len = r.e.devSaveSize(r.d);
    r.e.devSave(r.d, BUF);
    r.e.devReset(r.d);
    expect(r.armed()).toBe(0);
    expect(r.m.readString(r.e.devRestore(r.d, BUF, len) >>> 0)).toBe("");
    expect(r.deadline()).toBe(60n * GHZ);
    r.next();
    expect(r.level()).toBe(true);
    expect(r.clock().mday).toBe(0x02);
  });

  it("restores a raised line and a halted clock as they were", () => {
    const r = rtc(epoch(2024, 6, 1, 12));
    r.wr(B, SET | PIE | H24);
    r.wr(SEC, 0x42);
    r.next();
    expect(r.level()).toBe(true);
    const len = r.e.devSaveSize(r.d);
    r.e.devSave(r.d, BUF);
    r.e.devReset(r.d);
    expect(r.level()).toBe(false);
    expect(r.m.readString(r.e.devRestore(r.d, BUF, len) >>> 0)).toBe("");
    expect(r.level()).toBe(true);
    expect(r.armed()).toBe(0);
    r.at(30n * GHZ);
    expect(r.rd(SEC)).toBe(0x42);
    expect(r.rd(C)).toBe(IRQF | PF);
  });

  it("check() refuses a block the chip cannot be in, naming what is wrong, and nothing changes", () => {
    const r = configured();
    const len = r.e.devSaveSize(r.d);
    r.e.devSave(r.d, BUF);
    const view = new DataView(r.m.memory.buffer);
    const HDR = 16, CMOS = HDR + 40;
    const deadline = r.deadline();
    const corrupt = (what: (at: number) => void): string => {
      r.e.devSave(r.d, BUF);
      what(BUF);
      return r.m.readString(r.e.devRestore(r.d, BUF, len) >>> 0) ?? "";
    };
    const snapshot = (): number[] => [r.rd(0x0e), r.rd(0x40), r.rd(B), r.rd(A), r.rd(D)];
    const was = snapshot();
    expect(corrupt((b) => view.setUint16(b + HDR + 34, 1, true))).toBe("mc146818 state: reserved fields not 0");
    expect(corrupt((b) => view.setUint32(b + HDR + 36, 1, true))).toBe("mc146818 state: reserved fields not 0");
    expect(corrupt((b) => view.setUint8(b + HDR + 32, 0x80))).toBe("mc146818 state: index above 0x7f");
    expect(corrupt((b) => view.setUint8(b + HDR + 33, 2))).toBe("mc146818 state: NMI mask neither 0 nor 1");
    expect(corrupt((b) => view.setUint8(b + CMOS + A, 0xa6))).toBe("mc146818 state: register A holds UIP, which is never stored");
    expect(corrupt((b) => view.setUint8(b + CMOS + C, 0x01))).toBe("mc146818 state: register C holds more than PF, AF and UF");
    expect(corrupt((b) => view.setUint8(b + CMOS + C, 0x80))).toBe("mc146818 state: register C holds more than PF, AF and UF");
    expect(corrupt((b) => view.setUint8(b + CMOS + D, 0x00))).toBe("mc146818 state: register D is not VRT alone");
    expect(corrupt((b) => view.setBigInt64(b + HDR + 8, 1n << 62n, true))).toBe("mc146818 state: time out of range");
    expect(corrupt((b) => view.setBigInt64(b + HDR + 8, -(1n << 62n), true))).toBe("mc146818 state: time out of range");
    expect(corrupt((b) => view.setBigUint64(b + HDR + 24, GHZ + 1n, true))).toBe("mc146818 state: divider position out of range");
    expect(corrupt((b) => { view.setUint8(b + CMOS + A, 0x06); view.setBigUint64(b + HDR + 24, 0n, true); }))
      .toBe("mc146818 state: divider position out of range");
    expect(snapshot()).toEqual(was);
    expect(r.deadline()).toBe(deadline);
    // The block as saved still restores.
    expect(corrupt(() => {})).toBe("");
  });
});
