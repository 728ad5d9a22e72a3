#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then the gates and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
export CARGO_TERM_COLOR=never

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
scripts/generate-sdks.sh --check
cargo build --locked --workspace --bins
cargo test --workspace --locked
export TABLESAFE_BIN=$PWD/target/debug/tablesafe
(cd clients/typescript && node_modules/.bin/tsc --noEmit && node --import tsx --test tests/*.test.ts)
.deps/venv/bin/python -m pytest clients/python/tests -q
