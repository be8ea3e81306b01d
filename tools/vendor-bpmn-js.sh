#!/usr/bin/env bash
# Refresh the vendored bpmn-js (modeler + viewer) under webapp/static/vendor/bpmn-js from the npm registry.
# Usage: tools/vendor-bpmn-js.sh [VERSION]   (default: the pinned version below)
set -euo pipefail
VERSION="${1:-18.31.1}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/webapp/static/vendor/bpmn-js"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "bpmn-js@$VERSION" >/dev/null
SRC="$WORK/node_modules/bpmn-js"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$SRC/dist/bpmn-modeler.production.min.js" "$SRC/dist/bpmn-navigated-viewer.production.min.js" "$DEST/"
cp -r "$SRC/dist/assets" "$DEST/assets"
cp "$SRC/LICENSE" "$DEST/LICENSE"
echo "$VERSION" > "$DEST/VERSION"
echo "bpmn-js $VERSION vendored into $DEST"
