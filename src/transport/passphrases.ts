/**
 * Passphrases of encrypted key files: how they are asked, and asked once per key for the whole run.
 * Apart from the ssh transport so the engine can use it without loading ssh2 (a run on local machines
 * never does).
 */

/** Asked for the passphrase of an encrypted key; `attempt` is 1 first, more after a wrong one. */
export type PassphraseSource = (q: {
  host: string;
  identity: string;
  attempt: number;
}) => Promise<string | undefined>;

/** Wraps a passphrase source so each key is asked once for all machines that use it. */
export function rememberPassphrases(ask: PassphraseSource): PassphraseSource {
  const known = new Map<string, Promise<string | undefined>>();
  return (q) => {
    const cached = known.get(q.identity);
    if (q.attempt === 1 && cached) return cached;
    const p = ask(q);
    known.set(q.identity, p);
    return p;
  };
}
