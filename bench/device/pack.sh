#!/usr/bin/env bash
# Packs, here, what a lent GPU machine needs to run `npm run bench`'s Node parts there: it has Python with
# PyTorch and a GPU driver, but no Node, no npm and no network. Writes .device/ (git-ignored, about 50 MiB;
# another folder if named: bash bench/device/pack.sh DIR):
#   node.gz                this machine's Node binary
#   bench/*.js             src/cli/bench.ts bundled (esbuild), the browser's parts left out (no Chromium there)
#   node_modules/          only what the bundle loads from disk: tfjs-wasm's binaries and Dawn (package webgpu)
#   gl/*.deb               the Vulkan loader, unpacked there when the machine has none
# Then bench/device/run.sh runs there (see its header). Needs `npm install` done and apt-get (Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.device}
rm -rf "$out"
mkdir -p "$out/gl"

node_modules/.bin/esbuild src/cli/bench.ts --bundle --platform=node --format=esm --splitting \
  --outdir="$out/bench" --external:webgpu --external:playwright-core --external:vite --log-level=warning \
  --banner:js="import { createRequire as __createRequire } from 'node:module'; import { dirname as __dirnameOf } from 'node:path'; import { fileURLToPath as __pathOf } from 'node:url'; const require = __createRequire(import.meta.url); const __filename = __pathOf(import.meta.url); const __dirname = __dirnameOf(__filename);"

wasm=node_modules/@tensorflow/tfjs-backend-wasm
mkdir -p "$out/$wasm/dist"
cp "$wasm/package.json" "$out/$wasm/"
cp "$wasm"/dist/tf-backend-wasm.node.js "$wasm"/dist/*.wasm "$out/$wasm/dist/"

dawn=node_modules/webgpu
mkdir -p "$out/$dawn/dist/linux-x64"
cp "$dawn/package.json" "$dawn/index.js" "$out/$dawn/"
gzip -c "$dawn/dist/linux-x64/dawn.node" >"$out/$dawn/dist/linux-x64/dawn.node.gz"

gzip -c "$(command -v node)" >"$out/node.gz"

# The Vulkan loader, as Debian builds it for amd64 (the GPU machines are x86-64).
lists=$(mktemp -d)
apt="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
mkdir -p "$lists/partial"
# shellcheck disable=SC2086
apt-get $apt update -qq
# shellcheck disable=SC2086
(cd "$out/gl" && apt-get $apt download -qq libvulkan1)
rm -rf "$lists"

du -sh "$out"
