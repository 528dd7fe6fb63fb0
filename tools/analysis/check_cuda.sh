#!/usr/bin/env bash
# One-shot GPU check (< 8 min on one GPU): bash tools/analysis/check_cuda.sh [OUT.json] [extra check_cuda.py args]
cd "$(dirname "$0")/../.." && PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" exec python tools/analysis/check_cuda.py --out "${1:-check_cuda.json}" "${@:2}"
