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
# TypeScript: strict typecheck (tests/types/ included), then the tests; tests/package.test.ts
# npm-packs the SDK, installs the tarball in a fresh project and runs it there (ESM, CJS, tsc).
command -v npm >/dev/null || { echo "npm is missing: the TypeScript package test needs it" >&2; exit 1; }
(cd clients/typescript && node_modules/.bin/tsc --noEmit && node --import tsx --test tests/*.test.ts)
# Python: the SDK's tests; tests/test_packaging.py builds the wheel, installs it in a fresh venv
# (dependencies from PyPI) and runs it against the server there (CI=true: a missing tool fails).
.deps/venv/bin/python -m pytest clients/python/tests -q
