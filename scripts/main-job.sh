#!/usr/bin/env bash
# The main job: set up the machine, then plan and fetch the bundled reference distribution
# (distribution/). Later stages (build, verify --vary, sign, check, audit) are added here
# as they land; each step prints what it did and the script stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

strata() { node dist/cli/main.js "$@"; }
tree=distribution

echo "== strata plan --tree $tree"
strata plan --tree "$tree"
echo
echo "== strata fetch --tree $tree"
strata fetch --tree "$tree"
