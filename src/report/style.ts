import type { Risk } from "../model/runbook.ts";

/** Semantic colours for plain output; every colour used by the reporters comes from here. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  heading(s: string): string;
  ok(s: string): string;
  warn(s: string): string;
  danger(s: string): string;
  code(s: string): string;
  risk(risk: Risk, s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function makeStyle(color: boolean): Style {
  if (!color) {
    const id = (s: string) => s;
    return { bold: id, dim: id, heading: id, ok: id, warn: id, danger: id, code: id, risk: (_r, s) => s };
  }
  const style: Style = {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    heading: (s) => wrap(1, 22)(wrap(36, 39)(s)),
    ok: wrap(32, 39),
    warn: wrap(33, 39),
    danger: wrap(31, 39),
    code: wrap(37, 39),
    risk: (risk, s) => {
      switch (risk) {
        case "read":
          return style.ok(s);
        case "change":
          return style.warn(s);
        case "destructive":
          return style.danger(s);
      }
    },
  };
  return style;
}
