// The one shape of every shell command error: `<command>: <problem>`.
import { putsln } from "./uart";

export function fail(cmd: string, message: string): void {
  putsln(cmd + ": " + message);
}

// A wrong number or kind of arguments: the command's usage.
export function usageError(cmd: string, usage: string): void {
  fail(cmd, "usage: " + cmd + (usage.length != 0 ? " " + usage : " (no arguments)"));
}
