import { readFileSync, statSync } from "node:fs";
import { utils } from "ssh2";
import { RunbookError } from "../model/errors.ts";
import type { Host } from "../model/inventory.ts";
import type { PassphraseSource } from "./passphrases.ts";

/**
 * What an inventory gets wrong that would only show when a machine is logged into: a key file that is
 * missing, a directory or not a key; an encrypted key with no way to get its passphrase; a wrong
 * passphrase; the ssh-agent asked for but not running. Checked for every machine before the first
 * login, so a run never logs into some machines and then stops at the next one. Each key file is read
 * once, and its passphrase asked (or taken from the environment) once, for all machines that use it.
 */
export async function checkIdentities(hosts: Host[], passphrase?: PassphraseSource): Promise<RunbookError[]> {
  const errors: RunbookError[] = [];
  const checked = new Map<string, string | undefined>();
  for (const h of hosts) {
    if (h.transport !== "ssh") continue;
    const at = h.keyPos?.identity ?? h.pos;
    if (h.agent && !process.env.SSH_AUTH_SOCK) {
      errors.push(
        new RunbookError(
          "inventory",
          `machine ${h.name} uses the ssh-agent (agent: true) but SSH_AUTH_SOCK is not set`,
          h.pos,
          "start ssh-agent and ssh-add the key, or give the machine an identity file",
        ),
      );
    }
    if (!h.identity) continue;
    if (!checked.has(h.identity)) checked.set(h.identity, await problemOf(h, passphrase));
    const problem = checked.get(h.identity);
    if (problem) {
      errors.push(
        new RunbookError(
          "inventory",
          `the identity of machine ${h.name}, ${h.identity}, ${problem}`,
          at,
          HINT,
        ),
      );
    }
  }
  return errors;
}

const HINT = "fix identity: in the inventory (a private key file the login user's machine accepts)";

async function problemOf(h: Host, passphrase?: PassphraseSource): Promise<string | undefined> {
  const file = h.identity as string;
  let data: Buffer;
  try {
    if (statSync(file).isDirectory()) return "is a directory, not a key file";
    data = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (e as Error).message})`;
  }
  let parsed = utils.parseKey(data);
  if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
    if (!passphrase) {
      return "is encrypted and no passphrase can be asked in this run: set RUNBOOK_SSH_PASSPHRASE, run it in a terminal, or use the ssh-agent";
    }
    for (let attempt = 1; attempt <= 3; attempt++) {
      const pass = await passphrase({ host: h.name, identity: file, attempt });
      if (pass === undefined) {
        return attempt === 1
          ? "is encrypted and no passphrase was given"
          : "is encrypted and the passphrase given is wrong";
      }
      parsed = utils.parseKey(data, pass);
      if (!(parsed instanceof Error)) break;
    }
    if (parsed instanceof Error) return "is encrypted and the passphrase given is wrong";
  }
  if (parsed instanceof Error) return `is not a private key ssh can use (${parsed.message})`;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) return "is not a private key (a public key?)";
  return undefined;
}
