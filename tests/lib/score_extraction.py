#!/usr/bin/env python3
"""Scores Overture's extraction against labelled enquiries.

  score_extraction.py DIR RESULTS.json [--min 95]

DIR holds NAME.eml and NAME.expect ("field: value" lines; an empty value means the
message holds no such fact). RESULTS.json is what Overture made of them: either the
array `overture classify --json DIR/*.eml` prints (matched by file name), or the array
`overture export --everything --format json` prints after filing them (matched by
subject). Prints per-field accuracy and every miss; exits 1 when the overall accuracy
is below --min percent, or when a message has no result at all.

A value matches when it is equal after normalisation: Unicode NFC, case, runs of
spaces, curly apostrophes, a leading "The " (organisations), a trailing "/" (websites),
and the order of functions.
"""
import argparse
import email
import email.policy
import json
import os
import sys
import unicodedata

FIELDS = ["applicant_email", "contact_name", "organisation", "org_type", "phone",
          "website", "postcode", "area", "functions", "is_partnership_enquiry",
          "out_of_area"]


def normalise(field, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ",".join(value)
    text = unicodedata.normalize("NFC", str(value)).replace("\u2019", "'")
    text = " ".join(text.split()).casefold()
    if field == "functions":
        return ",".join(sorted(v.strip() for v in text.split(",") if v.strip()))
    if field == "organisation" and text.startswith("the "):
        text = text[4:]
    if field == "website":
        text = text.rstrip("/")
    return text


def read_expect(path):
    want = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if ":" in line:
                key, value = line.split(":", 1)
                want[key.strip()] = value.strip()
    missing = [k for k in FIELDS if k not in want]
    if missing:
        sys.exit(f"{path}: no line for {', '.join(missing)}")
    return want


def subject_of(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    return " ".join(str(msg["subject"] or "").split())


def results_by_name(results, directory, names):
    """Maps each labelled NAME to the fields Overture found for it."""
    found = {}
    if results and "file" in results[0]:
        for r in results:
            name = os.path.splitext(os.path.basename(r["file"]))[0]
            found[name] = r.get("fields", {})
        return found
    by_subject = {" ".join((r.get("subject") or "").split()): r for r in results}
    for name in names:
        r = by_subject.get(subject_of(os.path.join(directory, name + ".eml")))
        if r is not None:
            found[name] = r
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("results")
    ap.add_argument("--min", type=float, default=95.0)
    args = ap.parse_args()
    names = sorted(f[:-7] for f in os.listdir(args.dir) if f.endswith(".expect"))
    with open(args.results, encoding="utf-8") as f:
        results = json.load(f)
    found = results_by_name(results, args.dir, names)
    right = {k: 0 for k in FIELDS}
    misses = []
    unmatched = [n for n in names if n not in found]
    for name in names:
        if name in unmatched:
            continue
        want = read_expect(os.path.join(args.dir, name + ".expect"))
        for field in FIELDS:
            w, g = normalise(field, want[field]), normalise(field, found[name].get(field))
            if w == g:
                right[field] += 1
            else:
                misses.append(f"  {name}: {field}: expected '{want[field]}', got "
                              f"'{found[name].get(field) or ''}'")
    scored = len(names) - len(unmatched)
    print(f"{scored} labelled enquiries, {len(FIELDS)} fields each")
    for field in FIELDS:
        pct = 100.0 * right[field] / scored if scored else 0.0
        print(f"  {field:24} {right[field]:3}/{scored}  {pct:5.1f}%")
    total = sum(right.values())
    overall = 100.0 * total / (scored * len(FIELDS)) if scored else 0.0
    print(f"  {'overall':24} {total:3}/{scored * len(FIELDS)}  {overall:5.1f}%")
    if misses:
        print("misses:")
        print("\n".join(misses))
    for name in unmatched:
        print(f"  {name}: no result (not filed, or filed under another subject)")
    return 0 if overall >= args.min and not unmatched else 1


if __name__ == "__main__":
    sys.exit(main())
