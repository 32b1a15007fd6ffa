#!/usr/bin/env bash
# Make sure the HTTP load generator `wrk` is installed (bench/read.py drives it):
# reused when on the PATH, installed with apt-get (Debian's `wrk` package) otherwise.
set -euo pipefail

if command -v wrk >/dev/null; then
    printf '{"tool":"wrk","msg":"already installed"}\n'
    exit 0
fi
printf '{"tool":"wrk","msg":"installing"}\n'
DEBIAN_FRONTEND=noninteractive apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
command -v wrk >/dev/null
printf '{"tool":"wrk","msg":"installed"}\n'
