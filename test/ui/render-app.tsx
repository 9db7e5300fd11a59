// Helpers for the terminal UI's component tests: a plan from an inline runbook, the App rendered with
// ink-testing-library at a given terminal size, keys, and waiting for a frame.

import { render } from "ink-testing-library";
import { Asker } from "../../src/engine/ask.ts";
import { parseRunbook } from "../../src/format/parse-runbook.ts";
import { parseInventory } from "../../src/inventory/load-inventory.ts";
import type { Plan, PlannedStep } from "../../src/model/plan.ts";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { App, type AppProps } from "../../src/ui/app.tsx";
import { DecisionBridge } from "../../src/ui/decision-bridge.ts";
import { RunStore } from "../../src/ui/run-store.ts";
import { NO_COLOR_THEME } from "../../src/ui/theme.ts";
import { AT } from "./events.ts";

/** Three machines: a1 and a2 play `app`, d1 plays `db`; all local (nothing here connects anywhere). */
export const UI_INVENTORY = `hosts:
  a1: { transport: local, roles: [app] }
  a2: { transport: local, roles: [app] }
  d1: { transport: local, roles: [db] }
`;

/** A runbook of three steps: a read step on all, a change step with a rollback, a destructive one. */
export const UI_RUNBOOK = `---
title: Deploy the demo
roles: [app, db]
confirm: wipe-it
vars:
  word: { default: "hello", describe: "what to say" }
---

# Prepare

## Check the machines {#check}

Reads the kernel version on every machine.

\`\`\`sh {on=all risk=read}
uname -r; echo {{ word }}
\`\`\`

## Install the app {#install}

Writes a marker file.

> [!WARNING]
> The app restarts.

\`\`\`sh {on=app}
echo installed > ~/marker
\`\`\`

\`\`\`rollback {on=app}
rm -f ~/marker
\`\`\`

# Danger

## Wipe the data {#wipe}

\`\`\`sh {on=db risk=destructive}
rm -rf ~/data
\`\`\`
`;

export function planOf(
  runbook = UI_RUNBOOK,
  inventory = UI_INVENTORY,
  vars: Record<string, string> = {},
): Plan {
  const file = "/rb/ui.md";
  return buildPlan(
    parseRunbook(file, (p) => (p === file ? runbook : undefined)),
    parseInventory("/inv/ui.yaml", inventory),
    { vars },
  );
}

export function stepOf(plan: Plan, id: string): PlannedStep {
  const s = plan.phases.flatMap((p) => p.steps).find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id}`);
  return s;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing escape codes is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
export const strip = (s: string) => s.replace(ANSI, "");

export const KEYS = {
  enter: "\r",
  escape: "\x1b",
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  tab: "\t",
  pageUp: "\x1b[5~",
  pageDown: "\x1b[6~",
  backspace: "\x7f",
} as const;

export interface RenderedApp {
  store: RunStore;
  bridge: DecisionBridge;
  /** Asks as the engine does: the question is an event in the store, the answer comes from the bridge. */
  ask: Asker;
  /** The last frame, escape codes removed. */
  frame(): string;
  /** The last frame as written, escape codes included. */
  raw(): string;
  /** The last frame's rows. */
  rows(): string[];
  /** Sends keys as a terminal would (one chunk each), letting ink handle each before the next. */
  press(...keys: string[]): Promise<void>;
  /** Waits until the frame satisfies `check` (a text it contains, or a predicate); throws after 10 s. */
  waitFor(check: string | ((frame: string) => boolean)): Promise<string>;
  /** Lets a question just asked reach the screen (and the key handler) before keys are sent. */
  settle(): Promise<void>;
  unmount(): void;
  quits: number;
}

export function renderApp(
  plan: Plan,
  props: Partial<AppProps> = {},
  size = { columns: 80, rows: 24 },
): RenderedApp {
  const store = props.store ?? new RunStore(0);
  const bridge = props.bridge ?? new DecisionBridge("tester@host");
  const ask = new Asker(bridge, store.push, () => AT);
  const state = { quits: 0 };
  const r = render(
    <App
      plan={plan}
      mode="LIVE"
      inventory="inv/ui.yaml"
      theme={NO_COLOR_THEME}
      now={() => 0}
      size={size}
      onQuit={() => {
        state.quits++;
      }}
      {...props}
      store={props.mode === "DRY RUN" ? undefined : store}
      bridge={props.mode === "DRY RUN" ? undefined : bridge}
    />,
  );
  const frame = () => strip(r.lastFrame() ?? "");
  const app: RenderedApp = {
    store,
    bridge,
    ask,
    frame,
    raw: () => r.lastFrame() ?? "",
    rows: () => frame().split("\n"),
    async press(...keys) {
      for (const k of keys) {
        r.stdin.write(k);
        await tick();
      }
    },
    async waitFor(check) {
      const ok = typeof check === "string" ? (f: string) => f.includes(check) : check;
      const until = Date.now() + 10_000;
      for (;;) {
        store.flush();
        const f = frame();
        if (ok(f)) return f;
        if (Date.now() > until)
          throw new Error(
            `timed out waiting for ${typeof check === "string" ? JSON.stringify(check) : "a frame"}; last frame:\n${f}`,
          );
        await tick();
      }
    },
    async settle() {
      store.flush();
      for (let i = 0; i < 3; i++) await tick();
    },
    unmount: () => r.unmount(),
    get quits() {
      return state.quits;
    },
  };
  return app;
}

export const tick = () => new Promise((r) => setTimeout(r, 10));
