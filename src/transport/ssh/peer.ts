import type { Host } from "../../model/inventory.ts";

/** Who a message is about: the inventory's name of the machine, and how messages name it. */
export interface Peer {
  /** The inventory's name (TransportError.host). */
  readonly host: string;
  /** `name (user@address:port)`. */
  readonly label: string;
}

export function peerOf(machine: Host, user: string): Peer {
  return { host: machine.name, label: `${machine.name} (${user}@${machine.address}:${machine.port})` };
}
