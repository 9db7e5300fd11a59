import { describe, expect, test } from "bun:test";
import type { Key } from "ink";
import type { QuestionKind } from "../../src/engine/questions.ts";
import {
  footerOf,
  helpLines,
  intentOf,
  KEY_MAP,
  type KeyName,
  type Situation,
} from "../../src/ui/key-map.ts";
import type { Modal } from "../../src/ui/ui-state.ts";

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** The press ink reports for a key the map names. */
function press(name: KeyName): [string, Key] {
  const k = (over: Partial<Key>, input = ""): [string, Key] => [input, { ...NO_KEY, ...over }];
  switch (name) {
    case "enter":
      return k({ return: true }, "\r");
    case "escape":
      return k({ escape: true });
    case "up":
      return k({ upArrow: true });
    case "down":
      return k({ downArrow: true });
    case "left":
      return k({ leftArrow: true });
    case "right":
      return k({ rightArrow: true });
    case "tab":
      return k({ tab: true }, "\t");
    case "shift-tab":
      return k({ tab: true, shift: true }, "\t");
    case "page-up":
      return k({ pageUp: true });
    case "page-down":
      return k({ pageDown: true });
    case "home":
      return k({ home: true });
    case "end":
      return k({ end: true });
    case "backspace":
      return k({ backspace: true });
    case "ctrl-c":
      return k({ ctrl: true }, "c");
    case "text":
      return k({}, "z");
    case "any":
      return k({}, "%");
    default:
      return k({}, name);
  }
}

const MODALS: Modal["kind"][] = [
  "none",
  "help",
  "details",
  "skip-reason",
  "confirm-word",
  "secret",
  "quit",
  "rollback",
];
const QUESTIONS: (QuestionKind | undefined)[] = [
  undefined,
  "before-step",
  "after-failure",
  "unknown-host",
  "rollback-on-abort",
  "host-key",
  "confirm-word",
  "secret",
  "passphrase",
  "become-password",
];

/** Every moment the screen can be in, as far as keys go. */
function* situations(): Generator<Situation> {
  for (const modal of MODALS)
    for (const question of QUESTIONS)
      for (const flags of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        yield {
          modal,
          question,
          dryRun: (flags & 1) !== 0,
          finished: (flags & 2) !== 0,
          browsing: (flags & 4) !== 0,
          running: (flags & 8) !== 0,
          canRerun: question === "unknown-host" && (flags & 8) === 0,
          autoRead: (flags & 2) !== 0,
          failed: (flags & 4) !== 0,
        };
}

describe("the key map", () => {
  test("every key the footer shows does what the map says, in every situation (none is shadowed)", () => {
    let checked = 0;
    for (const s of situations()) {
      const footer = footerOf(s);
      for (const b of KEY_MAP) {
        if (!b.when(s)) continue;
        const label = typeof b.label === "function" ? b.label(s) : b.label;
        if (label === undefined) continue;
        expect(footer).toContain(b.keys ? `${b.keys} ${label}` : label);
        for (const [name, intent] of Object.entries(b.match)) {
          const [input, key] = press(name);
          expect({ s, name, got: intentOf(s, input, key) }).toEqual({ s, name, got: intent });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  test("a key that does nothing now is not offered, and typed text never quits a box", () => {
    const typing: Situation = {
      modal: "skip-reason",
      question: "before-step",
      dryRun: false,
      finished: false,
      browsing: false,
      running: false,
      canRerun: false,
      autoRead: false,
      failed: false,
    };
    for (const c of "qyxbBrs?af") expect(intentOf(typing, ...press(c))).toBe("type");
    expect(intentOf(typing, "because\r", NO_KEY)).toBe("submit");
    expect(footerOf(typing)).toBe("type the reason · Enter skip · Esc back");

    const dry: Situation = { ...typing, modal: "none", question: undefined, dryRun: true };
    for (const c of "asbrx") expect(intentOf(dry, ...press(c))).toBeUndefined();
    expect(footerOf(dry)).toBe("q quit · i details · Tab machine · ↑↓ steps · PgUp/PgDn output");

    const stillRunning: Situation = { ...typing, modal: "none", question: "unknown-host", canRerun: false };
    expect(intentOf(stillRunning, ...press("r"))).toBeUndefined();
    expect(footerOf(stillRunning)).toStartWith("d mark done · x stop · q quit");
  });

  test("the footers an operator reads at the usual moments", () => {
    const base: Situation = {
      modal: "none",
      dryRun: false,
      finished: false,
      browsing: false,
      running: false,
      canRerun: false,
      autoRead: false,
      failed: false,
    };
    const nav = "i details · Tab machine · ↑↓ steps · PgUp/PgDn output";
    expect(footerOf({ ...base, question: "before-step" })).toBe(
      `Enter run · s skip · b/B roll back · q quit · ${nav} · a auto-read on`,
    );
    expect(footerOf({ ...base, question: "before-step", browsing: true, autoRead: true })).toBe(
      `Esc back · b/B roll back this step · q quit · ${nav} · a auto-read off`,
    );
    expect(footerOf({ ...base, question: "after-failure" })).toBe(
      `r retry · s skip on · b/B roll back · x stop · q quit · ${nav} · a auto-read on`,
    );
    expect(footerOf({ ...base, running: true })).toBe(`q quit (asks first) · ${nav} · a auto-read on`);
    expect(footerOf({ ...base, question: "host-key" })).toStartWith("y yes · n no · q quit");
    expect(footerOf({ ...base, modal: "quit", running: true })).toBe("y quit (resumable) · n stay");
  });

  test("the help lists every key of the main screen once, from the same map", () => {
    const help = helpLines();
    for (const b of KEY_MAP.filter((b) => b.help))
      expect(help.some((l) => l.startsWith(b.help?.keys ?? ""))).toBe(true);
    expect(help).toContain("s           skip it (asks for a reason, which is journaled)");
    expect(help).toContain("q           quit; asks first while something runs; the run");
    expect(new Set(help.map((l) => l.slice(0, 12).trim()).filter(Boolean)).size).toBe(
      help.filter((l) => l.slice(0, 12).trim()).length,
    );
  });
});
