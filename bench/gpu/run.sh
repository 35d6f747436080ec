#!/usr/bin/env bash
# The one script for the GPU machine, run from the repository root with dist/ compiled and .node-bin/node.xz
# carried (the lead makes it with: mkdir -p .node-bin && xz -c "$(which node)" > .node-bin/node.xz):
#   unpack node -> check the GPU -> build the CUDA addon -> cuda-vs-ref tests -> PyTorch reference timings ->
#   mulki kernel-level ViT-B/16 step -> the lead's dist/bench/gpu/step.js if it exists -> RESULT summary.
# Each step's output is teed into $OUT/<step>.txt (at most 8 files); a failing step does not stop the others.
# The steps share a deadline (MULKI_GPU_BUDGET_S, default 420 s), so the whole run ends well under 8 minutes.
set -x
OUT=${OUT:-/tmp/mulki-gpu-out}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.." || exit 1
T0=$(date +%s)
BUDGET=${MULKI_GPU_BUDGET_S:-420}

# Seconds a step may take: its cap, or what is left of the budget (at least 10).
left() {
  local cap=$1 rest=$((BUDGET - ($(date +%s) - T0)))
  if [ "$rest" -lt "$cap" ]; then cap=$rest; fi
  if [ "$cap" -lt 10 ]; then cap=10; fi
  echo "$cap"
}

# step NAME CAP COMMAND...: runs COMMAND under the deadline, output teed into $OUT/NAME.txt; returns its status.
# STEP_APPEND=1 appends to the file instead (a second run of a step, kept within the 8 files).
step() {
  local name=$1 cap=$2
  shift 2
  local mode=()
  if [ -n "$STEP_APPEND" ]; then mode=(-a); fi
  timeout "$(left "$cap")" "$@" 2>&1 | tee "${mode[@]}" "$OUT/$name.txt"
  local rc=${PIPESTATUS[0]}
  echo "$name exit $rc" | tee -a "$OUT/$name.txt"
  return "$rc"
}

# 1. node
if [ -f .node-bin/node.xz ]; then
  mkdir -p /tmp/node/bin
  xz -dc .node-bin/node.xz > /tmp/node/bin/node 2>/dev/null ||
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      .node-bin/node.xz /tmp/node/bin/node
  chmod +x /tmp/node/bin/node
  export PATH=/tmp/node/bin:$PATH
fi

# 2. the GPU, the tools, and where cuBLAS lives (PyTorch's wheels carry it)
CUBLAS_DIRS=$(python3 - <<'PY'
import glob, os, site
bases = [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)]
found = []
for b in bases:
    found += glob.glob(os.path.join(b, "nvidia", "**", "libcublas.so*"), recursive=True)
    found += glob.glob(os.path.join(b, "torch", "lib", "libcublas.so*"))
for d in ("/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"):
    found += glob.glob(os.path.join(d, "libcublas.so*"))
print(":".join(dict.fromkeys(os.path.dirname(f) for f in found)))
PY
)
export MULKI_CUBLAS_DIR="$CUBLAS_DIRS"
export LD_LIBRARY_PATH="$CUBLAS_DIRS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# 3. the machine, then build the addon (sm_90 only: the H100); both in build.txt
step build 240 bash -c 'node --version; nvidia-smi; nvcc --version | tail -2; python3 --version; echo "MULKI_CUBLAS_DIR=$MULKI_CUBLAS_DIR";
  MULKI_CUDA_ARCHS="${MULKI_CUDA_ARCHS:-90}" node scripts/build-cuda.mjs --force --strict --verbose'

# 4. every kernel against the ref backend; on failure again with a wait after every kernel (names a faulting one)
if ! step test 180 node --expose-gc --test dist/test/engine/cuda-vs-ref.test.js; then
  step test-sync 150 env MULKI_CUDA_SYNC=1 node --test dist/test/engine/cuda-vs-ref.test.js
fi

# 4b. the CLIP golden test (PyTorch + transformers reference outputs and gradients) on cuda, with the fixtures carried
#     in .device-fixtures (../shared does not travel)
step golden 240 env MULKI_FIXTURES=.device-fixtures node --test dist/test/clip/golden.test.js dist/test/engine/ops-gradcheck.test.js dist/test/engine/train.test.js

# 5. PyTorch reference timings
step torch 200 env PYTHONUNBUFFERED=1 python3 bench/gpu/torch_step.py

# 6. mulki: the ViT-B/16 image-tower step on the raw kernels (+ per-kernel profile; bf16 also with each GEMM variant
#    forced, for comparison with the per-shape choice)
step vit-kernels 120 node dist/bench/gpu/vit-kernels.js --profile

# 7. mulki: the full CLIP / MulKI step (bf16; first a bf16-vs-fp32 check of loss, gradients and teacher features;
#    then the timings; then a per-kernel profile). Should it fail, once more with the newer fast paths off (fused
#    attention, GEMM + bias epilogue, FAST_16BF GEMMs), labelled "safe", appended to step.txt.
if [ -f dist/bench/gpu/step.js ]; then
  if ! step step 150 node dist/bench/gpu/step.js --profile; then
    STEP_APPEND=1 step step 120 env MULKI_STEP_LABEL=safe MULKI_FUSED_ATTENTION=0 MULKI_GEMM_EPILOGUE=0 \
      MULKI_GEMM_BF16=convert MULKI_GEMM_SHADOW=0 node dist/bench/gpu/step.js --steps 10
  fi
fi

# summary: the RESULT lines, the test tally and every step's exit status
{
  grep -h '^RESULT' "$OUT"/torch.txt "$OUT"/vit-kernels.txt "$OUT"/step.txt 2>/dev/null
  grep -h -E '^(CHECK|kernels:)' "$OUT"/vit-kernels.txt "$OUT"/step.txt 2>/dev/null
  grep -E '^# (tests|pass|fail|skipped)' "$OUT/test.txt"
  grep -E '^not ok' "$OUT/test.txt"
  grep -E '^(not )?ok' "$OUT/golden.txt"
  grep -h ' exit ' "$OUT"/build.txt "$OUT"/golden.txt "$OUT"/test.txt "$OUT"/test-sync.txt "$OUT"/torch.txt \
    "$OUT"/vit-kernels.txt "$OUT"/step.txt 2>/dev/null
  echo "total $(($(date +%s) - T0)) s"
} > "$OUT/summary.txt" 2>&1
cat "$OUT/summary.txt"
