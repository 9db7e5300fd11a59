import YAML from "yaml";
import type { Finding } from "./model.ts";

/** The document's front matter as far as a runbook uses it: GitBook's `description` is the summary. */
export function documentFrontMatter(
  fm: { text: string; line: number } | undefined,
  findings: Finding[],
): { title?: string; summary?: string } {
  if (!fm) return {};
  let data: unknown;
  try {
    data = YAML.parse(fm.text, { logLevel: "error" });
  } catch (e) {
    findings.push({
      line: fm.line,
      kind: "manual",
      text: `front matter is not valid YAML, ignored (${(e as Error).message.split("\n")[0]})`,
    });
    return {};
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) return {};
  const out: { title?: string; summary?: string } = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const line =
      fm.line +
      Math.max(
        0,
        fm.text.split("\n").findIndex((l) => l.startsWith(`${key}:`)),
      );
    const text = typeof value === "string" || typeof value === "number" ? String(value) : undefined;
    if (key === "title" && text) out.title = text;
    else if ((key === "description" || key === "summary") && text) {
      out.summary = text;
      findings.push({ line, kind: "inferred", text: `front matter ${key} became the summary` });
    } else {
      const why = ["roles", "groups", "vars", "confirm"].includes(key)
        ? "the importer writes its own declarations"
        : "it has no place in a runbook";
      findings.push({ line, kind: "manual", text: `front matter key ${key} left out: ${why}` });
    }
  }
  return out;
}
