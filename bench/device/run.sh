#!/usr/bin/env bash
# Runs on a lent GPU machine, from the repository's root, with .device/ (bench/device/pack.sh) carried there:
# the Node parts of `npm run bench` (the update on every Node backend, webgpu on the GPU through Dawn; the
# population of N = 1, 5, 20 agents one after another and batched; PyTorch in the same run). Results go to
# $OUT (the device tool's folder) or bench/results/device/. Extra arguments go to the bench (e.g. --quick).
#
#   device run, carry [".device"]:  bash bench/device/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
d=.device
[ -d "$d" ] || { echo "no $d/: run bench/device/pack.sh first and carry .device" >&2; exit 2; }
[ -x "$d/node" ] || { gunzip -c "$d/node.gz" >"$d/node" && chmod +x "$d/node"; }
dawn=$d/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || gunzip -c "$dawn.gz" >"$dawn"

# The Vulkan loader, where the machine lacks one; NVIDIA's Vulkan driver where the device notes put it.
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  for f in "$d"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then
  export VK_ICD_FILENAMES=$nvidia_icd VK_DRIVER_FILES=$nvidia_icd
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L || true

# PyTorch: the python3 on the PATH (the GPU machines' has torch), unless told otherwise.
export TD3_BENCH_PYTHON=${TD3_BENCH_PYTHON:-$(command -v python3 || echo /usr/bin/python3)}
out=${OUT:-bench/results/device}
"$d/node" --version
exec "$d/node" "$d/bench/bench.js" --only node,population,torch --out "$out" "$@"
