#!/usr/bin/env bash
# Entry point of the finnflow image: puts the Vivado that docker/run.sh mounted on PATH (its
# settings64.sh, from FINNFLOW_XILINX_PATH and FINNFLOW_XILINX_VERSION), then runs the command.
set -eo pipefail
if [ -n "${FINNFLOW_XILINX_PATH:-}" ] && [ -n "${FINNFLOW_XILINX_VERSION:-}" ]; then
    found=""
    # Vivado/<version>/ up to 2024.2, <version>/Vivado/ from 2025.1 on
    for settings in "$FINNFLOW_XILINX_PATH/Vivado/$FINNFLOW_XILINX_VERSION/settings64.sh" \
                    "$FINNFLOW_XILINX_PATH/$FINNFLOW_XILINX_VERSION/Vivado/settings64.sh"; do
        if [ -f "$settings" ]; then
            # shellcheck source=/dev/null
            source "$settings"
            found="$settings"
            break
        fi
    done
    if [ -z "$found" ]; then
        echo "finnflow: no settings64.sh of Vivado $FINNFLOW_XILINX_VERSION under" \
             "$FINNFLOW_XILINX_PATH: check FINNFLOW_XILINX_PATH and FINNFLOW_XILINX_VERSION" >&2
        exit 2
    fi
fi
exec "$@"
