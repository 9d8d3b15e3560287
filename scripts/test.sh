#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test.sh: set up what is missing, build, and run the whole test suite twice:
# a normal build, and one under AddressSanitizer + UBSan. Non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

run_suite() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || return 1
	else
		meson configure "$dir" "$@" >/dev/null || return 1
	fi
	# Called as "run_suite ... || rc=1", where set -e does not apply: a
	# build that fails must fail the suite here, not leave tests to skip.
	if ! ninja -C "$dir"; then
		echo "test.sh: build failed in $dir" >&2
		return 1
	fi
	echo "== meson test in $dir"
	# The runners' own summaries (CUnit's "Run Summary", libFuzzer's stats,
	# the integration tests' invariant lines) are printed from the logs.
	local rc=0
	meson test -C "$dir" --print-errorlogs --num-processes "${PF_TEST_JOBS:-2}" \
		${PF_TEST_ARGS:-} || rc=$?
	for log in "$dir"/meson-logs/testlog.txt; do
		grep -E '^(==+ [0-9]+/[0-9]+ =+|Run Summary|[[:space:]]+(suites|tests|asserts) |stat::|Done [0-9]+ runs|wireshark:|invariant:|PASS|FAIL)' "$log" || true
	done
	return $rc
}

rc=0
# Sanitizer build first: it is the stricter of the two and runs the fuzzer.
run_suite build-san -Dsanitizers=true -Dbuildtype=debug || rc=1
run_suite build -Dfuzz_seconds=0 || rc=1

if [ $rc -ne 0 ]; then
	echo "test.sh: FAILED" >&2
	exit 1
fi
echo "test.sh: all suites passed (normal and ASan+UBSan builds)"
