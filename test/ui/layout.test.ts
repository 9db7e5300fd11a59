import { describe, expect, test } from "bun:test";
import {
  FOOTER_ROWS,
  HEADER_ROWS,
  INLINE_BOX_ROWS,
  layout,
  MIN_COLUMNS,
  MIN_ROWS,
} from "../../src/ui/layout.ts";

describe("layout", () => {
  const sizes = [
    [MIN_COLUMNS, MIN_ROWS],
    [80, 24],
    [100, 30],
    [120, 40],
    [200, 60],
  ] as const;

  for (const [columns, rows] of sizes) {
    for (const hosts of [0, 1, 4, 12]) {
      test(`${columns}x${rows} with ${hosts} machines: the regions add up to the screen exactly`, () => {
        for (const cardLines of [1, 6, 40]) {
          const l = layout({ columns, rows, hosts, rollbackLines: hosts, cardLines });
          expect(l.height).toBe(rows);
          expect(l.width).toBe(columns);
          expect(HEADER_ROWS + l.body + FOOTER_ROWS).toBe(rows);
          expect(l.card + l.grid + l.output + l.rollback).toBe(l.body);
          expect(l.listWidth + 1 + l.rightWidth).toBe(columns);
          expect(l.output).toBeGreaterThanOrEqual(4);
          expect(l.card).toBeGreaterThanOrEqual(INLINE_BOX_ROWS);
          expect(l.grid).toBeLessThanOrEqual(hosts);
        }
      });
    }
  }

  test("at 80x24 with four machines every machine has a row, and the output keeps at least 7 lines", () => {
    const l = layout({ columns: 80, rows: 24, hosts: 4, rollbackLines: 1, cardLines: 5 });
    expect(l.grid).toBe(4);
    expect(l.output - 1).toBeGreaterThanOrEqual(7);
  });

  test("a long card gets more rows on a tall terminal, never all of them", () => {
    const short = layout({ columns: 120, rows: 40, hosts: 2, rollbackLines: 1, cardLines: 3 });
    const long = layout({ columns: 120, rows: 40, hosts: 2, rollbackLines: 1, cardLines: 30 });
    expect(short.card).toBe(INLINE_BOX_ROWS);
    expect(long.card).toBeGreaterThan(short.card);
    expect(long.output).toBeGreaterThan(long.card / 2);
  });

  test("a smaller terminal than supported is laid out at the minimum (the app then asks for more room)", () => {
    const l = layout({ columns: 40, rows: 10, hosts: 1, rollbackLines: 1, cardLines: 1 });
    expect([l.width, l.height]).toEqual([MIN_COLUMNS, MIN_ROWS]);
  });
});
