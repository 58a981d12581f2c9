#!/usr/bin/env bash
# Installs everything callqa needs into a virtualenv (default .venv), plus the
# system packages it uses when they are missing and this user may install them.
set -euo pipefail
VENV="${1:-.venv}"
PYTHON="${PYTHON:-python3.11}"
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# System packages: ffmpeg (decoders for openai-whisper and tools), chromium for the browser test.
# callqa itself decodes with PyAV, which bundles ffmpeg, so a missing package is a warning, not a failure.
want=()
command -v ffmpeg >/dev/null 2>&1 || want+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || want+=(chromium)
if ((${#want[@]})); then
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
        say "installing system packages: ${want[*]}"
        $SUDO apt-get update -qq || true
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null \
            || echo "warning: could not install ${want[*]}; continuing without them" >&2
    else
        echo "warning: ${want[*]} missing and cannot be installed here (no apt-get or no root); continuing" >&2
    fi
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    if python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        PYTHON=python3
    else
        echo "error: Python 3.11 is required ($PYTHON not found)" >&2
        exit 1
    fi
fi

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
# pip repeats one warning per unreachable mirror folder of some site configs: keep the log readable.
quiet_pip() { "${PIP[@]}" "$@" 2>&1 | { grep -v '^WARNING: Location .* is ignored' || true; }; }
# torch first and pinned: left to the resolver, pip may pick a torch that breaks torchaudio.
say "installing torch 2.11.0 + torchaudio 2.11.0"
quiet_pip install -q "torch==2.11.0" "torchaudio==2.11.0"
say "installing callqa and its dependencies"
quiet_pip install -q -e ".[test]" --constraint <(printf 'torch==2.11.0\ntorchaudio==2.11.0\n')
"${PIP[@]}" check
say "done: $VENV"
