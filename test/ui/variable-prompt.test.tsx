import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cleanup, render } from "ink-testing-library";
import { VariablePrompt } from "../../src/ui/components/variable-prompt.tsx";
import { NO_COLOR_THEME } from "../../src/ui/theme.ts";
import {
  initialPromptState,
  invalidValue,
  type PromptVariable,
  promptReducer,
} from "../../src/ui/variable-prompt-state.ts";
import { KEYS, strip, tick } from "./render-app.tsx";

// Screens are polled for, not waited for by the clock: generous on a loaded machine, quick otherwise.
setDefaultTimeout(30_000);

afterEach(() => cleanup());

function prompt(variable: PromptVariable) {
  let answered: { value: string | undefined } | undefined;
  const r = render(
    <VariablePrompt
      variable={variable}
      theme={NO_COLOR_THEME}
      onDone={(value) => {
        answered = { value };
      }}
    />,
  );
  return {
    // After the prompt exits, lastFrame() is empty: the last frame written is the one that stays.
    frame: () => strip(r.frames.filter((f) => f.trim() !== "").at(-1) ?? "").trimEnd(),
    async press(...keys: string[]) {
      for (const k of keys) {
        r.stdin.write(k);
        await tick();
      }
    },
    answered: () => answered,
    async answer() {
      for (let i = 0; i < 1000 && !answered; i++) await tick();
      return answered;
    },
  };
}

describe("asking for a variable before the run", () => {
  test("free text: description and pattern shown, a bad value refused, a good one taken", async () => {
    const p = prompt({ name: "heap", describe: "broker heap", pattern: "^[0-9]+[mg]$", secret: false });
    expect(p.frame()).toBe(
      ["? heap — broker heap", "  must match ^[0-9]+[mg]$", "  > █", "  Enter take it · Esc cancel"].join(
        "\n",
      ),
    );
    await p.press(..."lots", KEYS.enter);
    expect(p.frame()).toContain("  > lots█\n  ✗ must match ^[0-9]+[mg]$");
    expect(p.answered()).toBeUndefined();
    await p.press(KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace, ..."512m", KEYS.enter);
    expect(p.answered()).toEqual({ value: "512m" });
    expect(p.frame()).toBe("✓ heap = 512m");
  });

  test("choices: picked with the arrows", async () => {
    const p = prompt({ name: "region", describe: "where", choices: ["eu", "us", "ap"], secret: false });
    expect(p.frame()).toContain("  › eu\n    us\n    ap");
    await p.press(KEYS.down, KEYS.down, KEYS.down, KEYS.up);
    expect(p.frame()).toContain("    eu\n    us\n  › ap");
    await p.press(KEYS.enter);
    expect(p.answered()).toEqual({ value: "ap" });
  });

  test("a secret is never echoed, not even its length once taken", async () => {
    const p = prompt({ name: "token", describe: "API token", secret: true });
    expect(p.frame()).toContain("secret: not shown, journaled or saved");
    await p.press(..."hunter2");
    expect(p.frame()).toContain("> •••••••█");
    expect(p.frame()).not.toContain("hunter2");
    await p.press(KEYS.enter);
    expect(p.answered()).toEqual({ value: "hunter2" });
    expect(p.frame()).toBe("✓ token = ••••••");
  });

  test("Esc backs out: no value, and it says nothing was run", async () => {
    const p = prompt({ name: "region", secret: false });
    await p.press(KEYS.escape);
    expect(await p.answer()).toEqual({ value: undefined });
    expect(p.frame()).toBe("✗ region: no value given; nothing was run");
  });

  test("an empty answer takes the default when there is one, else it is refused", () => {
    const withDefault: PromptVariable = { name: "x", default: "7", secret: false };
    expect(
      promptReducer(initialPromptState(withDefault), { type: "submit", variable: withDefault }).answer,
    ).toEqual({ value: "7" });
    const without: PromptVariable = { name: "x", secret: false };
    const s = promptReducer(initialPromptState(without), { type: "submit", variable: without });
    expect(s.answer).toBeUndefined();
    expect(s.error).toBe("a value is needed");
  });

  test("invalidValue checks choices and pattern; a pattern that does not compile is left to the planner", () => {
    expect(invalidValue({ name: "x", choices: ["a", "b"], secret: false }, "c")).toBe("one of: a, b");
    expect(invalidValue({ name: "x", pattern: "^a", secret: false }, "ba")).toBe("must match ^a");
    expect(invalidValue({ name: "x", pattern: "(", secret: false }, "anything")).toBeUndefined();
    expect(invalidValue({ name: "x", secret: false }, "ok")).toBeUndefined();
  });
});
