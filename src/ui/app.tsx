import { Box, useApp, useStdin, useWindowSize } from "ink";
import { useEffect, useMemo, useReducer, useState, useSyncExternalStore } from "react";
import type { HostStatus } from "../engine/events.ts";
import { summarizeHosts } from "../engine/state.ts";
import type { Plan } from "../model/plan.ts";
import { Footer } from "./components/footer.tsx";
import { Header, type Mode } from "./components/header.tsx";
import { HostGrid } from "./components/host-grid.tsx";
import { ModalView } from "./components/modal.tsx";
import { OutputPane } from "./components/output-pane.tsx";
import { RollbackBox } from "./components/rollback-box.tsx";
import { StepCard } from "./components/step-card.tsx";
import { StepList } from "./components/step-list.tsx";
import type { DecisionBridge, Question } from "./decision-bridge.ts";
import { outputKey, type RunSnapshot, RunStore } from "./run-store.ts";
import type { Theme } from "./theme.ts";
import { initialUiState, uiReducer } from "./ui-state.ts";
import { footerKeys, useKeys } from "./use-keys.ts";

export interface AppProps {
  plan: Plan;
  mode: Mode;
  inventory: string;
  theme: Theme;
  /** Absent in a dry run: the plan is browsed and nothing runs. */
  store?: RunStore;
  bridge?: DecisionBridge;
  /** The operator confirmed quitting: stop the run (the CLI aborts it), then the app exits. */
  onQuit?: () => void;
  now?: () => number;
}

const EMPTY_STORE = new RunStore();

export function App(props: AppProps) {
  const { plan, theme } = props;
  const store = props.store ?? EMPTY_STORE;
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const question = useQuestion(props.bridge);
  const [ui, dispatch] = useReducer(uiReducer, initialUiState);
  const { columns, rows } = useWindowSize();
  const { exit } = useApp();
  const now = useClock(props.now, snapshot.finishedAt === undefined && props.mode !== "DRY RUN");

  const steps = useMemo(
    () => plan.phases.flatMap((p) => p.steps.map((s) => ({ step: s, phase: p.title }))),
    [plan],
  );
  const current =
    currentStep(question, snapshot) ??
    steps.find((s) => statusOf(snapshot, s.step.id) === "pending")?.step.id ??
    (snapshot.finishedAt !== undefined ? steps.at(-1)?.step.id : undefined);
  const shownId = ui.browsing ?? current ?? steps[0]?.step.id;
  const shownIndex = Math.max(
    0,
    steps.findIndex((s) => s.step.id === shownId),
  );
  const shown = steps[shownIndex]?.step;
  const hosts = shown?.targets.map((t) => t.host) ?? [];
  const stepState = shown ? snapshot.run.steps[shown.id] : undefined;
  const failedFirst = hosts.find((h) => stepState?.hosts[h]?.status === "failed");
  const host = ui.host && hosts.includes(ui.host) ? ui.host : (failedFirst ?? hosts[0]);
  const lines = shown && host ? (snapshot.output.get(outputKey(shown.id, host)) ?? []) : [];

  const [quitting, setQuitting] = useState(false);
  useEffect(() => {
    if (quitting && snapshot.finishedAt !== undefined) exit();
  }, [quitting, snapshot.finishedAt, exit]);
  useKeys({
    ui,
    dispatch,
    question,
    bridge: props.bridge,
    steps: steps.map((s) => s.step),
    shownIndex,
    host,
    hosts,
    lines: lines.length,
    finished: snapshot.finishedAt !== undefined || props.mode === "DRY RUN",
    onQuit: props.onQuit,
    quit: () => setQuitting(true),
    exit,
    active: useStdin().isRawModeSupported,
  });

  // A typed answer opens its box by itself when the engine asks for one.
  useEffect(() => {
    if (question?.kind === "confirm-word" && ui.modal.kind === "none")
      dispatch({ type: "open", modal: { kind: "confirm-word", text: "", wrong: false } });
    if ((question?.kind === "secret" || question?.kind === "passphrase") && ui.modal.kind === "none")
      dispatch({ type: "open", modal: { kind: "secret", text: "" } });
  }, [question, ui.modal.kind]);

  const width = Math.max(40, columns);
  const height = Math.max(16, rows);
  const done = steps.filter((s) =>
    ["ok", "skipped", "rolled-back"].includes(statusOf(snapshot, s.step.id)),
  ).length;
  const curState = current ? snapshot.run.steps[current] : undefined;
  const curHosts = Object.values(curState?.hosts ?? {});
  const listWidth = Math.min(34, Math.floor(width * 0.36));
  const notice =
    snapshot.refusals[0] ??
    (snapshot.finishedAt !== undefined
      ? `run ${snapshot.run.status}${snapshot.run.status === "ok" ? "" : ": resume with runbook resume"}`
      : undefined);
  const headerHeight = notice ? 3 : 2;
  const bodyHeight = height - headerHeight - 1;
  const rightWidth = width - listWidth - 1;
  // Questions and typed answers take the card's place; the machines and their output stay in view.
  const modal =
    ui.modal.kind !== "none" || (question && question.kind !== "before-step") ? (
      <ModalView modal={ui.modal} question={question} width={rightWidth} theme={theme} />
    ) : null;

  const gridRows = Math.min(hosts.length, 4);
  const rollbackRows = 2;
  const fixed =
    (hosts.length > 0 ? gridRows + (hosts.length > 4 ? 1 : 0) : 0) +
    (hosts.length > 0 ? rollbackRows + 1 : 0);
  const cardHeight = Math.max(4, Math.min(9, Math.floor((bodyHeight - fixed) / 2)));
  const outputHeight = Math.max(3, bodyHeight - fixed - cardHeight);

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header
        title={plan.runbook.title}
        mode={props.mode}
        inventory={props.inventory}
        stepsDone={done}
        stepsTotal={steps.length}
        hostsDone={curHosts.filter((h) => h.status === "ok").length}
        hostsTotal={curHosts.length}
        elapsedMs={snapshot.startedAt ? (snapshot.finishedAt ?? now) - snapshot.startedAt : 0}
        width={width}
        theme={theme}
        notice={notice}
      />
      <Box height={bodyHeight}>
        <StepList
          rows={steps.map((s) => ({
            id: s.step.id,
            title: s.step.title,
            phase: s.phase,
            status: statusOf(snapshot, s.step.id),
          }))}
          current={current}
          shown={shownId}
          height={bodyHeight}
          width={listWidth}
          theme={theme}
        />
        <Box flexDirection="column" marginLeft={1} width={rightWidth}>
          {modal ??
            (shown ? (
              <StepCard
                step={shown}
                number={`${shownIndex + 1}/${steps.length}`}
                host={host}
                height={cardHeight}
                theme={theme}
              />
            ) : null)}
          <HostGrid hosts={hosts} states={stepState?.hosts ?? {}} selected={host} maxRows={4} theme={theme} />
          <OutputPane
            host={host}
            lines={lines}
            scroll={ui.scroll}
            height={modal ? Math.max(3, outputHeight - 4) : outputHeight}
            theme={theme}
          />
          {shown && hosts.length > 0 ? (
            <RollbackBox step={shown} selected={host} maxRows={rollbackRows} theme={theme} />
          ) : null}
        </Box>
      </Box>
      <Footer
        keys={footerKeys(
          question,
          ui.modal,
          props.mode,
          snapshot.finishedAt !== undefined,
          props.bridge?.autoRead ?? false,
        )}
        theme={theme}
      />
    </Box>
  );
}

/** A running step shows what its machines show: failed as soon as one failed, waiting while one waits. */
function statusOf(s: RunSnapshot, id: string): HostStatus {
  const step = s.run.steps[id];
  if (!step) return "pending";
  return step.status === "running" ? summarizeHosts(step.hosts) : step.status;
}

function currentStep(q: Question | undefined, s: RunSnapshot): string | undefined {
  switch (q?.kind) {
    case "before-step":
    case "confirm-word":
    case "after-failure":
    case "unknown-hosts":
      return q.step.id;
    default:
      return s.run.current;
  }
}

function useQuestion(bridge: DecisionBridge | undefined): Question | undefined {
  const [q, setQ] = useState<Question | undefined>(bridge?.current);
  useEffect(() => {
    if (!bridge) return;
    setQ(bridge.current);
    return bridge.subscribe(() => setQ(bridge.current));
  }, [bridge]);
  return q;
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
