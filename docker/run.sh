#!/usr/bin/env bash
# Run finnflow in its Docker image, with Vivado mounted from the host, in the manner of FINN's
# run-docker.sh (FINN_XILINX_PATH / FINN_XILINX_VERSION there, FINNFLOW_* here):
#
#   export FINNFLOW_XILINX_PATH=/tools/Xilinx FINNFLOW_XILINX_VERSION=2022.2
#   docker/run.sh build build_configs/tfc_w2a2_mnist.yaml   # any finnflow command
#   docker/run.sh bitstream build/tfc-w2a2-mnist            # needs Vivado
#   docker/run.sh deploy build/tfc-w2a2-mnist
#   docker/run.sh bash                                      # a shell in the container
#
# The current folder is mounted at its own path and is the working folder, so relative paths
# (configs, build folders) mean the same inside and outside; files are written as the caller.
#
#   FINNFLOW_XILINX_PATH     Xilinx installation on the host (holds Vivado/<version>); mounted
#                            read-only; needed for `bitstream`
#   FINNFLOW_XILINX_VERSION  Vivado version, e.g. 2022.2
#   FINNFLOW_BOARD_FILES     optional: a Vivado board-file repository on the host (the PYNQ-Z1's
#                            board files, for its PS presets); mounted read-only
#   FINNFLOW_BUILD_DIR       optional: a build folder outside the current folder to mount too
#   FINNFLOW_WITH_FINN       1: build the image with FINN cloned at its pinned commit
#   FINNFLOW_TORCH_INDEX     optional: PyTorch's CPU wheel index (the image gets CPU torch)
#   FINNFLOW_DOCKER_TAG      image name (default finnflow:latest, finnflow:finn with FINN)
#   FINNFLOW_DOCKER_EXTRA    more `docker run` options, e.g. "-v $HOME/.ssh:/tmp/.ssh:ro" for
#                            `deploy --host`
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
with_finn="${FINNFLOW_WITH_FINN:-0}"
default_tag="finnflow:latest"
[ "$with_finn" = 1 ] && default_tag="finnflow:finn"
tag="${FINNFLOW_DOCKER_TAG:-$default_tag}"

if [ $# -eq 0 ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
fi
if [ "$1" = bitstream ] && { [ -z "${FINNFLOW_XILINX_PATH:-}" ] || [ -z "${FINNFLOW_XILINX_VERSION:-}" ]; }; then
    echo "run.sh: bitstream needs Vivado: set FINNFLOW_XILINX_PATH (e.g. /tools/Xilinx) and" \
         "FINNFLOW_XILINX_VERSION (e.g. 2022.2)" >&2
    exit 2
fi

docker build --quiet -f "$here/docker/Dockerfile" --build-arg "WITH_FINN=$with_finn" \
    --build-arg "TORCH_INDEX=${FINNFLOW_TORCH_INDEX:-}" -t "$tag" "$here" >/dev/null

opts=(--rm --init -v "$PWD:$PWD" -w "$PWD" --user "$(id -u):$(id -g)" -e HOME=/tmp)
[ -t 0 ] && opts+=(-it)
if [ -n "${FINNFLOW_XILINX_PATH:-}" ]; then
    opts+=(-v "$FINNFLOW_XILINX_PATH:$FINNFLOW_XILINX_PATH:ro"
           -e "FINNFLOW_XILINX_PATH=$FINNFLOW_XILINX_PATH"
           -e "FINNFLOW_XILINX_VERSION=${FINNFLOW_XILINX_VERSION:-}")
fi
if [ -n "${FINNFLOW_BOARD_FILES:-}" ]; then
    opts+=(-v "$FINNFLOW_BOARD_FILES:$FINNFLOW_BOARD_FILES:ro"
           -e "FINNFLOW_BOARD_FILES=$FINNFLOW_BOARD_FILES")
fi
if [ -n "${FINNFLOW_BUILD_DIR:-}" ]; then
    build_dir="$(cd "$FINNFLOW_BUILD_DIR" && pwd)"
    opts+=(-v "$build_dir:$build_dir")
fi
# shellcheck disable=SC2206
[ -n "${FINNFLOW_DOCKER_EXTRA:-}" ] && opts+=(${FINNFLOW_DOCKER_EXTRA})

if [ "$1" = bash ]; then
    exec docker run "${opts[@]}" "$tag" bash
fi
exec docker run "${opts[@]}" "$tag" finnflow "$@"
