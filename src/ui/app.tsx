import { Box, Text, useApp, useStdin, useWindowSize } from "ink";
import { useEffect, useMemo, useReducer, useState, useSyncExternalStore } from "react";
import type { RunState } from "../engine/state.ts";
import type { Plan } from "../model/plan.ts";
import { stepIds, stepNumber } from "../model/step-number.ts";
import { askingNow } from "./asking.ts";
import { Footer } from "./components/footer.tsx";
import { Header, type Mode } from "./components/header.tsx";
import { HostGrid } from "./components/host-grid.tsx";
import { type BoxContent, boxContent, ModalBox } from "./components/modal.tsx";
import { OutputPane } from "./components/output-pane.tsx";
import { RollbackBox, rollbackLines } from "./components/rollback-box.tsx";
import { cardLines, StepCard } from "./components/step-card.tsx";
import { type DetailLine, detailLines, StepDetails, wrapLines } from "./components/step-details.tsx";
import { StepList } from "./components/step-list.tsx";
import type { DecisionBridge } from "./decision-bridge.ts";
import { footerOf } from "./key-map.ts";
import { cardWidth, type Layout, layout, MIN_COLUMNS, MIN_ROWS } from "./layout.ts";
import { RunStore } from "./run-store.ts";
import type { Theme } from "./theme.ts";
import { initialUiState, uiReducer } from "./ui-state.ts";
import { type KeyContext, situationOf, useKeys } from "./use-keys.ts";
import { buildView, stepEntries, type View } from "./view-model.ts";

export interface AppProps {
  plan: Plan;
  mode: Mode;
  inventory: string;
  theme: Theme;
  /** Absent in a dry run: the plan is browsed and nothing runs. */
  store?: RunStore;
  bridge?: DecisionBridge;
  /** The operator quit: stop the run (the CLI aborts it); the app exits once it has wound down. */
  onQuit?: () => void;
  now?: () => number;
  /** The terminal's size; tests give it, a real terminal is measured (and followed on resize). */
  size?: { columns: number; rows: number };
  /** Read-only steps run without asking from the start (--auto-read; the a key toggles it). */
  autoRead?: boolean;
}

const EMPTY_STORE = new RunStore();

export function App(props: AppProps) {
  const { plan, theme, mode } = props;
  const store = props.store ?? EMPTY_STORE;
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  // The question on screen is the run's own (an event in its state), answered through the bridge.
  const question = askingNow(snapshot.run, plan, props.bridge);
  const [ui, dispatch] = useReducer(uiReducer, { ...initialUiState, autoRead: props.autoRead ?? false });
  const measured = useWindowSize();
  const { columns, rows } = props.size ?? measured;
  const now = useClock(props.now, snapshot.run.finishedAt === undefined && mode !== "DRY RUN");
  const entries = useMemo(() => stepEntries(plan), [plan]);
  const ids = useMemo(() => stepIds(plan), [plan]);
  const view = buildView({ plan, snapshot, question, ui, mode }, entries);
  const numberOf = (id: string) => `step ${stepNumber(ids, id)}`;
  const box = boxContent({
    modal: ui.modal,
    question,
    numberOf,
    step: (id) => entries.find((e) => e.step.id === id)?.step,
  });
  const shown = view.shown;
  const l = layout({
    columns,
    rows,
    hosts: view.hosts.length,
    rollbackLines: shown ? rollbackLines(shown).length : 0,
    cardLines: cardLines(shown, view.host, cardWidth(columns)),
  });
  const details = ui.modal.kind === "details" ? detailsOf(view, snapshot.run, l.width - 4) : undefined;
  useScreenKeys(
    {
      ui,
      dispatch,
      question,
      bridge: props.bridge,
      view,
      mode,
      numberOf,
      details: { rows: Math.max(1, l.body - 3), lines: details?.length ?? 0 },
      pageRows: Math.max(1, l.output - 1),
      onQuit: props.onQuit,
    },
    snapshot.run.finishedAt !== undefined,
  );

  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return (
      <Text>{`runbook needs a terminal of at least ${MIN_COLUMNS}x${MIN_ROWS}; this one is ${columns}x${rows}. Make it larger (q quits).`}</Text>
    );
  }
  return (
    <Box flexDirection="column" width={l.width} height={l.height}>
      <Header
        {...headerOf(plan, view)}
        mode={mode}
        inventory={props.inventory}
        autoRead={ui.autoRead}
        elapsedMs={elapsed(snapshot.run, now)}
        width={l.width}
        theme={theme}
      />
      {details && shown && ui.modal.kind === "details" ? (
        <StepDetails
          title={`${stepNumber(ids, shown.id)} ${shown.title} [${shown.risk}] on ${view.host ?? "no machine"}`}
          lines={details}
          scroll={ui.modal.scroll}
          width={l.width}
          height={l.body}
          theme={theme}
        />
      ) : box?.full ? (
        // Help, host keys and the other full boxes take the whole body: long lines such as a key's
        // fingerprint stay on one line.
        <ModalBox content={box} width={l.width} height={l.body} theme={theme} />
      ) : (
        <Body
          view={view}
          run={snapshot.run}
          box={box}
          ids={ids}
          l={l}
          scroll={ui.scroll}
          theme={theme}
          now={now}
        />
      )}
      <Footer
        keys={footerOf(situationOf({ ui, question, bridge: props.bridge, view, mode }))}
        width={l.width}
        theme={theme}
      />
    </Box>
  );
}

/**
 * The keys, and what follows from the moment by itself: a typed answer's box opens when the engine
 * asks for one, and the app closes once a quit run has wound down.
 */
function useScreenKeys(c: Omit<KeyContext, "quit" | "exit">, runEnded: boolean): void {
  const { exit } = useApp();
  const [quitting, setQuitting] = useState(false);
  useEffect(() => {
    if (quitting && runEnded) exit();
  }, [quitting, runEnded, exit]);
  useKeys({ ...c, quit: () => setQuitting(true), exit }, useStdin().isRawModeSupported);
  const { question, dispatch } = c;
  const modal = c.ui.modal.kind;
  useEffect(() => {
    if (question?.kind === "confirm-word" && modal === "none")
      dispatch({ type: "open", modal: { kind: "confirm-word", text: "" } });
    if (
      (question?.kind === "secret" ||
        question?.kind === "passphrase" ||
        question?.kind === "become-password") &&
      modal === "none"
    )
      dispatch({ type: "open", modal: { kind: "secret", text: "" } });
  }, [question, modal, dispatch]);
}

/** The step list on the left; the shown step's card (or a box), machines, output and rollback on the right. */
function Body({
  view,
  run,
  box,
  ids,
  l,
  scroll,
  theme,
  now,
}: {
  view: View;
  run: RunState;
  box: BoxContent | undefined;
  ids: readonly string[];
  l: Layout;
  scroll: number;
  theme: Theme;
  now: number;
}) {
  const { shown, entries } = view;
  const right = l.rightWidth;
  const out = view.output;
  const outFrom =
    out?.previous === true
      ? `from ${stepNumber(ids, out.stepId)} ${entries.find((e) => e.step.id === out.stepId)?.step.title ?? ""}`
      : undefined;
  return (
    <Box height={l.body} flexShrink={0}>
      <StepList
        rows={entries.map((e) => ({
          id: e.step.id,
          title: e.step.title,
          phase: e.phase,
          status: view.statuses.get(e.step.id) ?? "pending",
        }))}
        current={view.current}
        shown={shown?.id}
        height={l.body}
        width={l.listWidth}
        theme={theme}
      />
      <Box flexDirection="column" marginLeft={1} width={right} height={l.body} flexShrink={0}>
        {box && !box.full ? (
          <ModalBox content={box} width={right} height={l.card} theme={theme} />
        ) : shown ? (
          <StepCard
            step={shown}
            number={stepNumber(ids, shown.id)}
            host={view.host}
            height={l.card}
            width={right}
            theme={theme}
          />
        ) : (
          <Box height={l.card} />
        )}
        <HostGrid
          hosts={view.hosts}
          states={(shown ? run.steps[shown.id]?.hosts : undefined) ?? {}}
          selected={view.host}
          height={l.grid}
          width={right}
          theme={theme}
          now={now}
        />
        <OutputPane
          host={out?.host}
          lines={out?.lines ?? []}
          from={outFrom}
          scroll={scroll}
          height={l.output}
          width={right}
          theme={theme}
        />
        {shown && l.rollback > 0 ? (
          <RollbackBox step={shown} selected={view.host} height={l.rollback} width={right} theme={theme} />
        ) : null}
      </Box>
    </Box>
  );
}

/** What the header says of the run's progress. */
function headerOf(plan: Plan, view: View) {
  return {
    title: plan.runbook.title,
    stepsDone: view.stepsDone,
    stepsTotal: view.entries.length,
    hostsDone: view.hostsDone,
    hostsTotal: view.hostsTotal,
    machines: plan.hosts.length,
    status: view.status,
    ending: view.ending,
  };
}

/** The whole shown step on the selected machine, wrapped to `width` (the i box). */
function detailsOf(view: View, run: RunState, width: number): DetailLine[] | undefined {
  const { shown, host } = view;
  if (!shown) return undefined;
  const state = host ? run.steps[shown.id]?.hosts[host] : undefined;
  const captured = host ? run.captured[host] : undefined;
  return wrapLines(detailLines(shown, host, width, { state, captured }), width);
}

/** How long this start of the run has taken (a resume counts from its own start). */
function elapsed(run: RunState, now: number): number {
  if (!run.lastStartedAt) return 0;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return end - Date.parse(run.lastStartedAt);
}

/** Ticks once a second while the run goes on, for the elapsed time. */
function useClock(now: (() => number) | undefined, running: boolean): number {
  const clock = now ?? Date.now;
  const [t, setT] = useState(clock());
  useEffect(() => {
    if (!running) return;
    const id = setInterval(() => setT(clock()), 1000);
    return () => clearInterval(id);
  }, [running, clock]);
  return t;
}
