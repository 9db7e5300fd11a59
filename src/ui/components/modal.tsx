import { Box, Text } from "ink";
import type { Question } from "../decision-bridge.ts";
import type { Theme } from "../theme.ts";
import type { Modal } from "../ui-state.ts";

export const HELP_LINES = [
  "Enter / y   run the step the run is waiting on",
  "s           skip it (asks for a reason, which is journaled)",
  "r           retry the step on the machines that failed",
  "b / B       roll back the shown step on the selected machine / on all",
  "x           abort the run after a failure",
  "a           run read-only steps without asking (toggle)",
  "Tab ← →     select a machine        ↑ ↓  browse steps (nothing runs)",
  "PgUp PgDn   scroll the output       End  follow the output again",
  "q           quit; the run stays resumable (runbook resume)",
  "?           this help (any key closes it)",
];

export interface ModalViewProps {
  modal: Modal;
  question?: Question;
  width: number;
  theme: Theme;
}

/** The box in front of the screen: help, a typed answer, or a yes/no the engine is waiting on. */
export function ModalView({ modal, question, width, theme }: ModalViewProps) {
  const box = (color: string | undefined, title: string, lines: string[], input?: string) => (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={color}
      paddingX={1}
      width={Math.min(width, 78)}
      flexShrink={0}
    >
      <Text bold color={color}>
        {title}
      </Text>
      {lines.map((l, i) => (
        <Text key={`${i}`} wrap="wrap">
          {l}
        </Text>
      ))}
      {input !== undefined ? <Text>{`> ${input}█`}</Text> : null}
    </Box>
  );
  switch (modal.kind) {
    case "help":
      return box(theme.accent, "Keys", HELP_LINES);
    case "skip-reason":
      return box(
        theme.warning,
        "Skip this step",
        ["Why? The reason is journaled with your name. Enter to skip, Esc to go back."],
        modal.text,
      );
    case "confirm-word": {
      const word = question?.kind === "confirm-word" ? (question.step.confirm ?? "") : "";
      return box(
        theme.danger,
        "Destructive step",
        [
          `This step loses data. Type "${word}" and Enter to run it; Esc to go back.`,
          ...(modal.wrong ? ["That is not the word."] : []),
        ],
        modal.text,
      );
    }
    case "secret": {
      const what =
        question?.kind === "secret"
          ? `Secret ${question.name}: it is never shown, journaled or saved.`
          : question?.kind === "passphrase"
            ? `Passphrase for ${question.identity}${question.attempt > 1 ? " (that one was wrong)" : ""}:`
            : "Secret:";
      return box(
        theme.warning,
        "Secret",
        [what, "Enter when done; Esc leaves it empty."],
        "•".repeat(modal.text.length),
      );
    }
    case "quit":
      return box(theme.warning, "Quit?", [
        "Commands still running are stopped on every machine.",
        "The run stays resumable: runbook resume. Quit now? (y/n)",
      ]);
    case "none":
      return questionBox(question, width, theme);
  }
}

function questionBox(q: Question | undefined, width: number, theme: Theme) {
  if (!q) return null;
  const box = (color: string | undefined, title: string, lines: string[]) => (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={color}
      paddingX={1}
      width={Math.min(width, 78)}
      flexShrink={0}
    >
      <Text bold color={color}>
        {title}
      </Text>
      {lines.map((l, i) => (
        <Text key={`${i}`} wrap="wrap">
          {l}
        </Text>
      ))}
    </Box>
  );
  switch (q.kind) {
    case "host-key":
      return box(theme.danger, "Unknown host key", [
        `${q.question.host} (${q.question.address}:${q.question.port}) is not in known_hosts.`,
        `${q.question.keyType} key fingerprint ${q.question.fingerprint}`,
        "Compare it with the machine's own (ssh-keygen -lf on its host key).",
        "y accept and remember it · n refuse (nothing runs there)",
      ]);
    case "unknown-hosts":
      return box(theme.danger, "State unknown", [
        `The runner stopped while "${q.step.title}" was running on ${q.hosts.join(", ")}.`,
        "Check those machines, then: r run it again there · d it finished, mark done · x abort",
      ]);
    case "rollback-on-abort":
      return box(theme.warning, "Roll back?", [
        `Roll back the completed steps, newest first: ${q.completed.map((s) => s.title).join(" ← ")}?`,
        "y roll them back · n leave the machines as they are",
      ]);
    case "after-failure":
      return box(theme.danger, "Step failed", [
        `"${q.step.title}" failed on ${q.failedHosts.join(", ")}.`,
        "r retry those machines · b/B roll back (selected machine/all) · s skip on · x abort",
      ]);
    case "before-step":
    case "confirm-word":
    case "secret":
    case "passphrase":
      return null;
  }
}
