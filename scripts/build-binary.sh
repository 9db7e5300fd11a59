#!/usr/bin/env bash
# Builds runbook as one executable that runs without Bun or node_modules: dist/runbook (or $1).
#   ./scripts/build-binary.sh [OUTFILE]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/scripts/ensure-tools.sh"
exec bun "$repo/scripts/build-binary.ts" "$@"
