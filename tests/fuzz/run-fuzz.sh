#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# run-fuzz.sh SECONDS [libFuzzer flags...]: builds fuzz_decode with clang and
# libFuzzer+ASan+UBSan in a temp dir and fuzzes a copy of the seed corpus.
#
# Exit 0: ran SECONDS with no crash, leak or timeout. Exit 77: clang or
# libFuzzer is not available (skip). Exit 1: build failure or a finding; the
# temp dir with the log and the crashing input is kept and its path printed.
# FUZZ_CC picks the compiler; FUZZ_WIRE_SRC replaces lib/pf_wire.c (used to
# check that the target catches a planted bug).
set -u

secs=${1:-60}
shift || true
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 SECONDS [libFuzzer flags...]" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
wire_src=${FUZZ_WIRE_SRC:-$root/lib/pf_wire.c}

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang clang-14 clang-15 clang-16 clang-13; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
if [ -z "$cc" ]; then
	echo "SKIP: no clang found (set FUZZ_CC)"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pf-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"; exit 130' INT TERM

san=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)

# Probe: can this clang link a libFuzzer binary with the sanitizers at all?
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	'{ (void)d; (void)n; return 0; }' >"$work/probe.c"
if ! "$cc" "${san[@]}" "$work/probe.c" -o "$work/probe" >"$work/probe.log" 2>&1; then
	echo "SKIP: $cc cannot build a libFuzzer binary:"
	sed 's/^/  /' "$work/probe.log" | head -n 5
	rm -rf "$work"
	exit 77
fi

cflags=(-g -O1 "${san[@]}" -fno-omit-frame-pointer -std=gnu11
	-D_GNU_SOURCE -Wall -Wextra -I"$root/lib")
build() {
	"$cc" "${cflags[@]}" "$@" >>"$work/build.log" 2>&1
}
if ! build -Werror -c "$here/fuzz_decode.c" -o "$work/fuzz_decode.o" ||
	! build -c "$wire_src" -o "$work/pf_wire.o" ||
	! build -c "$root/lib/pf_periodic.c" -o "$work/pf_periodic.o" ||
	! build "$work/fuzz_decode.o" "$work/pf_wire.o" "$work/pf_periodic.o" \
		-o "$work/fuzz_decode"; then
	echo "FAIL: build of the fuzz target failed:"
	cat "$work/build.log"
	rm -rf "$work"
	exit 1
fi

# Fuzz a copy: libFuzzer adds the inputs it finds to its corpus directory,
# and the repository's seed corpus must stay as make_corpus.py wrote it.
mkdir "$work/corpus"
cp "$here"/corpus/* "$work/corpus/"
seeds=$(find "$work/corpus" -type f | wc -l)

blob=$(git hash-object "$wire_src" 2>/dev/null || echo "?")
echo "fuzz_decode: $cc, $secs s, $seeds seeds, decoder $wire_src (git blob $blob)"
# libFuzzer's own default error exit code is 77, which meson would take for
# "skipped": map every finding to 1. max_len is the longest frame (40+65535).
"$work/fuzz_decode" \
	-max_total_time="$secs" \
	-dict="$here/pf.dict" \
	-timeout=5 \
	-rss_limit_mb=2048 \
	-max_len=65575 \
	-error_exitcode=1 \
	-timeout_exitcode=1 \
	-print_final_stats=1 \
	-artifact_prefix="$work/" \
	"$@" \
	"$work/corpus" >"$work/fuzz.log" 2>&1
rc=$?

final=$(find "$work/corpus" -type f | wc -l)
grep -m1 -E '^INFO: Seed:' "$work/fuzz.log"
grep -m1 -E '^#[0-9]+[[:space:]]+INITED' "$work/fuzz.log"
grep -E '^#[0-9]+[[:space:]]' "$work/fuzz.log" | tail -n 1
grep -E '^stat::' "$work/fuzz.log"
echo "corpus: $seeds seeds -> $final files"

artifacts=$(find "$work" -maxdepth 1 -type f \
	\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
	-o -name 'oom-*' \) | sort)
if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
	echo "FAIL: libFuzzer exited $rc; log and inputs kept in $work"
	echo "----- last lines of $work/fuzz.log -----"
	tail -n 60 "$work/fuzz.log"
	for a in $artifacts; do
		echo "----- $a ($(stat -c %s "$a") bytes, first 256 shown) -----"
		od -An -tx1 -v "$a" | head -n 16
	done
	exit 1
fi
rm -rf "$work"
echo "PASS: no crash, leak or timeout in $secs s"
exit 0
