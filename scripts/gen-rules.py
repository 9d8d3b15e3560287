#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# gen-rules.py: writes a deterministic Hyperscan ruleset of N distinct rules
# (literals and regexes, mixed flags) for benchmarks, or intents to scan with it.
"""Generate a PacketFlow rules file, or intents to scan against it.

    gen-rules.py N [--caps a,b,c] [--seed S] > bench.rules
    gen-rules.py N --intents M [--match-share F] [--annotate] > intents.txt

Rules: N distinct patterns built from templates (phrases, alternations,
character classes, bounded repeats, anchors, Unicode words) with mixed flags,
each routed to one of --caps (classify). The output depends only on N,
--caps and --seed.

Intents (--intents M): M lines, one intent each. round(M * F) of them are
built to match a chosen rule of the same ruleset (same N, --caps, --seed);
the rest are made of words that no generated pattern can match, so the
share of matching intents is exactly F. With --annotate each line is
"RULE_ID<TAB>intent" (RULE_ID is "-" for a line meant to match nothing);
a matching line may match other rules too.
"""
import argparse
import random
import sys

DEFAULT_CAPS = "echo,transform,aggregate,cache,pattern,broadcast,ingest"

VERBS = [
    "compress", "decompress", "resize", "encrypt", "decrypt", "validate",
    "normalize", "index", "archive", "restore", "replicate", "summarize",
    "translate", "render", "publish", "subscribe", "rotate", "checksum",
    "deduplicate", "sample", "tokenize", "classify", "merge", "split",
    "sort", "filter", "enrich", "anonymize", "redact", "forward", "queue",
    "schedule", "throttle", "refresh", "invalidate", "snapshot", "migrate",
    "audit", "reconcile", "convert",
]
NOUNS = [
    "image", "thumbnail", "invoice", "receipt", "order", "shipment", "ledger",
    "account", "profile", "session", "token", "certificate", "manifest",
    "telemetry", "metric", "trace", "journal", "logfile", "backup", "volume",
    "bucket", "blob", "document", "spreadsheet", "report", "dashboard",
    "sensor", "reading", "firmware", "packet", "frame", "stream", "playlist",
    "transcript", "subtitle", "catalog", "inventory", "warehouse", "customer",
    "supplier", "payment", "refund", "coupon", "basket", "review", "rating",
    "comment", "message", "mailbox", "calendar", "meeting", "ticket",
    "incident", "alert", "runbook", "cluster", "node", "container", "pod",
    "deployment",
]
ADJS = [
    "urgent", "stale", "pending", "archived", "encrypted", "corrupted",
    "duplicate", "regional", "nightly", "hourly", "partial", "verified",
]
UNICODE = ["für", "pour", "größe", "naïve", "café", "résumé", "señal", "città"]
# Words for intents that match nothing: checked at start-up to contain no
# vocabulary word, so no generated pattern can match them.
FILLER = [
    "please", "kindly", "the", "a", "with", "quickly", "maybe", "later",
    "lorem", "ipsum", "dolor", "amet", "weather", "holiday", "banana",
    "mountain", "river", "yellow", "purple", "guitar", "violin", "coffee",
    "tea", "bicycle", "garden", "window", "pillow", "marble", "canyon",
    "harbor", "lantern", "meadow", "orchid", "pebble", "quartz", "saddle",
    "tulip", "velvet", "walnut", "zephyr",
]


def caseflip(rng, s):
    """Random upper/lower case of ASCII letters, for caseless rules' intents
    (ASCII only: "ß".upper() is "SS", which the pattern would not match)."""
    return "".join(c.upper() if c.isascii() and rng.random() < 0.5 else c
                   for c in s)


# Each template returns (pattern, flags, sample): sample is one text the
# pattern matches. Every pattern holds a literal VERBS or NOUNS word.
def t_phrase(rng):
    v, n = rng.choice(VERBS), rng.choice(NOUNS)
    return rf"{v}\s+{n}s?", ["caseless"], f"{v} {n}s"


def t_alternation(rng):
    v1, v2 = rng.sample(VERBS, 2)
    n = rng.choice(NOUNS)
    return rf"\b({v1}|{v2})\s+(the\s+)?{n}\b", [], f"{v2} the {n}"


def t_id(rng):
    n = rng.choice(NOUNS)
    lo = rng.randint(3, 6)
    digits = "".join(rng.choice("0123456789") for _ in range(lo + 1))
    return rf"{n}[-_]?id[=:]\s*[0-9]{{{lo},{lo + 6}}}", [], f"{n}-id: {digits}"


def t_anchored(rng):
    v, n = rng.choice(VERBS), rng.choice(NOUNS)
    return rf"^{v}\s+(all\s+)?{n}", ["caseless", "multiline"], f"{v} all {n}"


def t_adjective(rng):
    a, n = rng.choice(ADJS), rng.choice(NOUNS)
    return rf"\b{a}\s+{n}(s|es)?\b", ["caseless"], f"{a} {n}s"


def t_hex(rng):
    n = rng.choice(NOUNS)
    h = "".join(rng.choice("0123456789abcdef") for _ in range(rng.randint(4, 12)))
    return rf"{n}\s+0x[0-9a-f]{{4,16}}\b", [], f"{n} 0x{h}"


def t_gap(rng):
    v, n = rng.choice(VERBS), rng.choice(NOUNS)
    return rf"{v}\b.*\b{n}", ["dotall"], f"{v} every {n}"


def t_preposition(rng):
    n1, n2 = rng.sample(NOUNS, 2)
    return rf"\b{n1}\s+(for|of|from)\s+{n2}\b", ["caseless"], f"{n1} from {n2}"


def t_unicode(rng):
    # caseless matching of accented letters needs ucp; no \w or \b here:
    # Unicode \w makes the database tens of times larger, \b is refused
    n, u = rng.choice(NOUNS), rng.choice(UNICODE)
    return rf"{n}\s+{u}", ["caseless", "utf8", "ucp"], f"{n} {u}"


def t_version(rng):
    n = rng.choice(NOUNS)
    major = rng.randint(1, 9)
    return (rf"{n}\s+v{major}\.[0-9]+(\.[0-9]+)?", [],
            f"{n} v{major}.{rng.randint(0, 20)}.{rng.randint(0, 9)}")


TEMPLATES = [t_phrase, t_alternation, t_id, t_anchored, t_adjective, t_hex,
             t_gap, t_preposition, t_unicode, t_version]


def t_tagged(rng, k):
    """Always distinct: used once the templates run out of new patterns."""
    v, n = rng.choice(VERBS), rng.choice(NOUNS)
    return rf"\b{v}-{n}-r{k}\b", [], f"{v}-{n}-r{k}"


def make_rules(n, caps, seed):
    rng = random.Random(seed)
    seen = set()
    rules = []
    misses = 0
    while len(rules) < n:
        if misses < 50:
            pattern, flags, sample = rng.choice(TEMPLATES)(rng)
        else:
            pattern, flags, sample = t_tagged(rng, len(rules))
        if pattern in seen:
            misses += 1
            continue
        misses = 0
        seen.add(pattern)
        rules.append({
            "id": 1000 + len(rules),
            "pattern": pattern,
            "flags": flags,
            "capability": caps[len(rules) % len(caps)],
            "sample": sample,
        })
    return rules


def print_rules(rules, argv):
    out = sys.stdout
    out.write("# SPDX-License-Identifier: BSD-3-Clause\n")
    out.write(f"# {len(rules)} generated benchmark rules (docs/rules.md), made by:\n")
    out.write(f"#   scripts/gen-rules.py {' '.join(argv)}\n")
    out.write("# Do not edit: regenerate. Intents for it: add --intents M.\n")
    out.write("rules:\n")
    for r in rules:
        flags = f", flags: [{', '.join(r['flags'])}]" if r["flags"] else ""
        pat = r["pattern"].replace("'", "''")
        out.write(f"  - {{ id: {r['id']}, pattern: '{pat}'{flags}, "
                  f"capability: {r['capability']} }}\n")


def filler_words():
    vocab = [w.lower() for w in VERBS + NOUNS + ADJS + UNICODE]
    words = [w for w in FILLER if not any(v in w for v in vocab)]
    if len(words) < 10:
        sys.exit("gen-rules.py: too few filler words left")
    return words


def print_intents(rules, m, share, annotate, seed):
    rng = random.Random(seed ^ 0x5EED)
    words = filler_words()
    n_match = round(m * share)
    kinds = [True] * n_match + [False] * (m - n_match)
    rng.shuffle(kinds)
    for match in kinds:
        pre = " ".join(rng.choice(words) for _ in range(rng.randint(0, 2)))
        post = " ".join(rng.choice(words) for _ in range(rng.randint(0, 3)))
        if match:
            r = rng.choice(rules)
            sample = r["sample"]
            if "caseless" in r["flags"]:
                sample = caseflip(rng, sample)
            if r["pattern"].startswith("^"):
                pre = ""  # anchored: must start the intent
            text = " ".join(x for x in (pre, sample, post) if x)
            tag = str(r["id"])
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(2, 7)))
            tag = "-"
        print(f"{tag}\t{text}" if annotate else text)


def main():
    ap = argparse.ArgumentParser(
        description="Generate a PacketFlow rules file, or intents for it.")
    ap.add_argument("n", type=int, help="number of rules (1..100000)")
    ap.add_argument("--caps", default=DEFAULT_CAPS,
                    help="comma-separated capability names (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--intents", type=int, metavar="M",
                    help="print M intents instead of the rules")
    ap.add_argument("--match-share", type=float, default=0.5, metavar="F",
                    help="share of intents built to match (default 0.5)")
    ap.add_argument("--annotate", action="store_true",
                    help="prefix each intent with the rule id it targets, or -")
    args = ap.parse_args()
    if not 1 <= args.n <= 100000:
        ap.error(f"N: expected 1..100000, found {args.n}")
    caps = [c.strip() for c in args.caps.split(",") if c.strip()]
    if not caps:
        ap.error("--caps: expected at least one capability name")
    if not 0.0 <= args.match_share <= 1.0:
        ap.error(f"--match-share: expected 0..1, found {args.match_share}")
    rules = make_rules(args.n, caps, args.seed)
    if args.intents is not None:
        if args.intents < 0:
            ap.error(f"--intents: expected a count >= 0, found {args.intents}")
        print_intents(rules, args.intents, args.match_share, args.annotate,
                      args.seed)
    else:
        print_rules(rules, sys.argv[1:])


if __name__ == "__main__":
    main()
