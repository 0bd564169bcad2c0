#!/usr/bin/env bash
# Put the `devtray` command on PATH from the installed app (a .dmg cannot run an installer
# script): links /usr/local/bin/devtray to the binary inside devtray.app. Asks for your
# password when /usr/local/bin is not writable. Undo: rm /usr/local/bin/devtray
set -euo pipefail
APP="${1:-/Applications/devtray.app}"
BIN="$APP/Contents/MacOS/devtray"
[ -x "$BIN" ] || { echo "no devtray at $APP (drag devtray.app to Applications first)" >&2; exit 1; }
SUDO=()
if [ ! -w /usr/local/bin ] 2>/dev/null; then SUDO=(sudo); fi
"${SUDO[@]}" mkdir -p /usr/local/bin
"${SUDO[@]}" ln -sf "$BIN" /usr/local/bin/devtray
/usr/local/bin/devtray --version
