import type { Decision } from "../engine/events.ts";

/** A decision as an operator reads it in a log or a timeline. */
export function describeDecision(d: Decision): string {
  switch (d.kind) {
    case "run":
      return "confirmed";
    case "skip":
      return `skipped: ${d.reason || "no reason given"}`;
    case "retry":
      return "retry on the machines that failed";
    case "rollback":
      return `roll back${d.stepId ? ` step ${d.stepId}` : ""}${d.hosts ? ` on ${d.hosts.join(", ")}` : ""}`;
    case "abort":
      return d.reason ? `aborted: ${d.reason}` : "aborted";
    case "done":
      return `counted as done on ${d.hosts.join(", ")}`;
    case "rerun":
      return `run again on ${d.hosts.join(", ")}`;
    case "word":
      return d.right
        ? "the confirmation word was given"
        : `a wrong confirmation word was given (attempt ${d.attempt})`;
    case "back":
      return "went back from the confirmation word";
    case "host-key":
      return `${d.accepted ? "accepted" : "refused"} the host key ${d.fingerprint} of ${d.host}`;
    case "secret":
      return d.given ? `gave secret ${d.name}` : `did not give secret ${d.name}`;
    case "passphrase":
      return d.given
        ? `gave the passphrase of ${d.identity}`
        : `did not give the passphrase of ${d.identity}`;
    case "become-password":
      return `${d.given ? "gave" : "did not give"} the sudo password to run commands as ${d.users.join(", ")}`;
    case "roll-back-steps":
      return d.stepIds.length > 0 ? `roll back ${d.stepIds.join(", ")}` : "roll back nothing";
  }
}
