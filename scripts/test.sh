#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, builds, and runs every test.
# Tests that need real services (pcscd with virtual readers, a Wine prefix, a CMP test CA) start them themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --tests
swift build --build-tests
swift test --skip-build "$@"
