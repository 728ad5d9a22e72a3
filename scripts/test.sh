#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then the gates and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
export CARGO_TERM_COLOR=never

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
