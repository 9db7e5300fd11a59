#!/usr/bin/env bun
/**
 * Draws the main ratios of a bench run as horizontal bars (SVG, no dependencies):
 *
 *   RUNBOOK_BENCH_JSON=docs/benchmarks.json bun run bench
 *   bun bench/chart.ts docs/benchmarks.json docs/benchmarks.svg
 *
 * Every bar is the peer's time divided by runbook's (medians of the same run): right of the 1x line
 * runbook is faster, left of it slower. The axis is logarithmic (a 28x and a 0.5x on one chart).
 */
import { readFileSync, writeFileSync } from "node:fs";

interface Stat {
  med: number;
  min: number;
  max: number;
}

const [input = "docs/benchmarks.json", out = "docs/benchmarks.svg"] = process.argv.slice(2);
const f = JSON.parse(readFileSync(input, "utf8")) as Record<string, Stat>;
const med = (k: string) => f[k]?.med;
const over = (peer: string, ours: string) => {
  const a = med(peer);
  const b = med(ours);
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
};

const groups: [string, [string, number | undefined][]][] = [
  [
    "per step, 100 steps on 4 machines",
    [
      ["OpenSSH, new connection per command", over("perStep.fresh", "perStep.runbook")],
      ["OpenSSH multiplexed", over("perStep.mux", "perStep.runbook")],
      ["ansible-playbook, command module", over("perStep.ansible-command", "perStep.runbook")],
      ["ansible-playbook, raw module", over("perStep.ansible-raw", "perStep.runbook")],
      ["ssh2 loop, one connection (the floor)", over("perStep.floor", "perStep.runbook")],
    ],
  ],
  [
    "one `sleep 1` step on 64 machines",
    [
      ["ansible-playbook, forks 64", over("fanOut.ansible.64", "fanOut.runbook.64")],
      ["OpenSSH, all at once", over("fanOut.ssh.64", "fanOut.runbook.64")],
    ],
  ],
  ["streaming 100 MB of output", [["ssh host cmd", over("output.ssh100MB.ms", "output.100MB.ms")]]],
];

const W = 760;
const LABEL = 290;
const BAR_H = 20;
const GAP = 6;
const TOP = 56;
const lo = Math.log(0.25);
const hi = Math.log(64);
const x = (v: number) =>
  Math.round(
    (LABEL + ((Math.log(Math.max(0.25, Math.min(64, v))) - lo) / (hi - lo)) * (W - LABEL - 70)) * 10,
  ) / 10;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/`/g, "");

const parts: string[] = [];
let y = TOP;
for (const [title, bars] of groups) {
  parts.push(`<text x="10" y="${y + 14}" font-weight="bold">${esc(title)}</text>`);
  y += BAR_H + GAP;
  for (const [label, v] of bars) {
    parts.push(`<text x="${LABEL - 8}" y="${y + 14}" text-anchor="end">${esc(label)}</text>`);
    if (v === undefined) {
      parts.push(`<text x="${x(1) + 6}" y="${y + 14}" fill="#888">not measured</text>`);
    } else {
      const a = x(Math.min(1, v));
      const b = x(Math.max(1, v));
      const colour = v >= 1 ? "#2a7d4f" : "#b5482a";
      parts.push(
        `<rect x="${a}" y="${y + 2}" width="${Math.max(1, b - a)}" height="${BAR_H - 4}" fill="${colour}"/>`,
      );
      parts.push(`<text x="${b + 6}" y="${y + 14}">${v >= 10 ? v.toFixed(0) : v.toFixed(2)}x</text>`);
    }
    y += BAR_H + GAP;
  }
  y += GAP * 2;
}
const ticks = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
  .map(
    (t) =>
      `<line x1="${x(t)}" y1="${TOP - 6}" x2="${x(t)}" y2="${y}" stroke="${t === 1 ? "#000" : "#ddd"}"/>` +
      `<text x="${x(t)}" y="${y + 16}" text-anchor="middle" fill="#555">${t}x</text>`,
  )
  .join("\n");
const H = y + 30;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="10" y="22" font-size="15" font-weight="bold">runbook against its peers: the peer's time / runbook's (median of one bench run)</text>
<text x="10" y="40" fill="#555">right of 1x runbook is faster, left of it slower; logarithmic axis</text>
${ticks}
${parts.join("\n")}
</svg>
`;
writeFileSync(out, svg);
console.log(out);
