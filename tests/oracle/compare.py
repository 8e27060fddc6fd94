#!/usr/bin/env python3
"""Compares the Go oracle's views (tests/oracle/specview.go) with runc-guard's (tests/helpers/spec_view.cpp).

  compare.py --mode MODE --files LIST --go GO.jsonl --rg RG.jsonl --schema SCHEMA.json
             [--expect EXPECT.tsv] [--strip-go STRIPPED_GO.jsonl] [--label WHAT] [--max-report N]

LIST holds one document path per line; GO/RG one view per line, in the same order (both programs take many
files per run). Python, not jq, compares: jq 1.6 turns integers above 2^53 into doubles, which would hide
exactly the large-number cases.

Verdict per document (the "_why" diagnostics are left out of the comparison):
  agree            the two views are equal (both refusing counts as equal: then everything else is null).
  guard-refuses    Go reads it, runc-guard refuses it (Undecodable). Allowed only where runc-guard documents
                   an ambiguity: its reason must say "given more than once" (oci/gojson.h: a composite list given
                   twice, or a repeated list with null elements), or the case is listed in EXPECT with the
                   reason runc-guard gives.
  go-refuses       runc refuses it (Decode error), runc-guard reads it. Allowed only for a type error in a field
                   runc-guard deliberately reads loosely or not at all (its schema says "any" there, or has no
                   such field: Go's error names the field path), since runc then never runs the document and
                   runc-guard's edits never touch such fields.
  MISMATCH         anything else, in particular both read it and the views differ: a test failure.
EXPECT (tab-separated: case name, verdict, reason substring) makes the verdict of a table case explicit;
a listed case whose verdict differs fails too, so the list cannot go stale.

--strip-go: the Go views of what runc-guard's kmem guards hand to runc (spec_view --strip-dir). For every
document both read alike, runc must see no kernel memory setting in it and everything else unchanged.
"""
import argparse
import json
import os
import sys


def load_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def canonical(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loose_field(schema, field_path):
    """Whether runc-guard reads the field Go's type error names loosely: "any", a map, or not modelled."""
    node = schema
    for name in field_path.split(".") if field_path else []:
        if not isinstance(node, dict):
            return node == "any"
        if name not in node:
            return True  # runc-guard ignores a key that names no field it models
        node = node[name]
    return node == "any"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True)
    ap.add_argument("--files", required=True)
    ap.add_argument("--go", required=True)
    ap.add_argument("--rg", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--expect")
    ap.add_argument("--strip-go")
    ap.add_argument("--label", default="")
    ap.add_argument("--max-report", type=int, default=20)
    a = ap.parse_args()

    files = [l.rstrip("\n") for l in open(a.files, encoding="utf-8") if l.strip()]
    go, rg = load_lines(a.go), load_lines(a.rg)
    schema = json.load(open(a.schema))
    if not (len(files) == len(go) == len(rg)):
        print(f"{a.label}: {len(files)} documents but {len(go)} Go views and {len(rg)} runc-guard views")
        return 1
    expect = {}
    if a.expect:
        for line in open(a.expect, encoding="utf-8"):
            if line.strip() and not line.startswith("#"):
                name, verdict, reason = line.rstrip("\n").split("\t", 2)
                expect[name] = (verdict, reason)
    stripped = load_lines(a.strip_go) if a.strip_go else None

    counts, failures, seen_expect, rows = {}, [], set(), []
    for n, (path, g, r) in enumerate(zip(files, go, rg)):
        name = os.path.splitext(os.path.basename(path))[0]
        gwhy, rwhy = g.pop("_why", {}) or {}, r.pop("_why", {}) or {}
        go_err, rg_err = g.get("error") is True, r.get("error") is True
        rg_reason = rwhy.get("runc_guard_error", "")
        if canonical(g) == canonical(r):
            verdict = "agree"
        elif not go_err and rg_err and "given more than once" in rg_reason:
            verdict = "guard-refuses"
        elif not go_err and rg_err and name in expect and expect[name][0] == "guard-refuses":
            verdict = "guard-refuses"
        elif go_err and not rg_err and "type_error_field" in gwhy and loose_field(schema, gwhy["type_error_field"]):
            verdict = "go-refuses"
        else:
            verdict = "MISMATCH"
        problem = None
        if verdict == "MISMATCH":
            diff = {k: {"go": g.get(k), "runc-guard": r.get(k)} for k in sorted(set(g) | set(r)) if g.get(k) != r.get(k)}
            problem = f"views differ: {canonical(diff)}\n    go: {canonical(gwhy)}\n    runc-guard: {canonical(rwhy)}"
        if name in expect:
            seen_expect.add(name)
            want, reason = expect[name]
            why = rg_reason if verdict == "guard-refuses" else gwhy.get("go_error", "")
            if verdict != want:
                problem = problem or f"expected verdict {want}, got {verdict}"
            elif reason not in why:
                problem = f"{verdict} as expected, but the reason is [{why}], not [{reason}]"
        elif verdict == "guard-refuses" and a.expect:
            problem = f"runc-guard refuses what Go reads and the case is not in the expectation list: {rg_reason}"
        elif verdict == "go-refuses" and a.expect:
            problem = f"Go refuses what runc-guard reads and the case is not in the expectation list: {gwhy.get('go_error')}"
        # What runc reads after runc-guard strips kernel memory: none left, nothing else changed.
        if stripped is not None and verdict == "agree" and not go_err:
            s = dict(stripped[n])
            s.pop("_why", None)
            if s.get("error") is True:
                problem = problem or f"runc refuses runc-guard's stripped document: {canonical(stripped[n].get('_why'))}"
            else:
                left = {k: s.get(k) for k in ("kernel", "kernelTCP") if s.get(k) not in (None, 0)}
                rest = {k: v for k, v in s.items() if k not in ("kernel", "kernelTCP", "kmem_settings")}
                want = {k: v for k, v in g.items() if k not in ("kernel", "kernelTCP", "kmem_settings")}
                if left or s.get("kmem_settings") != {}:
                    problem = problem or f"kernel memory left in the stripped document: {canonical(left)} {canonical(s.get('kmem_settings'))}"
                elif canonical(rest) != canonical(want):
                    diff = {k: {"original": want.get(k), "stripped": rest.get(k)} for k in sorted(set(want) | set(rest)) if want.get(k) != rest.get(k)}
                    problem = problem or f"stripping changed what runc reads: {canonical(diff)}"
        counts[verdict] = counts.get(verdict, 0) + 1
        rows.append((name, verdict, rg_reason if verdict == "guard-refuses" else gwhy.get("go_error", "")))
        if problem:
            failures.append((path, problem))

    for name in sorted(set(expect) - seen_expect):
        failures.append((name, "listed in the expectation list but not run"))
    if os.environ.get("RG_ORACLE_TABLE"):
        for name, verdict, why in rows:
            print(f"  {a.mode:9} {name:48} {verdict:13} {why[:110]}")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{a.label}: {len(files)} documents: {summary}; {len(failures)} failing")
    for path, problem in failures[: a.max_report]:
        what = path + ".what"
        mutations = open(what, encoding="utf-8").read().strip() if os.path.exists(what) else ""
        print(f"FAILED {path}: {problem}" + (f"\n    document: {mutations}" if mutations else ""))
    if len(failures) > a.max_report:
        print(f"... and {len(failures) - a.max_report} more")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
