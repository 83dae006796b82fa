#!/usr/bin/env bash
# Load on 申請データ一覧取得 with wrk on loopback (issue target: ≥ 10,000 requests/s).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk
fi
cargo run --release --quiet -- bench pittari-list "$@"
