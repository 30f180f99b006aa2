// The shell's line editor (dom0/lineedit.ts) on Domain 0's compiled wasm:
// key sequences and the line they leave, and the echo replayed on a tiny
// terminal model (BS moves left, ESC[K clears to the end of the line, other
// bytes overwrite and move right) which must always show the line with the
// cursor where the editor has it.
import { describe, expect, it } from "vitest";
import { Dom0 } from "../sim/dom0";

const LE_NONE = 0, LE_LINE = 1, LE_CANCEL = 2;
const LINE_MAX = 1024, HISTORY_MAX = 16;
const UP = "\x1b[A", DOWN = "\x1b[B", RIGHT = "\x1b[C", LEFT = "\x1b[D";
const HOME = "\x1b[H", END = "\x1b[F", DEL = "\x1b[3~";

// A one-line terminal.
class Screen {
  text: string[] = [];
  col = 0;
  bells = 0;
  apply(bytes: number[]): void {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      if (c === 8) this.col = Math.max(0, this.col - 1);
      else if (c === 7) this.bells++;
      else if (c === 0x1b && bytes[i + 1] === 0x5b && bytes[i + 2] === 0x4b) {
        this.text.length = this.col;
        i += 2;
      } else if (c === 13 || c === 10) {
        // the caller checks line ends separately
      } else {
        this.text[this.col++] = String.fromCharCode(c);
      }
    }
  }
  get line(): string { return this.text.join(""); }
}

class Editor {
  readonly d = new Dom0();
  readonly screen = new Screen();
  readonly results: number[] = [];
  lines: string[] = [];
  lastEcho: number[] = [];
  constructor() { this.d.exports.leClearHistory(); }
  keys(s: string | number[]): this {
    const bytes = typeof s === "string" ? [...Buffer.from(s, "latin1")] : s;
    for (const b of bytes) {
      const r = this.d.exports.leKey(b);
      const p = this.d.exports.leEcho() >>> 0, n = this.d.exports.leEchoLen();
      this.lastEcho = [...this.d.bytes.subarray(p, p + n)];
      this.results.push(r);
      if (r === LE_LINE) {
        this.lines.push(this.line);
        this.d.exports.leReset();
        this.screen.text = [];
        this.screen.col = 0;
      } else if (r === LE_CANCEL) {
        this.d.exports.leReset();
        this.screen.text = [];
        this.screen.col = 0;
      } else {
        this.screen.apply(this.lastEcho);
        // The terminal shows exactly the line, the cursor where the editor has it.
        expect(this.screen.line).toBe(this.line);
        expect(this.screen.col).toBe(this.cursor);
      }
    }
    return this;
  }
  get line(): string {
    const p = this.d.exports.lePtr() >>> 0;
    return Buffer.from(this.d.bytes.subarray(p, p + this.d.exports.leLen())).toString("latin1");
  }
  get cursor(): number { return this.d.exports.leCursor(); }
}

describe("line editor", () => {
  it("echoes printable characters and completes a line on Enter with CR LF", () => {
    const e = new Editor().keys("list -a");
    expect(e.line).toBe("list -a");
    e.keys("\r");
    expect(e.lines).toEqual(["list -a"]);
    expect(e.lastEcho).toEqual([13, 10]);
    expect(e.results.filter((r) => r === LE_LINE)).toHaveLength(1);
  });

  it("counts CR LF as one Enter, and takes a lone CR or a lone LF", () => {
    const e = new Editor().keys("a\r\nb\rc\n\r\nd\n");
    expect(e.lines).toEqual(["a", "b", "c", "", "d"]);
  });

  it("backspace (DEL and BS) deletes left of the cursor; at the start it does nothing", () => {
    const e = new Editor().keys([0x7f, 0x08]);
    expect(e.line).toBe("");
    expect(e.lastEcho).toEqual([]);
    e.keys("lisst").keys([0x7f, 0x7f]).keys("t");
    expect(e.line).toBe("list");
    e.keys(LEFT + LEFT).keys([0x08]);
    expect(e.line).toBe("lst");
    expect(e.cursor).toBe(1);
    e.keys(HOME).keys([0x7f]);
    expect(e.line).toBe("lst");
  });

  it("Ctrl-U deletes from the line start to the cursor", () => {
    const e = new Editor().keys("destroy 12").keys([0x15]);
    expect(e.line).toBe("");
    e.keys("pause counter").keys(LEFT.repeat(7)).keys([0x15]);
    expect(e.line).toBe("counter");
    expect(e.cursor).toBe(0);
    e.keys([0x15]);
    expect(e.line).toBe("counter");
  });

  it("Ctrl-C abandons the line with ^C and starts a new one", () => {
    const e = new Editor().keys("create foo");
    e.keys([3]);
    expect(e.results.at(-1)).toBe(LE_CANCEL);
    expect(e.lastEcho).toEqual([0x5e, 0x43, 13, 10]);
    expect(e.line).toBe("");
    e.keys("list\r");
    expect(e.lines).toEqual(["list"]);
  });

  it("left and right arrows move the cursor; typing in the middle inserts", () => {
    const e = new Editor().keys("lst").keys(LEFT + LEFT).keys("i");
    expect(e.line).toBe("list");
    expect(e.cursor).toBe(2);
    e.keys(RIGHT + RIGHT + RIGHT + RIGHT);
    expect(e.cursor).toBe(4);
    e.keys(LEFT.repeat(9));
    expect(e.cursor).toBe(0);
    e.keys("x");
    expect(e.line).toBe("xlist");
  });

  it("Home, End, Delete, Ctrl-A, Ctrl-E, Ctrl-K and the ESC O forms of the arrows", () => {
    const e = new Editor().keys("info dom0").keys(HOME);
    expect(e.cursor).toBe(0);
    e.keys(DEL);
    expect(e.line).toBe("nfo dom0");
    e.keys(END);
    expect(e.cursor).toBe(8);
    e.keys([1]);
    expect(e.cursor).toBe(0);
    e.keys([5]);
    expect(e.cursor).toBe(8);
    e.keys("\x1bOD\x1bOD\x1bOD\x1bOD").keys([0x0b]);
    expect(e.line).toBe("nfo ");
    e.keys("\x1b[1~");
    expect(e.cursor).toBe(0);
    e.keys("\x1b[4~");
    expect(e.cursor).toBe(4);
  });

  it("ignores unknown escape sequences and control characters", () => {
    const e = new Editor().keys("ab").keys("\x1b[5~\x1b[2J\x1bx\t").keys([0x02, 0x0e, 0x80, 0xff]);
    expect(e.line).toBe("ab");
    expect(e.lines).toEqual([]);
  });

  it("up and down walk the history; the line being typed comes back at the bottom", () => {
    const e = new Editor().keys("one\rtwo\rthree\r").keys("fo");
    e.keys(UP);
    expect(e.line).toBe("three");
    e.keys(UP + UP);
    expect(e.line).toBe("one");
    e.keys(UP);
    expect(e.line).toBe("one");
    e.keys(DOWN);
    expect(e.line).toBe("two");
    e.keys(DOWN + DOWN);
    expect(e.line).toBe("fo");
    e.keys(DOWN);
    expect(e.line).toBe("fo");
    // A recalled line can be edited and entered; the history keeps the original.
    e.keys([0x15]).keys(UP + UP).keys([0x7f]).keys("o\r");
    expect(e.lines.at(-1)).toBe("two");
    e.keys(UP);
    expect(e.line).toBe("two");
    e.keys(UP);
    expect(e.line).toBe("three");
  });

  it("keeps the last 16 lines, not storing a repeat of the newest or an empty line", () => {
    const e = new Editor();
    for (let i = 1; i <= 20; i++) e.keys(`cmd${i}\r`);
    e.keys("cmd20\r\r\r");
    for (let i = 0; i < HISTORY_MAX + 3; i++) e.keys(UP);
    expect(e.line).toBe("cmd5");
    e.keys(DOWN);
    expect(e.line).toBe("cmd6");
  });

  it("a full line rings the bell and keeps what it has", () => {
    const e = new Editor().keys("x".repeat(LINE_MAX));
    e.keys("y");
    expect(e.line).toBe("x".repeat(LINE_MAX));
    expect(e.screen.bells).toBe(1);
    e.keys(HOME).keys("z");
    expect(e.line.length).toBe(LINE_MAX);
  });

  it("redraw shows the line and puts the cursor back", () => {
    const e = new Editor().keys("pause x").keys(LEFT + LEFT);
    e.d.exports.leRedraw();
    const p = e.d.exports.leEcho() >>> 0, n = e.d.exports.leEchoLen();
    const s = new Screen();
    s.apply([...e.d.bytes.subarray(p, p + n)]);
    expect(s.line).toBe("pause x");
    expect(s.col).toBe(5);
  });

  it("random key sequences keep the terminal and the editor in step", () => {
    let seed = 12345;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n; // Park-Miller
    const keys = ["a", "b", " ", "=", LEFT, RIGHT, HOME, END, DEL, "\x7f", "\x08", "\x15", "\x0b", UP, DOWN, "\r"];
    const e = new Editor();
    for (let i = 0; i < 3000; i++) e.keys(keys[rand(keys.length)]);
    expect(e.lines.length).toBeGreaterThan(50);
  });
});
