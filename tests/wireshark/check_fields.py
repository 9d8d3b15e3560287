#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# check_fields.py: compares what tshark shows for each test vector (its
# `-T fields -E header=y` output) with the vector's Expect line in the doc.
"""Check tshark's view of the vectors against docs/wire-protocol.md.

Usage: check_fields.py --doc DOC [--label TEXT] [--heuristic] TSHARK_OUTPUT

TSHARK_OUTPUT is tshark's `-T fields -E header=y` output for the pcap that
vectors_to_pcap.py made of DOC, one row per vector in document order. Each
Expect key K is checked against the column pf.K, except those that need a
name (type, fields) or a cross-check with the doc's tables (group, element,
error_code). With --heuristic the packets went to a port the dissector does
not own: only frames starting with magic 0x5046 and version 1 may be
claimed, and those are checked in full.

Prints one line per mismatch, then "wireshark: N/M vectors match"; exits 1
on any mismatch.
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vectors_to_pcap import parse_vectors  # noqa: E402

PROTO = "PacketFlow"
MALFORMED = "Malformed PacketFlow frame: "
# custom columns set up by test_dissector.sh: they show the value_string
# text the dissector gives a field, as a user sees it in a column
COL_TYPE = "_ws.col.PfType"
COL_GROUP = "_ws.col.PfGroup"
COL_FIELDS = "_ws.col.PfFields"
COL_ERROR = "_ws.col.PfError"


def doc_table(lines, heading):
    """Rows (lists of cell strings) of the first table after a heading."""
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == heading)
    except StopIteration:
        raise ValueError("no '%s' section in the document" % heading)
    rows = []
    fenced = False
    for line in lines[start + 1:]:
        if line.startswith("```"):
            # a drawing in a code block is not a table
            fenced = not fenced
            continue
        if fenced:
            continue
        if line.startswith("#"):
            break
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif rows:
            break
    if len(rows) < 2:
        raise ValueError("no table under '%s'" % heading)
    return rows[1:]  # without the header row


def doc_tables(path):
    """The name tables a user sees in the dissector, as the doc gives them."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    groups, elements = {}, {}
    for row in doc_table(lines, "## Periodic table numbering"):
        g = re.match(r"(\d+) (\w+)", row[0])
        if not g:
            raise ValueError("periodic table row %r" % row)
        gnum = int(g.group(1))
        groups[gnum] = g.group(2)
        for idx, cell in enumerate(row[1:], 1):
            e = re.match(r"(\w+) \((\d+)\)", cell)
            if not e or int(e.group(2)) != (gnum - 1) * 4 + idx:
                raise ValueError("periodic table cell %r" % cell)
            elements[(gnum, idx)] = e.group(1)
    errors = {int(r[0]): r[1] for r in doc_table(lines, "## Error codes")}
    fields = {int(r[0]): r[1] for r in doc_table(lines, "## Payload: TLVs")}
    return groups, elements, errors, fields


def read_tshark(path):
    """tshark's rows as dicts keyed by the header's field names."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    if not lines:
        raise ValueError("tshark printed nothing, not even the header")
    header = lines[0].split("\t")
    rows = []
    for n, line in enumerate(lines[1:], 2):
        cells = line.split("\t")
        if len(cells) != len(header):
            raise ValueError("line %d has %d columns, header has %d"
                             % (n, len(cells), len(header)))
        rows.append(dict(zip(header, cells)))
    return header, rows


def as_int(text):
    text = text.strip()
    return int(text, 16) if text.lower().startswith("0x") else int(text, 10)


def same(expected, shown):
    """Does the text tshark shows stand for the expected value?"""
    if isinstance(expected, int):
        try:
            return as_int(shown) == expected
        except ValueError:
            return False
    if shown == expected:
        return True
    # bytes fields print as hex; a quoted expectation is their text
    try:
        return bytes.fromhex(shown).decode("utf-8") == expected
    except ValueError:
        return False


def show(value):
    """An expected value as the doc writes it: 64-bit ids in hex."""
    if isinstance(value, int) and value > 0xFFFFFFFF:
        return "0x%016x" % value
    return repr(value)


class Checker:
    def __init__(self, doc, header, heuristic):
        self.groups, self.elements, self.errors, self.fields = doc_tables(doc)
        self.header = set(header)
        self.heuristic = heuristic

    def col(self, row, name, problems):
        if name not in self.header:
            problems.append("tshark output has no column %s" % name)
            return ""
        return row[name]

    def expected_info(self, exp):
        where = ""
        g, e = exp.get("group", 0), exp.get("element", 0)
        if g:
            where = " " + self.groups[g]
            if e:
                where += "." + self.elements[(g, e)]
        info = "%s%s cap=%d sess=%d seq=%d" % (
            exp["type"], where, exp["capability"], exp["session_id"], exp["seq"])
        if "error_code" in exp:
            info += " code=" + self.errors[exp["error_code"]]
        return info

    def check_key(self, row, exp, key, want, problems):
        c = lambda name: self.col(row, name, problems)  # noqa: E731
        if key == "type":
            if c(COL_TYPE) != want:
                problems.append("type: expected %s, tshark shows %r" % (want, c(COL_TYPE)))
        elif key == "group":
            if not same(want, c("pf.group")):
                problems.append("group: expected %d, tshark shows %r" % (want, c("pf.group")))
            name = self.groups.get(want, "not named")
            if c(COL_GROUP) != name:
                problems.append("group name: expected %s, tshark shows %r" % (name, c(COL_GROUP)))
        elif key == "element":
            if not same(want, c("pf.element")):
                problems.append("element: expected %d, tshark shows %r" % (want, c("pf.element")))
            sym = self.elements.get((exp.get("group", 0), want), "")
            if c("pf.element.symbol") != sym:
                problems.append("element symbol: expected %r, tshark shows %r"
                                % (sym, c("pf.element.symbol")))
        elif key == "fields":
            shown = [f for f in c(COL_FIELDS).split(",") if f]
            ids = [as_int(i) for i in c("pf.tlv.id").split(",") if i]
            by_doc = [self.fields.get(i, str(i)) for i in ids]
            if shown != want:
                problems.append("fields: expected %s, tshark shows %s"
                                % (",".join(want), ",".join(shown)))
            elif by_doc != want:
                problems.append("fields: names match but ids %s are %s in the doc"
                                % (ids, ",".join(by_doc)))
        elif key == "error_code":
            if not same(want, c("pf.error_code")):
                problems.append("error_code: expected %d, tshark shows %r"
                                % (want, c("pf.error_code")))
            name = self.errors.get(want)
            if c(COL_ERROR) != name:
                problems.append("error_code name: expected %s, tshark shows %r"
                                % (name, c(COL_ERROR)))
        elif "pf." + key in self.header:
            shown = row["pf." + key]
            if not same(want, shown):
                problems.append("%s: expected %s, tshark shows %r" % (key, show(want), shown))
            if key == "flags":
                for bit, name in ((1, "trace"), (2, "noreply"), (4, "replica")):
                    flag = c("pf.flags." + name)
                    if flag != str(int(bool(want & bit))):
                        problems.append("flags.%s: expected %d, tshark shows %r"
                                        % (name, bool(want & bit), flag))
        else:
            problems.append("no tshark column pf.%s to check %s=%r against"
                            % (key, key, want))

    def check(self, vec, row):
        """Problems found with one packet; empty when it matches."""
        problems = []
        c = lambda name: self.col(row, name, problems)  # noqa: E731
        if c("_ws.lua.error"):
            problems.append("Lua error: %s" % c("_ws.expert.message"))
        if self.heuristic and vec["payload"][:3] != b"\x50\x46\x01":
            # not ours to claim on a foreign port
            if c("_ws.col.Protocol") == PROTO or c("pf.verdict"):
                problems.append("claimed by the heuristic, which wants magic and "
                                "version 1 (verdict %r)" % c("pf.verdict"))
            return problems
        if c("_ws.col.Protocol") != PROTO:
            problems.append("protocol column is %r, not %s" % (c("_ws.col.Protocol"), PROTO))
        verdict = vec["verdict"]
        if c("pf.verdict") != verdict:
            problems.append("verdict: expected %s, tshark shows %r" % (verdict, c("pf.verdict")))
        experts = c("_ws.expert.message")
        info = c("_ws.col.Info")
        if verdict != "ok":
            if MALFORMED + verdict not in experts:
                problems.append("no expert info %r (experts: %r)" % (MALFORMED + verdict, experts))
            if not re.search(r"(\[|: )%s\]?$" % re.escape(verdict), info):
                problems.append("info column %r does not name %s" % (info, verdict))
            return problems
        if MALFORMED in experts:
            problems.append("valid frame has a malformed expert info: %r" % experts)
        for key, want in vec["expect"].items():
            self.check_key(row, vec["expect"], key, want, problems)
        try:
            want_info = self.expected_info(vec["expect"])
        except KeyError as e:
            problems.append("cannot build the expected info column, %s unknown" % e)
        else:
            if info != want_info:
                problems.append("info: expected %r, tshark shows %r" % (want_info, info))
        return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--doc", required=True)
    ap.add_argument("--label", default="", help="said after the summary")
    ap.add_argument("--heuristic", action="store_true",
                    help="packets went to a port the dissector does not own")
    ap.add_argument("tshark_output")
    args = ap.parse_args(argv)

    try:
        vectors = parse_vectors(args.doc)
        header, rows = read_tshark(args.tshark_output)
        checker = Checker(args.doc, header, args.heuristic)
    except (OSError, ValueError) as e:
        print("wireshark: %s" % e, file=sys.stderr)
        return 1

    label = " (%s)" % args.label if args.label else ""
    if len(rows) != len(vectors):
        print("wireshark: tshark shows %d packets, the doc has %d vectors%s"
              % (len(rows), len(vectors), label))
        return 1
    good = 0
    for vec, row in zip(vectors, rows):
        problems = checker.check(vec, row)
        for p in problems:
            print("  vector %d (%s): %s" % (vec["number"], vec["title"], p))
        good += not problems
    print("wireshark: %d/%d vectors match%s" % (good, len(vectors), label))
    return 0 if good == len(vectors) else 1


if __name__ == "__main__":
    sys.exit(main())
