import { render } from "ink";
import type { DecisionSource } from "../engine/decisions.ts";
import type { EngineEvent } from "../engine/events.ts";
import type { Plan } from "../model/plan.ts";
import type { ConnectOptions } from "../transport/connect.ts";
import { App } from "../ui/app.tsx";
import type { Mode } from "../ui/components/header.tsx";
import { DecisionBridge } from "../ui/decision-bridge.ts";
import { RunStore } from "../ui/run-store.ts";
import { COLOR_THEME, NO_COLOR_THEME } from "../ui/theme.ts";
import type { Io } from "./io.ts";

/** Where a run's decisions come from and its events go: the terminal UI or the headless reporter. */
export interface FrontEnd {
  decisions: DecisionSource;
  emit(e: EngineEvent): void;
  connectOptions: ConnectOptions;
  /** Resolves when the front end is done (the operator closed the UI). */
  finished(): Promise<void>;
}

/** Renders the UI on the terminal and answers the engine's questions from the operator's keys. */
export async function startInteractive(
  io: Io,
  plan: Plan,
  me: string,
  resumed: boolean,
  inventory: string,
  secrets: Record<string, string>,
  stop: () => void,
): Promise<FrontEnd> {
  const terminal = io.terminal;
  if (!terminal) throw new Error("startInteractive needs a terminal");
  const bridge = new DecisionBridge(me);
  const ask = bridge.secret.bind(bridge);
  // Secrets given in the environment are not asked for.
  bridge.secret = async (name) => secrets[name] ?? ask(name);
  const store = new RunStore();
  const app = renderApp(io, plan, resumed ? "RESUMED" : "LIVE", inventory, { store, bridge, onQuit: stop });
  return {
    decisions: bridge,
    emit: store.push,
    connectOptions: {
      decideHostKey: (q) => bridge.hostKey(q),
      passphrase: ({ identity, attempt }) => bridge.passphrase(identity, attempt),
    },
    finished: async () => {
      store.flush();
      // Interrupted from outside (a signal, the terminal gone): nobody is there to press q.
      if (io.signal?.aborted) app.unmount();
      await app.waitUntilExit();
    },
  };
}

/** `runbook plan --ui` / `runbook run --dry-run`: browse the whole plan per machine; nothing runs. */
export async function browsePlan(io: Io, plan: Plan, inventory: string): Promise<void> {
  await renderApp(io, plan, "DRY RUN", inventory, {}).waitUntilExit();
}

function renderApp(
  io: Io,
  plan: Plan,
  mode: Mode,
  inventory: string,
  extra: { store?: RunStore; bridge?: DecisionBridge; onQuit?: () => void },
) {
  const terminal = io.terminal;
  if (!terminal) throw new Error("the UI needs a terminal");
  const theme = io.env.NO_COLOR ? NO_COLOR_THEME : COLOR_THEME;
  return render(<App plan={plan} mode={mode} inventory={inventory} theme={theme} {...extra} />, {
    stdin: terminal.stdin,
    stdout: terminal.stdout,
    exitOnCtrlC: false,
    patchConsole: false,
  });
}
