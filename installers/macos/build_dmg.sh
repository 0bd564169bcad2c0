#!/usr/bin/env bash
# Build devtray.app and devtray-VERSION-macos-ARCH.dmg on a Mac (one per architecture).
#
#   installers/macos/build_dmg.sh arm64      # Apple silicon
#   installers/macos/build_dmg.sh x86_64     # Intel (on an Intel Mac, or under Rosetta)
#
# Needs: Xcode command line tools, and a python3 (3.11+) that runs as ARCH: python.org's
# "universal2" installer serves both (`arch -x86_64 python3` on Apple silicon).
#
# Signing and notarisation (credentials come from the environment, never from the repository):
#   DEVTRAY_CODESIGN_ID     "Developer ID Application: Example Ltd (TEAMID1234)", a certificate
#                           in the build user's keychain. PyInstaller signs every binary with it,
#                           hardened runtime on, with installers/macos/entitlements.plist.
#   DEVTRAY_NOTARY_PROFILE  a notarytool keychain profile, made once with
#                           `xcrun notarytool store-credentials PROFILE --apple-id ID
#                            --team-id TEAMID1234 --password APP_SPECIFIC_PASSWORD`
#                           (or an App Store Connect API key: --key, --key-id, --issuer).
# Without them the build is unsigned: fine for testing, but Gatekeeper then asks users to
# right-click > Open the first time.
set -euo pipefail

ARCH="${1:-$(uname -m)}"
case "$ARCH" in arm64|x86_64) ;; *) echo "usage: $0 arm64|x86_64" >&2; exit 2 ;; esac
cd "$(dirname "$0")/../.."
PY=(arch "-$ARCH" "${PYTHON:-python3}")

VENV="build/macos-$ARCH/venv"
"${PY[@]}" -m venv "$VENV"
arch "-$ARCH" "$VENV/bin/python" -m pip install -q --upgrade pip
arch "-$ARCH" "$VENV/bin/python" -m pip install -q '.[gui]' 'pyinstaller>=6.10'
VERSION="$("$VENV/bin/python" -c 'import desktop; print(desktop.__version__)')"

arch "-$ARCH" "$VENV/bin/python" packaging/freeze.py \
  --dist "dist/macos-$ARCH" --work "build/macos-$ARCH" --target-arch "$ARCH"
APP="dist/macos-$ARCH/devtray.app"

# The bundle must be a menu-bar app (no Dock icon) for the right architecture.
plutil -lint "$APP/Contents/Info.plist"
[ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$APP/Contents/Info.plist")" = "true" ]
lipo -archs "$APP/Contents/MacOS/devtray" | grep -qw "$ARCH"
"$APP/Contents/MacOS/devtray" --version

if [ -n "${DEVTRAY_CODESIGN_ID:-}" ]; then
  codesign --verify --deep --strict --verbose=2 "$APP"
fi

DMG="dist/devtray-$VERSION-macos-$ARCH.dmg"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"   # drag-to-install
hdiutil create -volname "devtray $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"

if [ -n "${DEVTRAY_CODESIGN_ID:-}" ]; then
  codesign --sign "$DEVTRAY_CODESIGN_ID" --timestamp "$DMG"
fi
if [ -n "${DEVTRAY_NOTARY_PROFILE:-}" ]; then
  [ -n "${DEVTRAY_CODESIGN_ID:-}" ] || { echo "notarisation needs DEVTRAY_CODESIGN_ID" >&2; exit 2; }
  xcrun notarytool submit "$DMG" --keychain-profile "$DEVTRAY_NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
  spctl --assess --type open --context context:primary-signature --verbose "$DMG"
fi
echo "$DMG: $(du -h "$DMG" | cut -f1)"
