/** The seed document and the `--role` options that map its machines A-D to the deployments' roles. */
export const SEED = "test/import/fixtures/rocketmq-cluster-modes.seed.md";
export const SEED_ROLES = [
  "--role",
  "A=broker-a",
  "--role",
  "B=broker-b",
  "--role",
  "C=broker-a-s",
  "--role",
  "D=broker-b-s",
];
