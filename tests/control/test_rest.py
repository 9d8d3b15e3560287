#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# test_rest.py: pf-control's REST API end to end, against a real pf-dataplane:
# auth, CRUD with validation, pushes the dataplane applies, metrics, rules,
# durable state across a restart, re-sync of a restarted dataplane, audit log.
import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlenv import Checker, Env, echo_packets, pfpkt  # noqa: E402


def registry_gen(env):
    st, h = env.api("GET", "/health")
    return h["dataplane"].get("registry_gen", 0)


def wait_for(pred, timeout=10, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def main(build):
    ck = Checker("control-rest")
    env = Env(build, "rest")
    try:
        env.start_dataplane(echo_packets(40))
        env.start_control()
        h = env.wait_synced()
        ck.eq(h["status"], "ok", "health status")
        ck.ok(all(l["alive"] for l in h["dataplane"]["lcores"]) and h["dataplane"]["lcores"],
              "every lcore alive: %s" % h["dataplane"]["lcores"])
        ck.eq(h["registry"]["capabilities"], 7, "registry size from the config")
        ck.eq(h["rules"]["count"], 15, "rules from the config's rules file")

        # ---- authentication and roles ----
        st, b = env.api("GET", "/capabilities", token="")
        ck.eq(st, 401, "no token")
        ck.ok("error" in b, "401 carries a JSON reason")
        st, b = env.api("GET", "/capabilities", token="not-a-real-token-at-all")
        ck.eq(st, 401, "unknown token")
        st, b = env.api("POST", "/capabilities", {"name": "x", "element": "CF.seq"}, role="viewer")
        ck.eq((st, b.get("required_role")), (403, "admin"), "viewer may not create")
        st, b = env.api("PUT", "/policy/groups/DF", {"lcores": [1, 2]}, role="viewer")
        ck.eq(st, 403, "viewer may not change policy")
        st, b = env.api("GET", "/status", token="")
        ck.eq(st, 200, "status page needs no token (its data does)")

        # ---- reads ----
        st, b = env.api("GET", "/capabilities", role="viewer")
        ck.eq((st, len(b["capabilities"])), (200, 7), "list capabilities")
        st, b = env.api("GET", "/capabilities/echo", role="viewer")
        ck.eq((st, b.get("id"), b.get("element")), (200, 1, "CF.seq"), "capability by name")
        st, b = env.api("GET", "/capabilities/4")
        ck.eq((b.get("name"), b.get("roles"), b.get("effects")),
              ("cache", ["operator"], ["audit_log", "metrics"]), "capability by id")
        st, b = env.api("GET", "/capabilities/999")
        ck.eq(st, 404, "missing capability")

        # ---- create, validated by the config loader ----
        gen0 = registry_gen(env)
        new = {"id": 20, "name": "shout", "element": "DF.tr", "arg": "upper",
               "intent": "shout the data", "requires": ["data"], "provides": ["data"],
               "effects": ["metrics", "audit_log"], "roles": ["operator"], "max_payload": 512,
               "rate": {"pps": 1000, "burst": 50}}
        st, b = env.api("POST", "/capabilities", new)
        ck.eq(st, 201, "create: %s" % b)
        ck.ok(b.get("applied") is True, "create applied by the dataplane: %s" % b)
        ck.eq(b.get("capability", {}).get("rate"), {"pps": 1000, "burst": 50}, "created as sent")
        ck.ok(wait_for(lambda: registry_gen(env) > gen0), "dataplane registry generation moved")
        st, h = env.api("GET", "/health")
        ck.eq(h["dataplane"].get("capabilities"), 8, "dataplane runs 8 capabilities")
        bad = [
            ({"name": "shout", "element": "DF.tr"}, 422, "name"),
            ({"id": 20, "name": "other", "element": "DF.tr"}, 422, "id"),
            ({"name": "z", "element": "DF.zz"}, 422, "element"),
            ({"name": "z", "element": "CF.seq", "effects": ["teleport"]}, 422, "effects"),
            ({"name": "z", "element": "CF.seq", "roles": ["nobody"]}, 422, "roles"),
            ({"name": "z", "element": "CF.seq", "colour": "red"}, 422, "colour"),
            ({"name": "z z", "element": "CF.seq"}, 422, "name"),
            ({"name": "z", "element": "CF.seq", "max_payload": -1}, 422, "max_payload"),
            ({"name": "z", "element": "CF.seq", "routing": {"lcores": [1], "replicate": 3}},
             422, "replicate"),
        ]
        for body, want, key in bad:
            st, b = env.api("POST", "/capabilities", body)
            ck.eq(st, want, "refused %s" % body)
            ck.ok(isinstance(b, dict) and key in b.get("error", ""),
                  "reason names %s: %s" % (key, b))
        for raw, what in ((b"{not json", "syntax"), (b"[1,2]", "array"), (b"", "empty"),
                          (b'{"a":1,"a":2}', "duplicate keys")):
            st, b = env.api("POST", "/capabilities", raw)
            ck.eq(st, 400, "malformed JSON (%s)" % what)

        # ---- update ----
        st, b = env.api("PATCH", "/capabilities/shout", {"intent": "louder", "rate": None})
        ck.eq((st, b.get("capability", {}).get("intent")), (200, "louder"), "patch")
        ck.ok("rate" not in b.get("capability", {}), "patch null removes a key")
        st, b = env.api("PUT", "/capabilities/20", dict(new, id=21))
        ck.eq(st, 400, "put with another id")
        put = dict(new, arg="lower")
        del put["id"]
        st, b = env.api("PUT", "/capabilities/20", put)
        ck.eq((st, b.get("capability", {}).get("arg")), (200, "lower"), "put")
        st, b = env.api("PUT", "/capabilities/20", dict(put, arg="sideways"))
        ck.eq(st, 422, "dataplane refuses a transform arg it does not know")
        ck.ok("arg: expected upper, lower" in b.get("error", "") and "sideways" in b.get("error", ""),
              "the dataplane's reason names the arg: %s" % b)
        st, b = env.api("GET", "/capabilities/20", role="viewer")
        ck.eq((st, b.get("arg")), (200, "lower"),
              "the refused put left the capability as it was: %s" % b)

        # ---- routing policy ----
        st, b = env.api("PUT", "/policy/groups/DF", {"lcores": [1, 2, 9]}, role="operator")
        ck.eq(st, 422, "dataplane refuses an lcore it does not run")
        ck.ok("lcore 9" in b.get("error", ""), "the dataplane's reason comes back: %s" % b)
        st, b = env.api("PUT", "/policy/groups/DF",
                        {"lcores": [2], "balance": "least-loaded"}, role="operator")
        ck.eq(st, 200, "set group policy: %s" % b)
        st, b = env.api("GET", "/policy/groups/DF", role="viewer")
        ck.eq(b.get("policy", {}).get("balance"), "least-loaded", "group policy read back")
        st, b = env.api("PUT", "/policy/groups/DF", {"balance": "sideways"}, role="operator")
        ck.eq(st, 422, "bad balance mode")
        ck.ok("balance" in b.get("error", ""), "reason names balance: %s" % b)
        st, b = env.api("PUT", "/policy/capabilities/shout",
                        {"lcores": [1, 2], "balance": "flow-hash", "priority": "high"},
                        role="operator")
        ck.eq(st, 200, "capability routing override: %s" % b)
        st, b = env.api("GET", "/policy/capabilities/20", role="viewer")
        ck.eq((b.get("override"), b.get("routing", {}).get("priority")), (True, "high"),
              "override read back")
        st, b = env.api("DELETE", "/policy/capabilities/20", role="operator")
        st, b = env.api("GET", "/policy/capabilities/20", role="viewer")
        ck.eq(b.get("override"), False, "override removed")
        st, b = env.api("GET", "/policy/groups/XX", role="viewer")
        ck.eq(st, 404, "unknown group")

        # ---- deletes ----
        st, b = env.api("DELETE", "/capabilities/transform")
        ck.eq(st, 409, "delete of a capability a molecule uses")
        ck.ok("molecules[0]" in b.get("error", ""), "409 says who uses it: %s" % b)
        st, b = env.api("DELETE", "/capabilities/echo")
        ck.eq(st, 409, "delete of a capability the rules classify to")

        # ---- rules ----
        bad_rules = "rules:\n  - {id: 1, pattern: 'echo', capability: echo}\n" \
                    "  - {id: 77, pattern: 'a(b', capability: echo}\n"
        st, b = env.api("PUT", "/rules", bad_rules, role="operator",
                        headers={"Content-Type": "application/yaml"})
        ck.eq(st, 422, "rules with a bad pattern")
        ck.eq(b.get("rule_id"), 77, "compile error names the rule id")
        ck.ok(b.get("hyperscan"), "and Hyperscan's message: %s" % b)
        st, b = env.api("PUT", "/rules", "rules:\n  - {id: 1, pattern: x, capability: nope}\n",
                        role="operator")
        ck.eq(st, 422, "rules naming an unknown capability")
        good = {"rules": [{"id": 1, "pattern": "^echo", "capability": "echo"},
                          {"id": 2, "pattern": "shout", "capability": "shout",
                           "flags": ["caseless"]},
                          {"id": 900, "pattern": "drop\\s+table", "action": "deny"}]}
        st, b = env.api("PUT", "/rules", json.dumps(good), role="operator")
        ck.eq((st, b.get("count"), b.get("applied")), (200, 3, True), "rules as JSON: %s" % b)
        st, b = env.api("GET", "/rules", role="viewer")
        ck.eq([r["id"] for r in b.get("rules", [])], [1, 2, 900], "rules read back")
        st, h = env.api("GET", "/health")
        ck.ok(wait_for(lambda: env.api("GET", "/health")[1]["dataplane"].get("rules") == 3),
              "dataplane runs 3 rules")
        st, b = env.api("DELETE", "/capabilities/shout")
        ck.eq(st, 409, "a rule classifies to shout")

        # ---- roles and sessions ----
        st, b = env.api("GET", "/access", role="viewer")
        ck.eq([r["name"] for r in b["roles"]], ["admin", "operator", "viewer"], "roles")
        roles = b["roles"] + [{"name": "auditor", "implies": ["viewer"]}]
        st, b = env.api("PUT", "/access", {"roles": roles})
        ck.eq(st, 200, "add a role: %s" % b)
        st, b = env.api("PUT", "/access", {"sessions": [{"id": 1, "roles": ["ghost"]}]})
        ck.eq(st, 422, "session with an unknown role")

        # ---- metrics ----
        n = wait_for(lambda: env.metric("packetflow_capability_execution_count",
                                        {"capability": "echo"}) == 40)
        ck.ok(n, "echo executions in /metrics: %s" % env.metric(
            "packetflow_capability_execution_count", {"capability": "echo"}))
        ck.eq(env.metric("packetflow_registry_capabilities_registered"), 8.0, "registry size")
        ck.eq(env.metric("packetflow_capability_execution_duration_seconds_count",
                         {"capability": "echo"}), 40.0, "histogram count")
        ck.ok(env.metric("packetflow_protocol_messages_processed") >= 40, "messages processed")

        # ---- durable state: a restarted pf-control keeps every change ----
        ck.eq(env.stop_proc(env.pfc), 0, "pf-control exits 0 on SIGINT")
        env.start_control()
        st, b = env.api("GET", "/capabilities/shout", role="viewer")
        ck.eq((st, b.get("arg")), (200, "lower"), "capability survives a restart")
        st, b = env.api("GET", "/rules", role="viewer")
        ck.eq(b.get("count"), 3, "rules survive a restart")
        st, b = env.api("GET", "/policy/groups/DF", role="viewer")
        ck.eq(b.get("policy", {}).get("balance"), "least-loaded", "policy survives a restart")

        # ---- a restarted dataplane is re-synced ----
        env.stop_proc(env.dp)
        cache = [pfpkt.udp_packet(pfpkt.request(4, [(pfpkt.F_KEY, b"k%d" % i),
                                                    (pfpkt.F_VALUE, b"v")],
                                                session_id=1, seq=i)) for i in range(10)]
        env.start_dataplane(cache)
        env.wait_synced()

        def dp_tables():
            dp = env.api("GET", "/health")[1]["dataplane"]
            return dp.get("capabilities"), dp.get("rules")
        wait_for(lambda: dp_tables() == (8, 3), timeout=5)
        ck.eq(dp_tables(), (8, 3), "new dataplane runs pf-control's registry and rules")
        h = env.api("GET", "/health")[1]
        ck.ok(h["dataplane"]["restarts_seen"] >= 1, "restart noticed")

        # ---- audit log ----
        def audit():
            with open(os.path.join(env.state, "audit.log")) as f:
                return [json.loads(line) for line in f]
        ok = wait_for(lambda: sum(1 for r in audit() if r.get("type") == "executed"
                                  and r.get("capability") == "cache") >= 10, timeout=10)
        recs = audit()
        ck.ok(ok, "10 audited cache executions shipped from the dataplane")
        changes = [r for r in recs if r.get("type") == "control" and r.get("change")]
        ck.ok(any("shout" in r["change"] and r["who"] == "admin-user" for r in changes),
              "control changes audited with who did them")
        ck.ok(any(r.get("status") == 403 for r in recs), "refused attempts audited too")

        # ---- clearing the rules is durable, and wins over the config's file ----
        st, b = env.api("DELETE", "/rules", role="viewer")
        ck.eq(st, 403, "viewer may not clear the rules")
        st, b = env.api("DELETE", "/rules", role="operator")
        ck.eq((st, b.get("count"), b.get("applied")), (200, 0, True), "rules cleared: %s" % b)
        ck.ok(wait_for(lambda: env.api("GET", "/health")[1]["dataplane"].get("rules") == 0),
              "dataplane runs no rules")
        env.stop_proc(env.pfc)
        env.start_control()
        st, b = env.api("GET", "/rules", role="viewer")
        ck.eq(b.get("count"), 0, "no rules after a restart (not the config's 15)")
    finally:
        rc = env.stop()
    ck.eq(rc[0], 0, "pf-control exit code")
    return ck.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
