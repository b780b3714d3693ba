#!/usr/bin/env python3
"""Builds `pricing/azure_meters.csv`, the Azure OpenAI / Foundry meter table.

Azure bills each model on meters whose names are terse and inconsistent (`5.4 opt Dz 1M
Tokens`, `gpt 4o 1120 cached Inp glbl Tokens`). Rather than guess models from fragments,
spend-audit looks meter names up in this table. It is built from the dated snapshot of Azure's
public retail price list that the PyPI package `azure-genai-prices` ships (MIT, Nik Klavžar),
parsed with that package's own meter parser, at a pinned version:

    python3 scripts/azure_meters.py            # downloads the wheel with pip, no install

Columns: the meter name as Azure writes it, its product, the model as a wire string the
catalog resolves (Azure's `MMDD` snapshot suffixes expanded), the charge kind, deployment
type, processing tier, context tier, tokens per billing unit, and the lowest and highest
retail price per billing unit across regions (USD) at the latest effective date. Meters the
parser cannot classify (sessions, hosting, provisioned units) are left out: the reader
recognises provisioned units itself and lists every other unknown meter with its cost.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
import types
import zipfile
from decimal import Decimal
from pathlib import Path

VERSION = "0.2.0"
OUT = Path(__file__).resolve().parent.parent / "pricing" / "azure_meters.csv"

# Azure writes some snapshots as a bare MMDD; the year is not in the meter.
SNAPSHOTS = {
    ("gpt-4o", "0513"): "2024-05-13",
    ("gpt-4o", "0806"): "2024-08-06",
    ("gpt-4o", "1120"): "2024-11-20",
    ("gpt-4o-mini", "0718"): "2024-07-18",
}
KINDS = {
    "input": "input",
    "cache_read": "cached_input",
    "cache_write": "cache_write",
    "output": "output",
    "search_unit": "request",
}
DEPLOYMENTS = {"global": "global", "data_zone": "data-zone", "regional": "regional"}


def wheel_dir(tmp: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(tmp),
         f"azure-genai-prices=={VERSION}"],
        check=True,
    )
    wheel = next(tmp.glob("azure_genai_prices-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp / "whl")
    return tmp / "whl"


def wire_model(model: str) -> str:
    base, _, mmdd = model.rpartition("-")
    date = SNAPSHOTS.get((base, mmdd))
    return f"{base}-{date}" if date else model


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = wheel_dir(Path(tmp))
        sys.path.insert(0, str(root))
        # The parser module needs no network; the package's fetcher imports httpx.
        sys.modules.setdefault("httpx", types.ModuleType("httpx"))
        from azure_genai_prices.meters import _unit_divisor, parse_meter_name

        snapshot = json.loads((root / "azure_genai_prices/data/snapshot.json").read_text())
    latest: dict[tuple[str, str], dict] = {}
    prices: dict[tuple[str, str], list[Decimal]] = {}
    for item in snapshot["items"]:
        key = (item["meterName"], item["productName"])
        start = item["effectiveStartDate"]
        if key not in latest or start > latest[key]["effectiveStartDate"]:
            latest[key] = item
            prices[key] = []
        if start == latest[key]["effectiveStartDate"]:
            prices[key].append(Decimal(str(item["retailPrice"])))
    rows, skipped = [], 0
    for (meter, product), item in latest.items():
        parsed = parse_meter_name(meter, product)
        if parsed is None:
            skipped += 1
            continue
        unit = _unit_divisor(item["unitOfMeasure"])
        rows.append({
            "meter_name": meter,
            "product_name": product,
            "model": wire_model(parsed.model),
            "kind": KINDS[parsed.kind.value],
            "deployment": DEPLOYMENTS[parsed.deployment.value],
            "tier": parsed.mode.value,
            "context": parsed.context.value,
            "tokens_per_unit": str(int(unit)),
            "price_min": str(min(prices[(meter, product)])),
            "price_max": str(max(prices[(meter, product)])),
            "effective_start": item["effectiveStartDate"][:10],
        })
    rows.sort(key=lambda r: (r["meter_name"].lower(), r["product_name"]))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    OUT.write_text(buf.getvalue())
    print(f"{len(rows)} meters written to {OUT} (snapshot {snapshot['fetched_at'][:10]}, "
          f"{skipped} unclassified meters left out)")


if __name__ == "__main__":
    main()
