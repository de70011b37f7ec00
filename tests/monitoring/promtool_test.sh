#!/usr/bin/env bash
# The alert rules of etc/prometheus with Debian's promtool (package prometheus, installed by
# `./dev.sh test`): they parse, and each fires and stays quiet where dcgw-rules.test.yml says.
#   bash tests/monitoring/promtool_test.sh <etc/prometheus>
set -euo pipefail
dir=${1:?usage: promtool_test.sh <etc/prometheus directory>}
if ! command -v promtool > /dev/null; then
  echo "promtool_test: FAILED: promtool is not installed (Debian package prometheus; ./dev.sh test installs it)" >&2
  exit 1
fi
promtool check rules "$dir/dcgw-rules.yml"
# promtool reads the rule files named in the test file relative to it.
promtool test rules "$dir/dcgw-rules.test.yml"
