import { Box, Text } from "ink";
import { MAX_WORD_ATTEMPTS } from "../../engine/decisions.ts";
import { describeCheck, mayRunAgain } from "../../engine/process-check.ts";
import type { PlannedStep } from "../../model/plan.ts";
import type { Question } from "../asking.ts";
import { helpLines } from "../key-map.ts";
import { type Theme, type Tone, toneColor } from "../theme.ts";
import type { Modal } from "../ui-state.ts";
import { hostList } from "../view-model.ts";
import { rollbackLines } from "./rollback-box.tsx";

export interface BoxContent {
  tone: Tone;
  title: string;
  lines: string[];
  /** A typed answer: shown after "> ", with a cursor. */
  input?: string;
  /** Said after the input: why the last answer was not taken. */
  error?: string;
  /** Takes the whole right-hand column rather than the card's rows. */
  full: boolean;
}

export interface BoxContext {
  modal: Modal;
  question?: Question;
  /** "step 2/5" of a step, for titles. */
  numberOf(stepId: string): string;
  step(stepId: string): PlannedStep | undefined;
}

/** What the box in front of the screen says: the operator's own dialog first, else the engine's question. */
export function boxContent(c: BoxContext): BoxContent | undefined {
  const { modal, question: q } = c;
  switch (modal.kind) {
    case "help":
      return { tone: "accent", title: "Keys", lines: helpLines(), full: true };
    case "skip-reason": {
      const id = q?.kind === "before-step" || q?.kind === "after-failure" ? q.step.id : "";
      return {
        tone: "warning",
        title: `Skip ${c.numberOf(id)}: why?`,
        lines: ["The reason is journaled with your name. Enter skips, Esc goes back."],
        input: modal.text,
        error: modal.empty ? "a reason is needed" : undefined,
        full: false,
      };
    }
    case "confirm-word": {
      const step = q?.kind === "confirm-word" ? q.step : undefined;
      return {
        tone: "danger",
        title: `Destructive: type "${step?.confirm ?? ""}" to run it`,
        lines: [
          `${step ? c.numberOf(step.id) : ""} "${step?.title ?? ""}" on ${hostList(step?.targets.map((t) => t.host) ?? [])}. Enter runs it, Esc goes back.`,
        ],
        input: modal.text,
        error:
          q?.kind === "confirm-word" && q.attempt > 1
            ? `that was not the word (attempt ${q.attempt} of ${MAX_WORD_ATTEMPTS})`
            : undefined,
        full: false,
      };
    }
    case "secret": {
      const what =
        q?.kind === "secret"
          ? `Secret ${q.name}: never shown, journaled or saved.`
          : q?.kind === "passphrase"
            ? `Passphrase of ${q.identity}${q.attempt > 1 ? " (that one was wrong)" : ""}:`
            : q?.kind === "become-password"
              ? `sudo password, to run commands as ${q.users.join(", ")} on ${hostList(q.hosts)}${q.attempt > 1 ? " (sudo refused that one)" : ""}:`
              : "Secret:";
      return {
        tone: "warning",
        title: "Secret",
        lines: [what, "Enter when done; Esc leaves it empty."],
        input: "•".repeat(modal.text.length),
        full: true,
      };
    }
    case "quit":
      return {
        tone: "warning",
        title: "Quit while it runs?",
        lines: ["Running commands stop; the run stays resumable.", "y quit · n stay"],
        full: false,
      };
    case "rollback": {
      const step = c.step(modal.stepId);
      const afterFailure = q?.kind === "after-failure";
      const hosts = modal.hosts ?? step?.targets.map((t) => t.host) ?? [];
      const commands = step
        ? rollbackLines(step)
            .filter((l) => l.hosts.some((h) => hosts.includes(h)))
            .map((l) => l.text)
        : [];
      return {
        tone: "warning",
        title: `Roll back "${step?.title ?? modal.stepId}" on ${modal.hosts ? hostList(hosts) : "every machine"}?`,
        lines: [
          `runs: ${commands.join(" | ")}`,
          afterFailure && !modal.hosts ? "y roll back all, then stop · n cancel" : "y roll back · n cancel",
        ],
        full: false,
      };
    }
    case "details":
      // Drawn by StepDetails, which scrolls.
      return undefined;
    case "none":
      return questionContent(q, c);
  }
}

function questionContent(q: Question | undefined, c: BoxContext): BoxContent | undefined {
  switch (q?.kind) {
    case "host-key":
      return {
        tone: "danger",
        title: "Unknown host key",
        lines: [
          `${q.question.host} (${q.question.address}:${q.question.port}) is not in known_hosts.`,
          ...(q.question.bastionFor
            ? [`It is a bastion (jump host) on the way to ${q.question.bastionFor}.`]
            : []),
          `${q.question.keyType} key fingerprint:`,
          `  ${q.question.fingerprint}`,
          "Compare it with the machine's own: ssh-keygen -lf on its host key.",
          "y accept it and remember it in known_hosts · n refuse (nothing runs there)",
        ],
        full: true,
      };
    case "unknown-host":
      return {
        tone: "danger",
        title: "State unknown",
        lines: [
          `${c.numberOf(q.step.id)} "${q.step.title}" may or may not have run on ${q.host}: its runner stopped, or the connection was lost, while it ran.`,
          `Looked there: ${describeCheck(q.check)}.`,
          mayRunAgain(q.check)
            ? "Check the machine, then: r run it again there · d it finished: mark it done · x stop"
            : "It is not run again while it may still be running: d it finished: mark it done · x stop (resume later)",
        ],
        full: true,
      };
    case "rollback-on-abort":
      return {
        tone: "warning",
        title: "Roll back?",
        lines: [
          "The run stops. Roll back the completed steps, newest first?",
          ...q.completed.map((s) => `  ${c.numberOf(s.id)} ${s.title}`),
          "y roll them back · n leave the machines as they are",
        ],
        full: true,
      };
    case "after-failure":
      return {
        tone: "danger",
        title: `${c.numberOf(q.step.id)} failed on ${hostList(q.failedHosts)}`,
        lines: ["r retry there · s skip on · x stop", "b roll back this machine · B all, then stop"],
        full: false,
      };
    case "before-step":
    case "confirm-word":
    case "secret":
    case "passphrase":
    case "become-password":
    case undefined:
      return undefined;
  }
}

/** A bordered box, cut to `height` rows. */
export function ModalBox({
  content,
  width,
  height,
  theme,
}: {
  content: BoxContent;
  width: number;
  height: number;
  theme: Theme;
}) {
  const color = toneColor(content.tone, theme);
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={color}
      paddingX={1}
      width={width}
      height={height}
      flexShrink={0}
      overflow="hidden"
    >
      <Box flexShrink={0}>
        <Text bold color={color} wrap="truncate-end">
          {content.title}
        </Text>
      </Box>
      {/* The answer comes before the explanation: a small box cuts the explanation, never the input. */}
      {content.input !== undefined ? (
        <Box flexShrink={0}>
          <Text>{`> ${content.input}█`}</Text>
          {content.error ? <Text color={theme.danger} bold>{`  ${content.error}`}</Text> : null}
        </Box>
      ) : null}
      {content.lines.map((l, i) => (
        <Text key={`${i}`} wrap="wrap">
          {l}
        </Text>
      ))}
    </Box>
  );
}
