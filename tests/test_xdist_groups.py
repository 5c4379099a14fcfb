"""`make test` relies on pytest-xdist's `--dist loadgroup` to build the demo report once:
every test that uses it is marked `xdist_group("demo-report")` (conftest.py). pytest 9.2
silently broke that grouping with pytest-xdist 3.8 (pytest-xdist#1386: the group went into
a node-id field pytest no longer reads), and the suite built the report on both workers
with every test passing. This test fails if the grouping stops working again."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # starts two pytest workers (a few seconds)

GROUPED = """
import pytest

# Marked the way tests/conftest.py marks the demo report's tests: in the hook.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "grouped" in item.name:
            item.add_marker(pytest.mark.xdist_group("demo-report"))
"""

TESTS = "\n".join(
    f"def test_grouped_{i}():\n    pass\n\ndef test_free_{i}():\n    pass\n" for i in range(6)
)


def test_tests_of_one_group_run_on_one_worker(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(GROUPED)
    (tmp_path / "test_a.py").write_text(TESTS)
    (tmp_path / "test_b.py").write_text(TESTS)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:cacheprovider",
            "-c",
            str(tmp_path / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    workers = {
        m.group(2): m.group(1) for m in re.finditer(r"\[(gw\d)\].*?PASSED (\S+)", done.stdout)
    }
    grouped = {w for test, w in workers.items() if "test_grouped_" in test}
    assert len([t for t in workers if "test_grouped_" in t]) == 12
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}"
