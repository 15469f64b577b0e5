#!/usr/bin/env bash
# The main job. Sets up the machine (apt + npm), then, offline, on a working copy of the
# bundled reference distribution (distribution/):
#   plan → fetch → build → verify --vary → sign (two maintainers, keys made on the spot)
#   → check the quorum → audit → one table: image, digest, size, bootstrapped, signers.
# Stops at the first failing step with that step's exit code.
# For the test suite (src/distribution/main-job.test.ts): STRATA_MAIN_JOB_SETUP=0 skips the
# setup (already done), STRATA_MAIN_JOB_DIR puts the working copy elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${STRATA_MAIN_JOB_SETUP:-1}" != 0 ]; then bash scripts/setup.sh; fi

strata() { node "$repo/dist/cli/main.js" "$@"; }
step() { printf '\n== %s\n' "$*"; }
repo=$PWD
work=${STRATA_MAIN_JOB_DIR:-$repo/.strata/main-job}
tree=$work/distribution
sigs=$work/signatures
keys=$work/keys

rm -rf "$work"
mkdir -p "$work" "$keys"
chmod 700 "$keys"
cp -r distribution "$tree"
cd "$work"

step "plan"
strata plan --tree "$tree"

step "fetch (offline: the bootstrap needs no downloads)"
strata fetch --tree "$tree" --offline

step "build --all"
strata build --tree "$tree" --all

step "the rebuilt digests equal the committed ones (distribution/digests)"
diff -r "$repo/distribution/digests" "$tree/digests"
echo "identical"

step "verify --all --vary (rebuild from scratch under a different directory, TZ, umask, locale, jobs, CPUs, clock)"
strata verify --tree "$tree" --all --vary

step "two maintainers, keys generated now (alice signs through gpg, bob with a key file)"
export GNUPGHOME=$keys/gnupg
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill gpg-agent 2>/dev/null || true' EXIT
gpg --batch --quiet --passphrase '' --quick-gen-key 'Alice Demo <alice@example.invalid>' ed25519 sign never 2>/dev/null
gpg --batch --quiet --passphrase '' --quick-gen-key 'Bob Demo <bob@example.invalid>' ed25519 sign never 2>/dev/null
fpr() { gpg --batch --with-colons --list-keys "$1" | awk -F: '/^fpr:/ { print $10; exit }'; }
alice=$(fpr alice@example.invalid)
bob=$(fpr bob@example.invalid)
mkdir -p "$tree/keys"
gpg --batch --armor --export "$alice" > "$tree/keys/alice.asc"
gpg --batch --armor --export "$bob" > "$tree/keys/bob.asc"
gpg --batch --armor --pinentry-mode loopback --passphrase '' --export-secret-keys "$bob" > "$keys/bob.key"
cat > "$tree/MAINTAINERS" <<TOML
[people.alice]
name = "Alice Demo"
email = "alice@example.invalid"

[people.bob]
name = "Bob Demo"
email = "bob@example.invalid"

[keys.alice.demo]
id = "$alice"

[keys.bob.demo]
id = "$bob"
TOML
echo "alice $alice"
echo "bob   $bob"

step "sign --all (each maintainer signs what this machine reproduced)"
strata sign --tree "$tree" --all --signatures "$sigs" --gpg "$alice"
strata sign --tree "$tree" --all --signatures "$sigs" --key "$keys/bob.key"

step "check --all (quorum: 2 distinct maintainers)"
strata check --tree "$tree" --all --signatures "$sigs" --threshold 2

step "audit --all (does everything descend from the seed?)"
strata audit --tree "$tree" --all

step "status"
strata status --tree "$tree" --signatures "$sigs" --threshold 2
