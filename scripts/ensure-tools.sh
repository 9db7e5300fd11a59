#!/usr/bin/env bash
# Installs what runbook itself needs, only when it is missing: Bun and the node modules.
# Sourced by ./runbook and scripts/test.sh; safe to run again.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v bun >/dev/null 2>&1; then
  echo "runbook: installing Bun (npm install -g bun@1)" >&2
  npm install -g bun@1 >&2
fi
# Reinstall when the lock file is newer than the last install.
if [ ! -d "$repo/node_modules" ] || [ "$repo/bun.lock" -nt "$repo/node_modules/.installed" ]; then
  (cd "$repo" && bun install --frozen-lockfile >&2 && touch node_modules/.installed)
fi
