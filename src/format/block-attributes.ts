import { type ErrorCode, RunbookError } from "../model/errors.ts";
import { USER_NAME } from "../model/inventory.ts";
import { RISKS, type Risk, type SourcePos } from "../model/runbook.ts";
import { FLAGS, KEYS, type Kind } from "./action-keys.ts";
import type { Attribute, AttributeList } from "./attributes.ts";
import { parseDuration } from "./duration.ts";
import { didYouMean } from "./suggest.ts";

/**
 * The attributes of one code block, read by name. Every problem goes into `errors`, and what was wrong
 * reads as its default, so the rest of the block is still read and checked.
 */
export class BlockAttributes {
  private readonly attrs = new Map<string, Attribute>();

  /** Reports an id (it belongs on the heading) and attributes given twice (the first is kept). */
  constructor(
    list: AttributeList,
    /** Where the block stands: problems of the block as a whole point here. */
    readonly pos: SourcePos,
    readonly errors: RunbookError[],
  ) {
    if (list.id) {
      this.problem(
        `an id (#${list.id}) belongs on the step heading, not on a code block`,
        pos,
        `move {#${list.id}} to the end of the ## heading`,
      );
    }
    for (const a of list.attrs) {
      if (this.attrs.has(a.key)) this.problem(`attribute ${a.key} is given twice`, a.pos, "keep one of them");
      else this.attrs.set(a.key, a);
    }
  }

  problem(message: string, at: SourcePos, hint?: string, code: ErrorCode = "bad-attribute"): void {
    this.errors.push(new RunbookError(code, message, at, hint));
  }

  has(key: string): boolean {
    return this.attrs.has(key);
  }

  str(key: string): string | undefined {
    const v = this.attrs.get(key)?.value;
    return typeof v === "string" ? v : undefined;
  }

  posOf(key: string): SourcePos {
    return this.attrs.get(key)?.pos ?? this.pos;
  }

  /** Drops, and reports, attributes this kind of block does not take, and flags written with a value. */
  keepOnly(kind: Kind): void {
    const allowed: readonly string[] = KEYS[kind];
    for (const a of [...this.attrs.values()]) {
      if (!allowed.includes(a.key)) {
        this.problem(
          `unknown attribute "${a.key}" on a ${kind === "shell" ? "sh" : kind} block`,
          a.pos,
          didYouMean(a.key, allowed) ?? `attributes here: ${allowed.join(", ")}`,
          "unknown-attribute",
        );
        this.attrs.delete(a.key);
      } else if (FLAGS.has(a.key) !== (a.value === true)) {
        this.problem(
          FLAGS.has(a.key) ? `${a.key} is a flag and takes no value` : `${a.key} needs a value`,
          a.pos,
          FLAGS.has(a.key) ? `write just ${a.key}` : `write ${a.key}=value`,
        );
        this.attrs.delete(a.key);
      }
    }
  }

  duration(key: string): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    try {
      return parseDuration(v, this.posOf(key), key);
    } catch (e) {
      if (!(e instanceof RunbookError)) throw e;
      this.errors.push(e);
      return undefined;
    }
  }

  /** on=, as a list of selectors; a block without one is reported. */
  targets(): string[] {
    const onText = this.str("on");
    if (!onText) {
      this.problem(
        "this block has no on= (which machines it runs on)",
        this.pos,
        "add on=ROLE, on=GROUP, on=all or on=@machine",
      );
    }
    return (onText ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }

  /** risk=, `change` when not given; `bad`: it was not a tier (reported), so no check may rely on it. */
  risk(): { risk: Risk; bad: boolean } {
    const riskText = this.str("risk") ?? "change";
    if ((RISKS as readonly string[]).includes(riskText)) return { risk: riskText as Risk, bad: false };
    this.problem(
      `risk=${riskText} is not a risk tier`,
      this.posOf("risk"),
      didYouMean(riskText, RISKS) ?? `use one of ${RISKS.join(", ")}`,
    );
    return { risk: "change", bad: true };
  }

  /** `as=`: a user name, or a template the plan fills in per machine (and checks then). */
  as(): { as?: string } {
    const value = this.str("as");
    if (value === undefined) return {};
    if (value.includes("{{") || USER_NAME.test(value)) return { as: value };
    this.problem(
      `as=${value} is not a user name`,
      this.posOf("as"),
      "write the user the command runs as, such as as=rocketmq",
    );
    return {};
  }

  retries(): number {
    const retries = Number(this.str("retries") ?? "0");
    if (Number.isInteger(retries) && retries >= 0 && retries <= 100) return retries;
    this.problem("retries must be a whole number from 0 to 100", this.posOf("retries"));
    return 0;
  }

  keepGoing(risk: { risk: Risk; bad: boolean }): boolean {
    const keepGoing = this.has("keep-going");
    if (keepGoing && risk.risk !== "read" && !risk.bad) {
      this.problem(
        `keep-going is only for read-only checks, and this action is risk=${risk.risk}`,
        this.posOf("keep-going"),
        "add risk=read if the command changes nothing; a change that failed must stop the run",
      );
    }
    return keepGoing;
  }
}
