/**
 * Running a script as another user of the machine (`become:` in the inventory, `as=` on an action),
 * with sudo. What the transport sends stays one script on standard input; this module wraps it:
 *
 *   login user's bash:   sudo -n -u USER true works?  then  printf SCRIPT | sudo -n -u USER -H -- bash -c AS_USER
 *                        else, with a password:      { printf PASSWORD\n; printf SCRIPT; } | sudo -S -k -p '' …
 *   USER's bash (AS_USER): reads SCRIPT from stdin, runs it in the background and waits, so that a
 *                        SIGTERM (sudo relays the one the transport sends the process group) reaches
 *                        its trap, which signals every process of USER in the group, and SIGKILLs
 *                        what is left after the grace period: the login user cannot signal USER's
 *                        processes, and sudo relays a signal to its child only.
 *
 * The script and the password reach the machine inside the script the transport writes to the
 * command's standard input: never on a command line (`printf` is a builtin), never in the plan or the
 * journal. `-k` makes sudo read the password even where it has cached credentials, so the password
 * line is never taken for the script; the password was checked before the run (see becomeCheck).
 */
import { USER_NAME } from "../model/inventory.ts";
import { shellLiteral, shellQuote } from "../util/shell-quote.ts";
import { type Transport, TransportError } from "./transport.ts";

export interface Become {
  user: string;
  /** The sudo password, when sudo asks for one there (never journaled or shown). */
  password?: string;
}

/** Exit code of a script that could not become its user (sudo refused). */
export const BECOME_FAILED = 125;

function userShell(graceMs: number): string {
  const grace = Math.max(1, Math.ceil(graceMs / 1000));
  return `__rb_s=$(cat) || exit ${BECOME_FAILED}
exec </dev/null
__rb_stop() {
  trap '' TERM
  (sleep ${grace}; kill -KILL 0) </dev/null >/dev/null 2>&1 &
  kill -TERM 0 2>/dev/null
}
trap __rb_stop TERM
(eval "unset __rb_s; $__rb_s
") &
__rb_c=$!
wait "$__rb_c"; __rb_st=$?
while kill -0 "$__rb_c" 2>/dev/null; do wait "$__rb_c"; __rb_st=$?; done
exit "$__rb_st"`;
}

function sudo(user: string, withPassword: boolean): string {
  const u = shellQuote(user);
  return withPassword ? `sudo -S -k -p '' -u ${u} -H --` : `sudo -n -u ${u} -H --`;
}

/** `script`, to be run by the login user's bash, running as `become.user`. */
export function becomeScript(script: string, become: Become, graceMs: number): string {
  if (!USER_NAME.test(become.user)) throw new Error(`not a user name: ${become.user}`);
  const run = `bash --noprofile --norc -c ${shellQuote(userShell(graceMs))} bash`;
  const u = shellQuote(become.user);
  const fail = `echo "runbook: cannot become ${become.user} here: sudo needs a password" >&2; exit ${BECOME_FAILED}`;
  const withPassword =
    become.password === undefined
      ? fail
      : `__rb_p=${shellLiteral(become.password)}
  { printf '%s\\n' "$__rb_p"; printf '%s' "$__rb_b"; } | ${sudo(become.user, true)} ${run}`;
  return `__rb_b=${shellLiteral(script)}
if sudo -n -u ${u} -H true 2>/dev/null; then
  printf '%s' "$__rb_b" | ${sudo(become.user, false)} ${run}
else
  ${withPassword}
fi
`;
}

/**
 * Checks that the machine's sudo lets the login user become `user`: exit 0 without a password, 10 when
 * it needs one and none is given, 11 when it refused the password given.
 */
export function becomeCheck(user: string, password?: string): string {
  const u = shellQuote(user);
  const tryPassword =
    password === undefined
      ? "exit 10"
      : `printf '%s\\n' ${shellLiteral(password)} | sudo -S -k -p '' -u ${u} -H true 2>/dev/null && exit 0
  exit 11`;
  return `if ! command -v sudo >/dev/null 2>&1; then echo "sudo is not installed" >&2; exit 12; fi
if sudo -n -u ${u} -H true 2>/dev/null; then exit 0; else
  ${tryPassword}
fi
`;
}

/**
 * Writes a file as the user the script runs as (the file is then theirs): the content is a quoted
 * word of the script, so it too reaches the machine on standard input only. Relative paths and `~/`
 * are that user's home, as for an upload; the content goes to a temporary file renamed over the path.
 */
export function writeFileScript(path: string, content: string, mode: number): string {
  return `cd || exit 1
__rb_f=${shellQuote(path)}
__rb_d=$(dirname -- "$__rb_f")
mkdir -p -- "$__rb_d" || exit 1
__rb_t="$__rb_d/.$(basename -- "$__rb_f").runbook-$$.tmp"
if printf '%s' ${shellLiteral(content)} > "$__rb_t" && chmod ${mode.toString(8).padStart(4, "0")} "$__rb_t" && mv -f -- "$__rb_t" "$__rb_f"; then exit 0; fi
rm -f -- "$__rb_t"
exit 1
`;
}

/** An upload as `become.user`: the file written by a script run as that user, failures as upload-failed. */
export async function uploadAs(
  t: Transport,
  path: string,
  content: string,
  mode: number,
  become: Become,
): Promise<void> {
  let stderr = "";
  const r = await t.exec(writeFileScript(path, content, mode), {
    become,
    timeoutMs: 60_000,
    onStderr: (c) => {
      stderr += c;
    },
  });
  if (r.code !== 0) {
    const why = stderr.trim().split("\n").slice(-3).join("; ") || `exit ${r.code ?? "killed"}`;
    throw new TransportError(
      "upload-failed",
      `cannot write ${path} on ${t.host} as ${become.user}: ${why}`,
      t.host,
    );
  }
}

/** `t`, with every command and file as `become.user` (the actions of `as=`, a machine's `become:`). */
export function asUser(t: Transport, become: Become): Transport {
  return {
    host: t.host,
    exec: (script, opts = {}) => t.exec(script, { ...opts, become }),
    upload: (path, content, mode) => t.upload(path, content, mode, become),
    open: () => t.open(),
    // The machine's connection is the run's, not this action's: closing it is the session's job.
    close: async () => {},
  };
}
