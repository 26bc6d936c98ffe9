#!/usr/bin/env bash
# The paper preset on a CUDA machine, in one go: the trainer's images/s and peak GPU memory at
# bf16 and fp16 next to its compute ceiling (benchmarks/train_throughput.py), and the data
# loader's products/s at the paper's views beside it (benchmarks/data_throughput.py), both on
# real photos at 1024 px. JSON goes to the folder named (default runs/benchmarks).
#
#     bash benchmarks/cuda.sh [OUT_DIR]          # WORKERS=14 STEPS=300 PYTHON=python3 by default
set -euo pipefail
out=${1:-runs/benchmarks}
workers=${WORKERS:-14}
py=${PYTHON:-python3}
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
"$py" benchmarks/train_throughput.py --preset paper --task dress --device cuda --precision bf16 fp16 \
    --real-photos 1024 --products 512 --workers "$workers" --steps "${STEPS:-300}" --json "$out/train_cuda.json"
"$py" benchmarks/data_throughput.py --index-products 0 --sources real1024 --sizes paper --workers 0 "$workers" \
    --products 512 --batch-size 64 --batches 8 --json "$out/data_cuda.json"
