import type { PlanHost } from "../model/plan.ts";

/**
 * Who a machine is, whatever the inventory calls it: its login, address and port, and the bastions it
 * is reached through (first hop first). 10.0.0.5:22 behind bastion1 and 10.0.0.5:22 behind bastion2
 * are two machines of two networks, so they are two identities (and two places in the lock order).
 */
export function machineIdentity(
  h: Pick<PlanHost, "transport" | "user" | "address" | "port" | "via">,
): string {
  const route = (h.via ?? []).map((j) => `${j.user ?? ""}@${j.address}:${j.port}>`).join("");
  return `${h.transport}:${route}${h.user ?? ""}@${h.address}:${String(h.port).padStart(5, "0")}`;
}
