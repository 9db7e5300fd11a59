import { expect, test } from "bun:test";
import { GcPacer } from "../../src/engine/gc-pacer.ts";

test("collects once per threshold of output, not per chunk", () => {
  let collections = 0;
  const pacer = new GcPacer(1000, () => collections++);
  for (let i = 0; i < 9; i++) pacer.add(100);
  expect(collections).toBe(0);
  pacer.add(100);
  expect(collections).toBe(1);
  for (let i = 0; i < 25; i++) pacer.add(100);
  expect(collections).toBe(3);
  pacer.add(5000);
  expect(collections).toBe(4);
});
