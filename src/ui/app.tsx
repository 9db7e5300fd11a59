import { Box, Text, useApp, useStdin, useWindowSize } from "ink";
import { useEffect, useMemo, useReducer, useState, useSyncExternalStore } from "react";
import type { RunState } from "../engine/state.ts";
import type { Plan } from "../model/plan.ts";
import { stepIds, stepNumber } from "../model/step-number.ts";
import { askingNow } from "./asking.ts";
import { Footer } from "./components/footer.tsx";
import { Header, type Mode } from "./components/header.tsx";
import { HostGrid } from "./components/host-grid.tsx";
import { boxContent, ModalBox } from "./components/modal.tsx";
import { OutputPane } from "./components/output-pane.tsx";
import { RollbackBox, rollbackLines } from "./components/rollback-box.tsx";
import { cardLines, StepCard } from "./components/step-card.tsx";
import { detailLines, StepDetails, wrapLines } from "./components/step-details.tsx";
import { StepList } from "./components/step-list.tsx";
import type { DecisionBridge } from "./decision-bridge.ts";
import { footerOf } from "./key-map.ts";
import { cardWidth, layout, MIN_COLUMNS, MIN_ROWS } from "./layout.ts";
import { RunStore } from "./run-store.ts";
import type { Theme } from "./theme.ts";
import { initialUiState, uiReducer } from "./ui-state.ts";
import { situationOf, useKeys } from "./use-keys.ts";
import { buildView, stepEntries } from "./view-model.ts";

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
  const { exit } = useApp();
  const now = useClock(props.now, snapshot.run.finishedAt === undefined && mode !== "DRY RUN");
  const entries = useMemo(() => stepEntries(plan), [plan]);
  const view = buildView({ plan, snapshot, question, ui, mode }, entries);
  const ids = useMemo(() => stepIds(plan), [plan]);
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

  const details =
    ui.modal.kind === "details" && shown
      ? wrapLines(
          detailLines(shown, view.host, l.width - 4, {
            state: view.host ? snapshot.run.steps[shown.id]?.hosts[view.host] : undefined,
            captured: view.host ? snapshot.run.captured[view.host] : undefined,
          }),
          l.width - 4,
        )
      : undefined;
  const [quitting, setQuitting] = useState(false);
  useEffect(() => {
    if (quitting && snapshot.run.finishedAt !== undefined) exit();
  }, [quitting, snapshot.run.finishedAt, exit]);
  useKeys(
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
      quit: () => setQuitting(true),
      exit,
    },
    useStdin().isRawModeSupported,
  );

  // A typed answer opens its box by itself when the engine asks for one.
  useEffect(() => {
    if (question?.kind === "confirm-word" && ui.modal.kind === "none")
      dispatch({ type: "open", modal: { kind: "confirm-word", text: "" } });
    if ((question?.kind === "secret" || question?.kind === "passphrase") && ui.modal.kind === "none")
      dispatch({ type: "open", modal: { kind: "secret", text: "" } });
  }, [question, ui.modal.kind]);

  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return (
      <Text>{`runbook needs a terminal of at least ${MIN_COLUMNS}x${MIN_ROWS}; this one is ${columns}x${rows}. Make it larger (q quits).`}</Text>
    );
  }

  const right = l.rightWidth;
  const stepState = shown ? snapshot.run.steps[shown.id] : undefined;
  const out = view.output;
  const outFrom =
    out?.previous === true
      ? `from ${stepNumber(ids, out.stepId)} ${
          entries.find((e) => e.step.id === out.stepId)?.step.title ?? ""
        }`
      : undefined;
  const cardOrBox =
    box && !box.full ? (
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
    );

  return (
    <Box flexDirection="column" width={l.width} height={l.height}>
      <Header
        title={plan.runbook.title}
        mode={mode}
        inventory={props.inventory}
        stepsDone={view.stepsDone}
        stepsTotal={entries.length}
        hostsDone={view.hostsDone}
        hostsTotal={view.hostsTotal}
        machines={plan.hosts.length}
        autoRead={ui.autoRead}
        elapsedMs={elapsed(snapshot.run, now)}
        width={l.width}
        theme={theme}
        status={view.status}
        ending={view.ending}
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
            {cardOrBox}
            <HostGrid
              hosts={view.hosts}
              states={stepState?.hosts ?? {}}
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
              scroll={ui.scroll}
              height={l.output}
              width={right}
              theme={theme}
            />
            {shown && l.rollback > 0 ? (
              <RollbackBox
                step={shown}
                selected={view.host}
                height={l.rollback}
                width={right}
                theme={theme}
              />
            ) : null}
          </Box>
        </Box>
      )}
      <Footer
        keys={footerOf(situationOf({ ui, question, bridge: props.bridge, view, mode }))}
        width={l.width}
        theme={theme}
      />
    </Box>
  );
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
