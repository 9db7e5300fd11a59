import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

/** A phase or a step: its heading's text and where it stands. */
export interface Heading {
  title: string;
  pos: SourcePos;
}

/**
 * An id written as {#id} that another heading has too (generated ids get a suffix instead: see
 * heading-ids.ts, assignIds). Both headings are named by their text.
 */
export function duplicateId(what: string, id: string, here: Heading, first: Heading): RunbookError {
  const at = (p: SourcePos) => `${p.file.split("/").pop()}:${p.line}`;
  const sameHeading = first.pos.file === here.pos.file && first.pos.line === here.pos.line;
  return new RunbookError(
    "duplicate-id",
    sameHeading
      ? `${what} id "${id}" is used twice: the file with "${here.title}" is included twice`
      : `${what} id "${id}" is used twice: by "${here.title}" and by "${first.title}" (${at(first.pos)})`,
    here.pos,
    sameHeading
      ? `include it once, or remove the {#${id}} from its heading so that each inclusion gets an id of its own`
      : `end one of them with {#another-id}`,
  );
}
