import { render } from "ink";
import { type DecisionSource, withSecrets } from "../engine/decisions.ts";
import type { EngineEvent } from "../engine/events.ts";
import type { Plan } from "../model/plan.ts";
import { App } from "../ui/app.tsx";
import type { Mode } from "../ui/components/header.tsx";
import { VariablePrompt } from "../ui/components/variable-prompt.tsx";
import { DecisionBridge } from "../ui/decision-bridge.ts";
import { RunStore } from "../ui/run-store.ts";
import { runSummary } from "../ui/run-summary.ts";
import { COLOR_THEME, NO_COLOR_THEME, type Theme } from "../ui/theme.ts";
import type { PromptVariable } from "../ui/variable-prompt-state.ts";
import type { Io } from "./io.ts";

/** Where a run's decisions come from and its events go: the terminal UI or the headless reporter. */
export interface FrontEnd {
  decisions: DecisionSource;
  emit(e: EngineEvent): void;
  /** Resolves when the front end is done (the operator closed the UI). */
  finished(): Promise<void>;
  /** The run ended in an error: take the screen down at once, so the error can be read. */
  abandon(): void;
}

export interface InteractiveOptions {
  /** user@host, journaled with every decision. */
  who: string;
  /** The inventory as shown in the header. */
  inventory: string;
  /** The journaled events of the run being resumed: its state and output are shown again. */
  earlierEvents?: readonly EngineEvent[];
  /** Secrets already known (from the environment, or asked before the UI opened). */
  secrets: Record<string, string>;
  /** Read-only steps run without asking from the start (--auto-read; the a key toggles it). */
  autoRead: boolean;
  /** Stops the run: its running commands are stopped and it stays resumable. */
  stop(): void;
  /** Aborted by a signal from outside (SIGTERM, a hung-up terminal). */
  interrupted?: AbortSignal;
}

/** Renders the UI on the terminal and answers the engine's questions from the operator's keys. */
export async function startInteractive(io: Io, plan: Plan, opts: InteractiveOptions): Promise<FrontEnd> {
  const bridge = new DecisionBridge(opts.who);
  bridge.setAutoRead(opts.autoRead);
  // A signal (SIGTERM, a hung-up terminal) must not leave the engine waiting on a question nobody sees.
  opts.interrupted?.addEventListener("abort", () => bridge.abortAll(), { once: true });
  const store = new RunStore(50, opts.earlierEvents);
  const app = renderApp(io, plan, opts.earlierEvents ? "RESUMED" : "LIVE", opts.inventory, {
    store,
    bridge,
    onQuit: opts.stop,
    autoRead: opts.autoRead,
  });
  return {
    // Secrets already given (from the environment, or asked before the screen opened) are not asked again.
    decisions: withSecrets(bridge, opts.secrets),
    emit: store.push,
    finished: async () => {
      store.flush();
      // Interrupted from outside (a signal, the terminal gone): nobody is there to press q.
      if (opts.interrupted?.aborted) app.unmount();
      await app.waitUntilExit();
      // The UI drew on the alternate screen, now gone: leave a record of the run in the terminal.
      io.out(runSummary(plan, store.getSnapshot().run));
    },
    abandon: () => app.unmount(),
  };
}

/** `runbook run --dry-run` on a terminal: browse the whole plan per machine; nothing runs. */
export async function browsePlan(io: Io, plan: Plan, inventory: string): Promise<void> {
  await renderApp(io, plan, "DRY RUN", inventory, {}).waitUntilExit();
}

/**
 * Asks for one variable on the terminal, before the UI opens (the plan needs it). Undefined when the
 * operator backs out.
 */
export async function promptVariable(io: Io, variable: PromptVariable): Promise<string | undefined> {
  const terminal = io.terminal;
  if (!terminal) return undefined;
  let answer: string | undefined;
  const app = render(
    <VariablePrompt
      variable={variable}
      theme={themeOf(io)}
      onDone={(value) => {
        answer = value;
      }}
    />,
    {
      stdin: terminal.stdin,
      stdout: terminal.stdout,
      exitOnCtrlC: false,
      patchConsole: false,
      interactive: true,
    },
  );
  await app.waitUntilExit();
  return answer;
}

function themeOf(io: Io): Theme {
  return io.env.NO_COLOR ? NO_COLOR_THEME : COLOR_THEME;
}

function renderApp(
  io: Io,
  plan: Plan,
  mode: Mode,
  inventory: string,
  extra: { store?: RunStore; bridge?: DecisionBridge; onQuit?: () => void; autoRead?: boolean },
) {
  const terminal = io.terminal;
  if (!terminal) throw new Error("the UI needs a terminal");
  return render(<App plan={plan} mode={mode} inventory={inventory} theme={themeOf(io)} {...extra} />, {
    stdin: terminal.stdin,
    stdout: terminal.stdout,
    exitOnCtrlC: false,
    patchConsole: false,
    // Both ends are a terminal (the CLI checked): draw the live screen even where CI is set, which
    // ink would otherwise take as a reason to print only the last frame.
    interactive: true,
    // A full-screen program: it leaves the shell's scrollback as it was (the summary is printed after).
    alternateScreen: true,
    // Only the rows that changed are redrawn: a machine printing fast does not repaint the screen.
    incrementalRendering: true,
  });
}
