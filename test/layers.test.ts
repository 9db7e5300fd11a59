import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = join(import.meta.dir, "..", "src");

/** What each layer may import (docs/architecture.md): the arrows only point down. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  util: [],
  model: ["util"],
  format: ["model", "util"],
  import: ["format", "model", "util"],
  inventory: ["format", "model", "util"],
  plan: ["format", "model", "util"],
  transport: ["model", "util"],
  engine: ["transport", "model", "util"],
  report: ["engine", "format", "model", "util"],
  ui: ["engine", "format", "model", "util"],
  api: ["engine", "transport", "import", "format", "inventory", "plan", "model", "util"],
  cli: ["api", "ui", "report", "engine", "import", "format", "inventory", "plan", "model", "util"],
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** api.ts and api-run.ts are one layer: the door and what a run loads behind it. */
function layerOf(file: string): string {
  const top = relative(SRC, file).split("/")[0] ?? "";
  return top.startsWith("api") ? "api" : top;
}

describe("the layers", () => {
  test("no import points from a lower layer to a higher one", () => {
    const wrong: string[] = [];
    let seen = 0;
    for (const file of filesUnder(SRC)) {
      const from = layerOf(file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)) {
        const to = layerOf(resolve(dirname(file), m[1] ?? ""));
        seen++;
        if (to === from) continue;
        if (!(MAY_IMPORT[from] ?? []).includes(to))
          wrong.push(`${relative(SRC, file)} imports ${m[1]} (${from} -> ${to})`);
      }
    }
    expect(seen).toBeGreaterThan(200);
    expect(wrong).toEqual([]);
  });
});
