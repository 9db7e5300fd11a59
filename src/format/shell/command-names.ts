/** The commands whose arguments (or standard input) another parser reads as code. */

export const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "yash", "fish", "busybox"]);
/** Interpreters that run code given with a flag (`python3 -c CODE`) or on standard input. */
export const INTERPRETERS: Record<string, string[]> = {
  python: ["-c"],
  python2: ["-c"],
  python3: ["-c"],
  perl: ["-e", "-E"],
  ruby: ["-e"],
  node: ["-e", "-p", "--eval", "--print"],
  bun: ["-e", "--eval", "-p", "--print"],
  php: ["-r"],
  lua: ["-e"],
  tclsh: [],
  jshell: [],
};
export const AWKS = new Set(["awk", "gawk", "mawk", "nawk", "busybox-awk"]);
/** Commands that run the rest of their words as another command (their own options skipped). */
export const PREFIXES = new Set([
  "sudo",
  "doas",
  "env",
  "nohup",
  "exec",
  "command",
  "builtin",
  "nice",
  "ionice",
  "time",
  "timeout",
  "setsid",
  "stdbuf",
  "chrt",
  "taskset",
  "xargs",
  "flock",
  "unbuffer",
]);
/** Options of those prefixes that take the next word as their value. */
export const PREFIX_ARGS: Record<string, string[]> = {
  sudo: ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "-R"],
  doas: ["-u", "-C"],
  env: ["-u", "-C", "-S"],
  nice: ["-n"],
  ionice: ["-c", "-n", "-p"],
  timeout: ["-s", "-k", "--signal", "--kill-after"],
  stdbuf: ["-i", "-o", "-e"],
  xargs: ["-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a"],
  flock: ["-w", "-E", "--timeout", "--conflict-exit-code"],
};
export const SSH_ARGS = new Set("BbcDEeFIiJLlmOopQRSWw".split("").map((c) => `-${c}`));

export function basename(word: string): string {
  return word.slice(word.lastIndexOf("/") + 1);
}
