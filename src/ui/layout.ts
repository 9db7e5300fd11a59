/**
 * Row and column budget of the screen. Every region gets an exact height that adds up to the terminal's,
 * so nothing is left blank at the bottom and nothing is pushed off it, and the output pane keeps its
 * size when a question box opens (an inline box takes the card's rows, never the output's).
 */
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 20;
export const HEADER_ROWS = 3;
export const FOOTER_ROWS = 1;
/** The tallest inline box (failure, typed word, skip reason, quit, roll back): the card slot is never smaller. */
export const INLINE_BOX_ROWS = 6;
const MIN_OUTPUT_ROWS = 4;

export interface LayoutInput {
  columns: number;
  rows: number;
  /** Machines of the shown step. */
  hosts: number;
  /** Lines the rollback box would like (one per distinct rollback). */
  rollbackLines: number;
  /** Lines the step card would like. */
  cardLines: number;
}

export interface Layout {
  width: number;
  height: number;
  body: number;
  listWidth: number;
  rightWidth: number;
  card: number;
  /** Rows of the machine grid (including its "… more" line). */
  grid: number;
  /** Rows of the rollback box (including its title). */
  rollback: number;
  output: number;
}

const listWidthOf = (width: number) => clamp(Math.floor(width * 0.33), 22, 40);

/** Columns of the right-hand column (card, machines, output), which prose is wrapped to. */
export function cardWidth(columns: number): number {
  const width = Math.max(MIN_COLUMNS, columns);
  return width - listWidthOf(width) - 1;
}

export function layout(i: LayoutInput): Layout {
  const width = Math.max(MIN_COLUMNS, i.columns);
  const height = Math.max(MIN_ROWS, i.rows);
  const body = height - HEADER_ROWS - FOOTER_ROWS;
  const listWidth = listWidthOf(width);
  const rightWidth = cardWidth(width);
  const grid = i.hosts === 0 ? 0 : Math.min(i.hosts, clamp(Math.floor(body / 5), 2, 10));
  const rollback = i.hosts === 0 ? 0 : 1 + Math.min(Math.max(1, i.rollbackLines), body >= 30 ? 4 : 2);
  const rest = body - grid - rollback;
  const cardMax = Math.max(INLINE_BOX_ROWS, Math.floor(rest * 0.55));
  const card = Math.max(1, Math.min(clamp(i.cardLines, INLINE_BOX_ROWS, cardMax), rest - MIN_OUTPUT_ROWS));
  return { width, height, body, listWidth, rightWidth, card, grid, rollback, output: rest - card };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}
