// What the importer makes of a document before it is written as a runbook: plain data, one line of
// the document on everything, so every inference can be reported where it came from.

/** One thing the importer inferred, or could not, at a line of the document. */
export interface Finding {
  line: number;
  kind: "inferred" | "manual";
  text: string;
}

export interface ImportedAction {
  /** A role name, or undefined: the machines the document does not name (written `all`, or `host`). */
  on?: string;
  command: string;
  /** Comment lines of the document kept above the command. */
  comments: string[];
  background: boolean;
  /** With background: where its output goes, when the document redirects it. */
  log?: string;
  waitLog?: string;
  waitFor?: string;
  expect?: string;
  read: boolean;
  line: number;
  /** The directory the document's `cd` left it in (at that line); the command starts with `cd DIR && `. */
  cwd?: { dir: string; line: number };
  /** The command before addresses in it became variables (put back if the checker refuses them). */
  literal?: string;
  /** The checker refused it: written as documentation with this reason. */
  refused?: string;
}

export type StepPart =
  | { kind: "prose"; text: string }
  | { kind: "action"; action: ImportedAction }
  /** A note of the document (a GitBook hint) or one the importer adds (why a step is manual). */
  | { kind: "note"; level: "info" | "warning" | "danger"; text: string }
  | { kind: "include"; path: string };

export interface ImportedStep {
  title: string;
  line: number;
  parts: StepPart[];
}

export interface ImportedPhase {
  title: string;
  line: number;
  prose: StepPart[];
  steps: ImportedStep[];
}

export interface ImportedRole {
  name: string;
  /** How the document calls the machine (`机器A`), for the role's description. */
  label: string;
  line: number;
}

export interface ImportedVar {
  name: string;
  default: string;
  describe: string;
}

export interface ImportedDoc {
  title: string;
  summary?: string;
  intro: StepPart[];
  /** Steps before the first phase (an unnamed phase). */
  looseSteps: ImportedStep[];
  phases: ImportedPhase[];
  roles: ImportedRole[];
  vars: ImportedVar[];
  /** A role for the commands no machine is named for, when the document names no machine at all. */
  defaultRole?: string;
}
