#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, builds, and runs every test.
# Tests that need real services (pcscd with virtual readers, a Wine prefix, a CMP test CA) start them themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --tests
swift build --build-tests
# One test at a time: many tests drive the machine's single pcscd, a shared Wine prefix and a SoftHSM store,
# and under full parallelism their time limits were missed on 2 cores. Serial costs about 20 s more.
swift test --skip-build --no-parallel "$@"
# The fleet configuration: Prometheus rules and their unit tests, the systemd units; then the built executable's
# metrics file as node_exporter serves it, and the Ansible role and playbooks run against this machine.
scripts/test-fleet-config.sh
scripts/test-node-exporter.sh
scripts/test-ansible.sh
# The Debian package: built, checked by lintian, installed and run without the Swift toolchain, then purged.
scripts/test-package.sh
