#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test_dissector.sh: runs scripts/wireshark/packetflow.lua in tshark over the
# test vectors of docs/wire-protocol.md and checks every field it shows.
#
# Exit 0 when every vector matches, 1 on a mismatch or any Lua error, 77
# (skipped) when tshark, or Lua in tshark, is not installed.
#
# Root: Wireshark 4.0 loads -X lua_script files as root only when the global
# init.lua sets run_user_scripts_when_superuser = true (what 4.0 ships, and
# Debian's /usr/share/wireshark/init.lua), and otherwise skips them without a
# word; as root it also prints a "Running as user root" warning, which is the
# only stderr line tolerated here. If the script was refused (no Lua error,
# yet no pf fields) the test runs tshark again as an unprivileged user.
# PF_WS_USER=name forces running tshark as that user.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
doc=$root/docs/wire-protocol.md
lua=$root/scripts/wireshark/packetflow.lua
here=$root/tests/wireshark
root_warning='Running as user "root" and group "root". This could be dangerous.'

if ! command -v tshark >/dev/null 2>&1; then
	echo "wireshark: skipped, tshark is not installed"
	exit 77
fi
if ! tshark -v 2>/dev/null | grep -q 'with Lua'; then
	echo "wireshark: skipped, this tshark is built without Lua"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
chmod 755 "$tmp"
# A private HOME: personal preferences or plugins (a copy of this dissector
# installed there would register twice) must not change what tshark shows.
mkdir -p "$tmp/home/.config"
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config"
# check_fields.py imports vectors_to_pcap.py: leave no __pycache__ in the tree
export PYTHONDONTWRITEBYTECODE=1

python3 "$here/vectors_to_pcap.py" "$doc" "$tmp/port7447.pcap"
python3 "$here/vectors_to_pcap.py" --port 9999 "$doc" "$tmp/port9999.pcap"

as_user=""
use_user() {
	uid=$(id -u "$1") && gid=$(id -g "$1") || {
		echo "wireshark: no user $1 to run tshark as" >&2
		exit 1
	}
	chown -R "$uid:$gid" "$tmp/home"
	as_user="setpriv --reuid=$uid --regid=$gid --clear-groups --"
}
if [ -n "${PF_WS_USER:-}" ]; then
	use_user "$PF_WS_USER"
fi

# run_tshark NAME ARGS...: tshark with the dissector; stdout to NAME.out,
# stderr to NAME.err, exit status in $rc
run_tshark() {
	name=$1
	shift
	# $as_user is a command prefix and must split into words
	# shellcheck disable=SC2086
	if $as_user tshark -X "lua_script:$lua" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err"; then
		rc=0
	else
		rc=$?
	fi
}

# stderr_clean NAME: true when tshark said nothing but the root warning
stderr_clean() {
	! grep -vxF "$root_warning" "$tmp/$1.err" >/dev/null
}

fail_with_stderr() {
	echo "wireshark: $1" >&2
	grep -vxF "$root_warning" "$tmp/$2.err" >&2 || true
	exit 1
}

probe() {
	run_tshark probe -r "$tmp/port7447.pcap" -c 1 -T fields -e pf.verdict
}
probe
if [ "$rc" -ne 0 ] || ! stderr_clean probe; then
	if grep -q 'Lua' "$tmp/probe.err"; then
		fail_with_stderr "the dissector does not load:" probe
	fi
	if [ "$(id -u)" -eq 0 ] && [ -z "$as_user" ] &&
		grep -q "Some fields aren't valid" "$tmp/probe.err"; then
		echo "wireshark: tshark refused Lua scripts as root" \
			"(run_user_scripts_when_superuser); running it as nobody"
		use_user nobody
		probe
	fi
	if [ "$rc" -ne 0 ] || ! stderr_clean probe; then
		fail_with_stderr "tshark did not load the dissector (exit $rc):" probe
	fi
fi

# Custom columns show a field the way a user sees it in a column: with the
# dissector's value_string names (request, CF, data, unknown_capability).
columns='"Protocol","%p","Info","%i","PfType","%Cus:pf.type"'
columns=$columns',"PfGroup","%Cus:pf.group","PfFields","%Cus:pf.tlv.id"'
columns=$columns',"PfError","%Cus:pf.error_code"'
set -- -o "gui.column.format:$columns" -T fields -E header=y
for f in frame.number udp.dstport _ws.col.Protocol _ws.col.Info \
	_ws.lua.error _ws.expert.message \
	pf.verdict pf.magic pf.version pf.type _ws.col.PfType \
	pf.group _ws.col.PfGroup pf.element pf.element.symbol \
	pf.capability pf.priority pf.flags pf.flags.trace pf.flags.noreply \
	pf.flags.replica pf.complexity pf.payload_len pf.trace_id \
	pf.session_id pf.seq pf.timestamp pf.tlv.id _ws.col.PfFields \
	pf.intent pf.data pf.key pf.value pf.error_code _ws.col.PfError \
	pf.error_msg pf.count pf.match; do
	set -- "$@" -e "$f"
done

status=0
# check NAME LABEL [--heuristic] -- TSHARK ARGS...: one run, one summary line
check() {
	name=$1 label=$2 heur=""
	shift 2
	if [ "$1" = "--heuristic" ]; then
		heur=--heuristic
		shift
	fi
	run_tshark "$name" "$@"
	if [ "$rc" -ne 0 ] || ! stderr_clean "$name"; then
		echo "wireshark: tshark failed on $label (exit $rc):" >&2
		grep -vxF "$root_warning" "$tmp/$name.err" >&2 || true
		status=1
		return
	fi
	python3 "$here/check_fields.py" --doc "$doc" --label "$label" $heur \
		"$tmp/$name.out" || status=1
}

check default "udp.port 7447" "$@" -r "$tmp/port7447.pcap"
check pref "udp_port preference 9999" "$@" -r "$tmp/port9999.pcap" \
	-o packetflow.udp_port:9999 --disable-heuristic packetflow_udp
check heuristic "heuristic dissector on port 9999" --heuristic \
	"$@" -r "$tmp/port9999.pcap"
exit $status
