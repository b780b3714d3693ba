#!/usr/bin/env python3
"""Runs the FinOps Foundation's focus-validator on a focus.csv and fails on any broken rule.

    python scripts/focus_validate.py <focus.csv> [--version 1.2]
        [--applicability A,B,... | --metadata focus-metadata.json]

`--applicability` names the validator's applicability criteria to apply (for example
`SUB_ACCOUNT_SUPPORTED,TAGGING_SUPPORTED`); `--metadata focus-metadata.json` applies the ones
that file declares (`x_ApplicabilityCriteria`). Without either, only the unconditional rules run.

The validator (PyPI `focus-validator`, Python >= 3.12) prints one line per rule. It checks
both branches of an either/or rule (an OR composite such as InvoiceId-C-003-C: "null when not
on an invoice" OR "not null when on one") and prints the branch that does not apply as FAIL even
when the composite passes. This script counts a FAIL only when the rule is not such a branch of
a passing OR composite, and exits 1 if any remains (the validator itself exits 0 either way).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

LINE = re.compile(r"^\S+\s+([A-Za-z]+-[A-Z]-\d+-[A-Z]): (PASS|FAIL|SKIPPED)")


def main() -> int:
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    data = Path(args[0]).resolve()
    version = args[args.index("--version") + 1] if "--version" in args else "1.2"
    criteria = args[args.index("--applicability") + 1] if "--applicability" in args else ""
    if "--metadata" in args:
        # The criteria the dataset declares it meets (spend-audit's focus-metadata.json).
        meta = json.loads(Path(args[args.index("--metadata") + 1]).read_text())
        criteria = ",".join(meta["x_ApplicabilityCriteria"])
        for gap in meta.get("x_CriteriaNotMet", []):
            print(f"not claimed: {gap['Criterion']}: {gap['Reason']}")
    import focus_validator  # noqa: PLC0415 (the venv's package)

    package_root = Path(focus_validator.__file__).resolve().parent
    # The validator reads its currency list by a path relative to its package's parent.
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "focus_validator.main",
            "--data-file",
            str(data),
            "--validate-version",
            version,
            "--block-download",
            *(["--applicability-criteria", criteria] if criteria else []),
        ],
        cwd=package_root.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    status: dict[str, str] = {}
    for line in run.stdout.splitlines():
        m = LINE.match(line.strip())
        if m:
            status[m.group(1)] = m.group(2)
    if not status:
        print(run.stdout[-4000:], run.stderr[-4000:], sep="\n", file=sys.stderr)
        print("focus-validator printed no rule results", file=sys.stderr)
        return 1
    model = next((package_root / "rules").glob(f"model-{version}*.json"))
    rules: dict = {}

    def collect(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if isinstance(v, dict) and "ValidationCriteria" in v:
                    rules[k] = v
                collect(v)
        elif isinstance(o, list):
            for x in o:
                collect(x)

    collect(json.loads(model.read_text()))
    # Branches of OR composites that passed.
    excused: set[str] = set()
    for rule_id, rule in rules.items():
        req = rule["ValidationCriteria"].get("Requirement", {})
        if req.get("CheckFunction") == "OR" and status.get(rule_id) == "PASS":
            for item in req.get("Items", []):
                if item.get("CheckFunction") == "CheckModelRule":
                    excused.add(item["ModelRuleId"])
    failed = sorted(r for r, s in status.items() if s == "FAIL" and r not in excused)
    passed = sum(1 for s in status.values() if s == "PASS")
    print(
        f"focus-validator {version} ({criteria or 'no applicability criteria'}): {passed} rules pass, "
        f"{len([r for r, s in status.items() if s == 'FAIL' and r in excused])} either/or branches not taken, "
        f"{len(failed)} failures"
    )
    for r in failed:
        detail = next((l for l in run.stdout.splitlines() if f"{r}: FAIL" in l), r)
        print(f"FAIL {detail.strip()}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
