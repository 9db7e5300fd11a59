/**
 * How runbook logs in: the ssh-agent (agent: true), the inventory's identity file, else the user's
 * default keys (~/.ssh/id_ed25519, id_ecdsa, id_rsa). An encrypted key's passphrase is asked through a
 * PassphraseSource, up to three times; every failure names the machine, the key and what to do.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type AnyAuthMethod, utils } from "ssh2";
import type { Host } from "../../model/inventory.ts";
import { errText } from "../../util/err-text.ts";
import type { PassphraseSource } from "../passphrases.ts";
import { TransportError } from "../transport.ts";
import type { Peer } from "./peer.ts";

export { type PassphraseSource, rememberPassphrases } from "../passphrases.ts";

/** The auth methods to try, in order, and how to name them in an error. */
export interface AuthMethods {
  methods: AnyAuthMethod[];
  describe: string;
}

/** Who logs in where, and how to ask for a passphrase (`opts.passphrase`; none: encrypted keys fail). */
export interface Login {
  machine: Host;
  user: string;
  peer: Peer;
  opts: { passphrase?: PassphraseSource };
}

/** Loads the keys now (asking for passphrases), so a problem shows before the connection is made. */
export async function authMethods(login: Login): Promise<AuthMethods> {
  const { machine: m, user, peer } = login;
  const methods: AnyAuthMethod[] = [];
  const names: string[] = [];
  if (m.agent) {
    const sock = process.env.SSH_AUTH_SOCK;
    if (!sock) {
      throw new TransportError(
        "auth-failed",
        `${peer.label} uses the ssh-agent (agent: true) but SSH_AUTH_SOCK is not set: start ssh-agent and ssh-add the key`,
        peer.host,
      );
    }
    methods.push({ type: "agent", username: user, agent: sock });
    names.push(`the keys of the ssh-agent at ${sock}`);
  }
  const files = m.identity
    ? [m.identity]
    : m.agent
      ? []
      : ["id_ed25519", "id_ecdsa", "id_rsa"]
          .map((f) => join(homedir(), ".ssh", f))
          .filter((f) => existsSync(f));
  if (methods.length === 0 && files.length === 0) {
    throw new TransportError(
      "auth-failed",
      `no key to log in to ${peer.label}: set identity (a private key file) or agent: true in the inventory`,
      peer.host,
    );
  }
  for (const file of files) {
    const key = await loadKey(login, file);
    methods.push({ type: "publickey", username: user, key });
    names.push(`the key ${file}`);
  }
  return { methods, describe: `${names.join(" and ")} for user ${user}` };
}

async function loadKey(login: Login, file: string): Promise<ReturnType<typeof parsedKey>> {
  const { peer, opts } = login;
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new TransportError(
      "auth-failed",
      `cannot read the key ${file} for ${peer.label}: ${errText(e)}`,
      peer.host,
    );
  }
  let parsed = utils.parseKey(data);
  for (let attempt = 1; parsed instanceof Error && /passphrase/i.test(parsed.message); attempt++) {
    if (!opts.passphrase || attempt > 3) {
      throw new TransportError(
        "auth-failed",
        opts.passphrase
          ? `wrong passphrase for the key ${file} (${peer.label})`
          : `the key ${file} (${peer.label}) is encrypted and no passphrase can be asked in this run`,
        peer.host,
      );
    }
    const pass = await opts.passphrase({ host: peer.host, identity: file, attempt });
    if (pass === undefined) {
      throw new TransportError(
        "auth-failed",
        attempt > 1
          ? `wrong passphrase for the key ${file} (${peer.label})`
          : `no passphrase given for the key ${file} (${peer.label})`,
        peer.host,
      );
    }
    parsed = utils.parseKey(data, pass);
  }
  return parsedKey(parsed, file, peer);
}

function parsedKey(parsed: ReturnType<typeof utils.parseKey>, file: string, peer: Peer) {
  if (parsed instanceof Error) {
    throw new TransportError(
      "auth-failed",
      `cannot use the key ${file} for ${peer.label}: ${parsed.message}`,
      peer.host,
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) {
    throw new TransportError("auth-failed", `${file} is not a private key (${peer.label})`, peer.host);
  }
  return key;
}
