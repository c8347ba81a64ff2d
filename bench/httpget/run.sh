#!/usr/bin/env bash
# Runs the HTTP GET benchmark from the repository root: builds cmd/populus and
# bench/load, seeds a 1M-person register in bench/out/httpget/data on first
# use (reused afterwards), and measures Populus against a bare net/http
# handler in the same run. Extra arguments go to bench/httpget, e.g.
#     bench/httpget/run.sh -c 32 -d 30s -rounds 2
#     bench/httpget/run.sh -people 100000 -dir /tmp/httpget-100k
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mkdir -p bench/out
exec go run ./bench/httpget -json bench/out/httpget.json "$@"
