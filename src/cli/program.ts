import { Command, CommanderError, Option } from "commander";
import { formatWarning, RunbookError, RunbookErrors } from "../model/errors.ts";
import { plural } from "../util/plural.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";

const EXIT_HELP = `
Exit codes:
  0   done
  1   a step failed
  2   invalid input: bad arguments, a runbook or inventory with errors
  3   aborted by the operator
  4   refused: lock held, host key unknown or changed, saved plan out of date
  5   nothing ran: no machine matched, or every check was not applicable
  70  internal error (a bug: please report it with the output)
`;

/** Parses argv and runs one command; returns the exit code instead of exiting. */
export async function runCli(argv: string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const set = (c: ExitCode) => {
    code = c;
  };
  const program = new Command("runbook")
    .description("Walk an operator through Markdown runbooks, step by step, on one or many machines.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  addReviewCommands(program, io, set);
  addRunCommands(program, io, set);
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    return reportError(e, io);
  }
}

type SetCode = (code: ExitCode) => void;

const INVENTORY_HELP = "machines (default: $RUNBOOK_INVENTORY or runbooks/inventories/local.yaml)";
const LIMIT_HELP = "only these machines, inventory groups or roles (comma separated)";

/** list, check, plan: nothing runs. */
function addReviewCommands(program: Command, io: Io, set: SetCode): void {
  program
    .command("list")
    .description("list the runbooks under a directory (default: the shipped runbooks/)")
    .argument("[dir]", "directory to search")
    .action(async (dir?: string) => set(await (await import("./commands/list.ts")).listCommand(io, dir)));

  program
    .command("check")
    .description(
      "parse runbooks and report every problem as file:line:col with what to do (default: every shipped runbook)",
    )
    .argument("[file...]", "runbook files, or directories of runbooks")
    .option(
      "-i, --inventory <file>",
      "also plan against this inventory, to catch missing machines and values",
    )
    .option("--var <name=value>", "set a variable (repeatable)", collect, [])
    .addHelpText("after", EXIT_HELP)
    .action(async (files: string[], opts: { inventory?: string; var: string[] }) =>
      set(await (await import("./commands/check.ts")).checkCommand(io, files, opts)),
    );

  program
    .command("plan")
    .description("resolve a runbook against an inventory and show, per machine, exactly what would run")
    .argument("<file>", "runbook file")
    .option("-i, --inventory <file>", INVENTORY_HELP)
    .option("--var <name=value>", "set a variable (repeatable)", collect, [])
    .option("--limit <machines>", LIMIT_HELP)
    .option("--json", "print the plan as JSON instead of the review")
    .option("-o, --out <file>", "also save the plan as JSON, to run it later exactly as reviewed")
    .addOption(new Option("--no-color", "plain text even on a terminal"))
    .addHelpText("after", EXIT_HELP)
    .action(async (file: string, opts) =>
      set(await (await import("./commands/plan.ts")).planCommand(io, file, opts)),
    );

  program
    .command("import")
    .description(
      "turn a document people follow by hand (GitBook page, wiki, README) into a runbook to review; nothing runs",
    )
    .argument("<doc>", "Markdown document")
    .option("-o, --out <file>", "write the runbook here (default: stdout)")
    .option(
      "--role <label=role>",
      "the document's machine LABEL plays this role of your inventory: --role A=broker-a (repeatable)",
      collect,
      [],
    )
    .addHelpText("after", EXIT_HELP)
    .action(async (doc: string, opts: { out?: string; role: string[] }) =>
      set((await import("./commands/import.ts")).importCommand(io, doc, opts)),
    );
}

/** The options run and resume share. */
function runOptions(cmd: Command): Command {
  return cmd
    .option("-y, --yes", "run without asking: confirms read and change steps (headless, plain output)")
    .option(
      "--confirm <word>",
      "with --yes: the word that lets destructive steps run (repeat it for steps with different words)",
      collect,
      [],
    )
    .option(
      "--auto-read",
      "in the terminal UI: run read-only steps without asking (the a key turns it off and on)",
    )
    .option("--from <step>", "start at this step id (earlier steps are skipped and journaled as such)")
    .option("--only <steps>", "run only these step ids (comma separated)")
    .option("--json", "print the event stream as JSON lines")
    .option(
      "--rollback-on-failure",
      "with --yes: when a step fails, roll it back, then the completed steps, newest first",
    )
    .option("--forks <n>", "machines acted on at once: commands, logins, rollbacks (default 16)")
    .addOption(new Option("--parallel <n>", "the same as --forks").hideHelp())
    .option("--break-lock", "take over machine locks whose runner is gone (a crashed run on this host)")
    .addOption(
      new Option(
        "--unknown <what>",
        "on resume, machines whose step state is unknown: rerun, done or abort",
      ).choices(["rerun", "done", "abort"]),
    )
    .addHelpText("after", EXIT_HELP);
}

/** run, resume, log. */
function addRunCommands(program: Command, io: Io, set: SetCode): void {
  runOptions(
    program
      .command("run")
      .description("run a runbook (or a saved plan.json, refused if anything changed since it was reviewed)")
      .argument("<file>", "runbook file or saved plan")
      .option("-i, --inventory <file>", INVENTORY_HELP)
      .option("--var <name=value>", "set a variable (repeatable)", collect, [])
      .option("--limit <machines>", LIMIT_HELP)
      .option("--dry-run", "browse the whole plan, per machine, in the terminal UI; nothing runs"),
  ).action(async (file: string, opts) =>
    set(await (await import("./commands/run.ts")).runCommand(io, file, opts)),
  );

  runOptions(
    program
      .command("resume")
      .description(
        "continue a stopped or crashed run, per machine, from its journal (default: the newest run)",
      )
      .argument("[run]", "run id"),
  ).action(async (run: string | undefined, opts) =>
    set(await (await import("./commands/run.ts")).resumeCommand(io, run, { ...opts, var: [] })),
  );

  program
    .command("log")
    .description("list the runs, or replay one run's journal (--timeline: as a Markdown incident timeline)")
    .argument("[run]", "run id")
    .option("--timeline", "export the run as a Markdown incident timeline")
    .action(async (run: string | undefined, opts: { timeline?: boolean }) =>
      set(await (await import("./commands/log.ts")).logCommand(io, run, opts)),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Every failure ends here: user mistakes as messages, anything else as a bug report. */
export function reportError(e: unknown, io: Io): ExitCode {
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help")
      return EXIT.ok;
    return EXIT.invalidInput;
  }
  if (e instanceof RunbookErrors) {
    for (const w of e.warnings) io.err(`${formatWarning(w, io.cwd)}\n`);
    for (const err of e.errors) io.err(`${err.format(io.cwd)}\n`);
    io.err(`${plural(e.errors.length, "problem")} found\n`);
    return EXIT.invalidInput;
  }
  if (e instanceof RunbookError) {
    const refused = e.code === "plan" || e.code === "refused";
    io.err(`${refused ? "refused" : "error"}: ${e.format(io.cwd)}\n`);
    return refused ? EXIT.refused : EXIT.invalidInput;
  }
  io.err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.internal;
}

export const VERSION = "0.1.0";
