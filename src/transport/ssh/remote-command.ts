/**
 * What runs on the machine around a command: the wrapper every command's exec request is, its
 * markers, the probe for `setsid -w`, and the script that kills a command's process group.
 *
 * How a command runs on the machine (see remoteCommand):
 *   login shell -c 'exec setsid -w bash --noprofile --norc -c MARK_AND_RUN bash COMMAND'
 *   setsid makes a new session, so a new process group whose id is that bash's PID; the bash prints
 *   "\x1erb-start\x1e" on stderr and "\x1erb-pgid:<its pid>\x1e" on stdout, then evals COMMAND.
 *   Everything before the markers (login shell noise from rc files) is dropped. `setsid -w` waits and
 *   passes the exit status on. Machines without `setsid -w` get PORTABLE_WRAPPER (probed once per
 *   connection).
 *   To kill (timeout, AbortSignal, close()): a second exec on the same connection runs
 *   `kill -STOP/-TERM/-CONT -- -PGID`, then SIGKILL after the grace period if a member is still alive.
 *   The wrapper sees its child die and the channel closes; exec resolves with code null. (Closing an
 *   ssh channel without a pty does not stop the remote command, and the ssh "signal" request is
 *   refused for root logins, so neither is used.) A process that left the group on purpose (its own
 *   setsid, a daemon) is not killed.
 *
 * Quoting: every script quoted here for `bash -c` has spaces and newlines, so shellQuote single-quotes
 * it whole (it leaves only safe words and a leading `~/` bare, which none of these scripts is).
 */
import { shellQuote } from "../../util/shell-quote.ts";
import { PROCESS_ID, READ_AND_RUN } from "../script-on-stdin.ts";

/** Markers are framed by the ASCII record separator: `\x1erb-pgid:123:…\x1e` and `\x1erb-start\x1e`. */
export const RS = "\x1e";
export const STDOUT_MARKER = `${RS}rb-pgid:`;
export const STDERR_MARKER = `${RS}rb-start`;

/**
 * Prints the markers (the group id, with what tells this process from a later one with the same PID),
 * then runs the script that arrives on standard input (see READ_AND_RUN).
 */
const MARK_AND_RUN = `printf '\\036rb-start\\036' >&2
${PROCESS_ID}
printf '\\036rb-pgid:%s:%s\\036' "$$" "$__rb_id"
${READ_AND_RUN}`;

/**
 * For machines without `setsid -w` (util-linux before 2.27, or no util-linux): bash starts the
 * command in the background under setsid (a background job of a non-interactive shell is not a group
 * leader, so setsid does not fork and $! is the new group's id), hands it stdin and waits for it.
 * Without setsid at all, the command runs in the session sshd made for the channel (OpenSSH calls
 * setsid for every session), whose group id is the shell's PID.
 */
const PORTABLE_WRAPPER = `if command -v setsid >/dev/null 2>&1; then
  exec 3<&0
  setsid bash --noprofile --norc -c ${shellQuote(MARK_AND_RUN)} bash <&3 3<&- &
  exec 3<&- </dev/null
  wait "$!"
else
  ${MARK_AND_RUN}
fi`;

export type WrapperKind = "setsid-wait" | "portable";

/**
 * The exec request: bash runs, in a new session (so a new process group), the script that the
 * transport then writes to the channel's standard input, and reports the group id on stdout before
 * anything else. The request itself is the same for every command: no command, value or secret ever
 * stands on a command line on the machine. With "setsid-wait" the login shell execs `setsid -w bash`
 * directly (one shell less: about 4 ms per command on a small machine).
 */
export function remoteCommand(kind: WrapperKind = "portable"): string {
  if (kind === "portable") return `exec bash --noprofile --norc -c ${shellQuote(PORTABLE_WRAPPER)} bash`;
  // setsid's own complaint when its child is killed ("setsid: child 123 did not exit normally") is
  // not the command's output: setsid's stderr goes nowhere, the command gets the channel's back.
  return `exec setsid -w bash --noprofile --norc -c ${shellQuote(`exec 2>&3 3>&-
${MARK_AND_RUN}`)} bash 3>&2 2>/dev/null`;
}

/** Asks the login shell whether `setsid -w` works there. */
export const PROBE = "setsid -w true </dev/null >/dev/null 2>&1 && echo rb-setsid-w";

/** What the login shell prints for PROBE where `setsid -w` works. */
export function wrapperFromProbe(out: string): WrapperKind {
  return out.includes("rb-setsid-w") ? "setsid-wait" : "portable";
}

/**
 * SIGTERM to the group (frozen meanwhile, so no member runs on between the signals), then SIGKILL once
 * the grace period is over; zombies do not count as alive.
 */
export function killCommand(pgid: number, graceMs: number): string {
  const rounds = Math.max(1, Math.ceil(graceMs / 50));
  const script = `p=${pgid}
kill -STOP -- -$p 2>/dev/null || exit 0
kill -TERM -- -$p 2>/dev/null
kill -CONT -- -$p 2>/dev/null
alive() {
  if command -v ps >/dev/null 2>&1; then
    ps -e -o pgid= -o stat= 2>/dev/null | awk -v p="$p" '$1 == p && $2 !~ /^Z/ { f = 1 } END { exit !f }'
  else
    kill -0 -- -$p 2>/dev/null
  fi
}
i=0
while alive; do
  i=$((i+1))
  if [ "$i" -ge ${rounds} ]; then kill -KILL -- -$p 2>/dev/null; exit 0; fi
  sleep 0.05
done`;
  return `exec bash --noprofile --norc -c ${shellQuote(script)}`;
}
