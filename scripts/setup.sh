#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# setup.sh: install everything PacketFlow and its tests need on Debian 12,
# and reserve hugepages when the machine allows it. Idempotent.
set -euo pipefail

PKGS=(
	# build
	build-essential meson ninja-build pkg-config python3 clang libclang-rt-14-dev
	# dataplane
	dpdk dpdk-dev libdpdk-dev libhyperscan-dev libpcap-dev
	# control plane; its tests and benchmark (scrape, screenshot, wrk vs nginx)
	liburing-dev libjansson-dev libhttp-parser-dev libyaml-dev
	prometheus chromium fonts-dejavu-core wrk nginx-light
	# tests and tools
	libcunit1-dev tshark tcpdump iproute2 curl xxd procps gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: need root to install packages (run with sudo)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
	echo "setup: all packages present"
fi

# Hugepages are optional: every program and test also runs with --no-huge.
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
want=${PF_HUGEPAGES:-512}
if [ "$(id -u)" -eq 0 ] && [ -w "$hp" ]; then
	if [ "$(cat "$hp")" -lt "$want" ]; then
		echo "$want" >"$hp" 2>/dev/null || true
	fi
	mountpoint -q /dev/hugepages 2>/dev/null || {
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
	}
fi
if [ -r "$hp" ] && [ "$(cat "$hp")" -gt 0 ] && mountpoint -q /dev/hugepages 2>/dev/null; then
	echo "setup: $(cat "$hp") x 2 MiB hugepages reserved and mounted on /dev/hugepages"
else
	echo "setup: no hugepages available (fine: programs and tests run with --no-huge)"
fi
