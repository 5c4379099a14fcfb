"""On the demo council, the cleaner finds every fault the generator injected.

The generator writes `fault_manifest.json` in each year folder listing each fault with its
file, line and kind (`schema.FAULT_KINDS` says what the cleaner must do with it).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from iro_analysis.contract import quality as Q
from iro_analysis.contract import raw_files as R
from iro_analysis.contract import tables as T
from iro_analysis.ingest.clean import CIN_ELEMENTS, build_dataset
from iro_analysis.validate.suites import validate_dataset

# Great Expectations suites, a whole region or the demo council: not the unit tier.
pytestmark = pytest.mark.slow

YEARS = [2020, 2021, 2022]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from iro_analysis.demo import generate

    out = tmp_path_factory.mktemp("demo") / "raw"
    generate(out, YEARS, seed=7, size="small", fault_rate=0.03, progress=False)
    manifest = []
    for year in YEARS:
        doc = json.loads((out / str(year) / Q.FAULT_MANIFEST).read_text(encoding="utf-8"))
        manifest.extend({**entry, "year": year} for entry in doc["faults"])
    return out, manifest, build_dataset(out)


def _base(file: str) -> str:
    return file.split("#", 1)[0]


@pytest.mark.slow
def test_every_injected_fault_kind_occurs(demo):
    _, manifest, _ = demo
    kinds = Counter(e["kind"] for e in manifest)
    missing = [k for k, what in Q.FAULT_KINDS.items() if what != "file" and not kinds[k]]
    assert not missing, f"the demo data has no fault of kind(s) {missing}: the test proves nothing"


@pytest.mark.slow
def test_quarantined_faults_are_found_at_their_file_and_line(demo):
    _, manifest, ds = demo
    q = ds.quarantine
    found = {
        rule: set(
            zip(
                q.loc[q["rule"] == rule, "year"],
                q.loc[q["rule"] == rule, "file"].map(_base),
                q.loc[q["rule"] == rule, "line"],
                strict=True,
            )
        )
        for rule in Q.QUARANTINE_RULES
    }
    for kind, what in Q.FAULT_KINDS.items():
        if what != "quarantined":
            continue
        expected = {(e["year"], e["file"], e["line"]) for e in manifest if e["kind"] == kind}
        assert found[kind] == expected, kind  # same lines, so the counts by kind match too
    # nothing else is quarantined, except elements whose parent element was, and injected
    # faults whose broken date also falls outside the file's collection year (issue #25)
    faults = {k for k, what in Q.FAULT_KINDS.items() if what == "quarantined"}
    assert set(q["rule"]) <= faults | {"parent_quarantined", "outside_collection_year"}
    injected = {(e["year"], e["file"], e["line"]) for e in manifest}
    assert found["outside_collection_year"] <= injected


def test_exact_duplicates_are_counted_per_file(demo):
    _, manifest, ds = demo
    expected = Counter((e["year"], e["file"]) for e in manifest if e["kind"] == "exact_duplicate")
    acc = ds.accounting.assign(base=ds.accounting["file"].map(_base))
    got = acc.groupby(["year", "base"])["duplicates_removed"].sum()
    got = Counter({k: int(v) for k, v in got.items() if v})
    assert got == expected


@pytest.mark.slow
def test_kept_faults_are_normalised_and_kept(demo):
    _, manifest, ds = demo
    q = ds.quarantine
    quarantined = set(zip(q["year"], q["file"].map(_base), q["line"], strict=True))
    for e in manifest:
        if Q.FAULT_KINDS[e["kind"]] != "kept":
            continue
        assert (e["year"], e["file"], e["line"]) not in quarantined, e
        if e["file"] == R.CIN_FILE:
            table = {el: t for t, el in CIN_ELEMENTS.items()}[e["element"]]
        else:
            table = next(t.name for t in R.RAW_CSVS.values() if t.relpath == e["file"])
        col = ds[table][e["column"]]
        if T.clean_dtype(e["column"]) == "datetime":
            import pandas as pd

            assert pd.Timestamp(e["value"]) in set(col.dropna()), e
        elif T.clean_dtype(e["column"]) == "boolean":
            assert col.notna().all(), e
        else:
            assert e["value"].strip().upper() in set(col.dropna()), e


def test_cp1252_file_is_read(demo):
    raw, manifest, ds = demo
    files = [e for e in manifest if e["kind"] == "cp1252_encoding"]
    assert files, "the demo data has no cp1252 file"
    acc = ds.accounting.set_index(["year", "file"])
    for e in files:
        data = (raw / str(e["year"]) / e["file"]).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("cp1252")
        lines = [ln for ln in text.splitlines()[1:] if ln.strip()]
        assert acc.loc[(e["year"], e["file"]), "rows_read"] == len(lines)


@pytest.mark.slow
def test_accounting_balances_and_critical_expectations_pass(demo):
    _, _, ds = demo
    acc = ds.accounting
    assert (
        acc["rows_read"] == acc["rows_kept"] + acc["duplicates_removed"] + acc["rows_quarantined"]
    ).all()
    report = validate_dataset(ds, YEARS[-1])
    assert report.ok, report.failure_message()
