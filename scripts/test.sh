#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need, then `bun run check`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need_pkgs=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need_pkgs+=(openssh-client)
command -v tmux >/dev/null 2>&1 || need_pkgs+=(tmux)
command -v javac >/dev/null 2>&1 || need_pkgs+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_pkgs+=(maven)
# The become tests run commands as another user through sudo (rules written by the tests).
command -v sudo >/dev/null 2>&1 || need_pkgs+=(sudo)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing ${need_pkgs[*]}" >&2
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

source "$repo/scripts/ensure-tools.sh"
bun run check
