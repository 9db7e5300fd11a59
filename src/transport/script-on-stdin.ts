/**
 * How a transport runs a script: bash reads the whole script from its standard input, gives the
 * script a standard input of /dev/null, and evaluates it. Shared by the local and the ssh transport,
 * so a step behaves the same on both, and no command (or value in it) ever stands on a command line
 * that `ps` shows other users. (`cat`, not `$(</dev/stdin)`: under Bun the pipe is a socket, which
 * /dev/stdin cannot open.)
 */
export const READ_AND_RUN = `__rb_s=$(cat) || exit 125
exec </dev/null
eval "unset __rb_s; $__rb_s
"`;

/**
 * Shell that sets variable `into` to what tells process `pid` (a shell expression) from a later
 * process with the same PID: its start time (clock ticks since boot) and the kernel's boot id, where
 * /proc has them, else "". Builtins only: no fork.
 */
export function processIdOf(pid: string, into: string): string {
  return `${into}=
if [ -r /proc/${pid}/stat ]; then
  read -r ${into} </proc/${pid}/stat; ${into}=\${${into}##*) }; set -- $${into}; ${into}=\${20}; set --
  if [ -r /proc/sys/kernel/random/boot_id ]; then read -r __rb_b </proc/sys/kernel/random/boot_id; ${into}="$${into}@$__rb_b"; unset __rb_b; fi
fi`;
}

/** The wrapper's own identity, in `__rb_id`. */
export const PROCESS_ID = processIdOf("$$", "__rb_id");
