"""Settings load from config/settings.yaml and bad keys or values are rejected clearly."""

from __future__ import annotations

import pytest

from iro_analysis.contract.tables import check_not_supplied
from iro_analysis.core import paths
from iro_analysis.core.settings import (
    Settings,
    SettingsError,
    load_settings,
    settings_from_dict,
)
from iro_analysis.core.years import parse_year_range
from iro_analysis.kpis.registry import check_targets
from iro_analysis.pipeline.door import check_settings
from iro_analysis.validate.gates import check_accepted_anomalies


def test_project_settings_load():
    s = load_settings()
    assert isinstance(s, Settings)
    assert s.council_name
    assert s.suppression_threshold == 5
    assert s.pn4_counts_as_participation is True
    assert s.paths.raw == paths.RAW_DIR
    assert s.demo.year_list == list(range(2018, 2025))


def test_unknown_top_level_key_is_named(tmp_path):
    f = tmp_path / "settings.yaml"
    f.write_text("council_name: X\nsupression_threshold: 3\n")
    with pytest.raises(SettingsError) as exc:
        load_settings(f)
    msg = str(exc.value)
    assert "supression_threshold" in msg and str(f) in msg and "suppression_threshold" in msg


def test_unknown_nested_key_is_named():
    with pytest.raises(SettingsError, match=r"paths: unknown key\(s\) 'rwa'"):
        settings_from_dict({"paths": {"rwa": "x"}})


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"suppression_threshold": "five"}, "'suppression_threshold' must be int"),
        ({"suppression_threshold": -1}, "between 0 and 100"),
        ({"pn4_counts_as_participation": "yes"}, "must be bool"),
        ({"pn4_counts_as_participation": 1}, "must be bool"),
        ({"council_name": "  "}, "must not be empty"),
        ({"demo": {"size": "huge"}}, "'size' must be one of"),
        ({"demo": {"years": "2024-2018"}}, "ends before it starts"),
        ({"demo": {"fault_rate": 2}}, "between 0 and 0.5"),
        ({"suppression_threshold": True}, "must be int"),
    ],
)
def test_invalid_values_are_rejected(data, fragment):
    with pytest.raises(SettingsError) as exc:
        settings_from_dict(data)
    assert fragment in str(exc.value)


def test_relative_paths_resolve_against_root(tmp_path):
    s = settings_from_dict({"paths": {"raw": "elsewhere/raw"}}, root=tmp_path)
    assert s.paths.raw == tmp_path / "elsewhere" / "raw"
    assert s.paths.processed == paths.PROCESSED_DIR


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("council_name: [unclosed\n")
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings(bad)


def test_parse_year_range():
    assert parse_year_range("2018-2020") == [2018, 2019, 2020]
    assert parse_year_range("2022") == [2022]
    assert parse_year_range("2019, 2021") == [2019, 2021]
    with pytest.raises(ValueError):
        parse_year_range("20x1")


def test_settings_error_is_a_user_error_and_still_a_value_error():
    from iro_analysis.core.errors import IroAnalysisError

    assert issubclass(SettingsError, IroAnalysisError)
    assert issubclass(SettingsError, ValueError)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("council_name: X\nsupression_threshold: 3\n", ["supression_threshold"]),
        ("suppression_threshold: five\n", ["'suppression_threshold' must be int"]),
        ("council_name: [unclosed\n", ["not valid YAML"]),
    ],
)
def test_cli_reports_a_settings_mistake_in_one_line(tmp_path, capsys, text, fragments):
    from iro_analysis import cli

    f = tmp_path / "settings.yaml"
    f.write_text(text)
    code = cli.main(["--settings", str(f), "report", "--year", "2022"])
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("iro-analysis report: error reading settings: "), err
    assert str(f) in lines[0] and all(x in lines[0] for x in fragments), err
    assert "Traceback" not in err
    assert len(lines) == 1, err


def test_child_population_and_targets_are_read_and_checked():
    s = settings_from_dict(
        {
            "child_population": {2022: 160900, "2023": 161600},
            "targets": {"cla_reviews_on_time_pct": 95, "cla_caseload_per_iro_fte": 62.5},
        }
    )
    assert dict(s.child_population) == {2022: 160900, 2023: 161600}
    assert s.population(2022) == 160900 and s.population(2019) is None
    assert s.target("cla_reviews_on_time_pct") == 95.0 and s.target("cla_at_31_march") is None
    hash(s)  # still a frozen, hashable value
    empty = settings_from_dict({"child_population": None, "targets": {}})
    assert not empty.child_population and not empty.targets


def test_the_project_settings_give_a_plausible_demo_population():
    s = load_settings(paths.SETTINGS_FILE)
    demo_years = s.demo.year_list
    assert set(demo_years) <= set(s.child_population)
    for year in demo_years:
        rate = 1200 / s.population(year) * 10_000  # the medium demo's children looked after
        assert 60 <= rate <= 90


@pytest.mark.parametrize(
    "data,fragment",
    [
        ({"child_population": {2022: 0}}, "positive"),
        ({"child_population": {2022: -5}}, "positive"),
        ({"child_population": {2022: 1.5}}, "'2022' must be int"),
        ({"child_population": {2022: True}}, "must be int"),
        ({"child_population": {"22": 1000}}, "is not a year"),
        ({"child_population": [2022, 1000]}, "'child_population' must be dict"),
        ({"targets": {"no_such_kpi": 5}}, "'no_such_kpi' is not a KPI id"),
        # iro_caseload_per_fte is not a headline measure, cla_at_31_march has no direction:
        # neither is ever rated, so a target on it would silently change nothing.
        ({"targets": {"iro_caseload_per_fte": 70}}, "'iro_caseload_per_fte' is never rated"),
        ({"targets": {"cla_at_31_march": 1000}}, "neither better higher nor lower"),
        ({"targets": {"cla_reviews_on_time_pct": "95%"}}, "must be int or float"),
        ({"targets": {"cla_reviews_on_time_pct": -1}}, "of 0 or more"),
        ({"targets": {"cla_reviews_on_time_pct": True}}, "of 0 or more"),
        ({"targets": ["cla_reviews_on_time_pct"]}, "'targets' must be dict"),
    ],
)
def test_child_population_and_targets_are_validated_at_the_door(data, fragment):
    with pytest.raises(SettingsError, match=fragment):
        check_settings(settings_from_dict(data))


@pytest.mark.parametrize(
    ("data", "fragment", "stage_check"),
    [
        ({"targets": {"no_such_kpi": 5}}, "'no_such_kpi' is not a KPI id", check_targets),
        ({"targets": {"iro_caseload_per_fte": 70}}, "is never rated", check_targets),
        ({"not_supplied": ["pep"]}, "'pep' is none of", check_not_supplied),
        (
            {
                "accepted_anomalies": [
                    {"year": 2022, "check": "row_count", "file": "x", "reason": "r"}
                ]
            },
            r"accepted_anomalies\[0\]: 'check' must be a plausibility gate .*got 'row_count'",
            check_accepted_anomalies,
        ),
    ],
)
def test_a_value_naming_a_stage_s_list_is_checked_by_that_stage(data, fragment, stage_check):
    """The loader parses and type-checks only (the ground floor imports no stage); the
    stage that defines the list checks the value, naming the settings file."""
    s = settings_from_dict(data, where="council.yaml")  # parsed: the loader cannot know
    with pytest.raises(SettingsError, match=fragment) as exc:
        stage_check(s)
    assert str(exc.value).startswith("council.yaml: ")
    with pytest.raises(SettingsError, match=fragment):
        check_settings(s)  # and the door runs every stage's check


def test_the_source_is_where_the_settings_came_from_and_not_a_key(tmp_path):
    f = tmp_path / "settings.yaml"
    f.write_text("council_name: X\n")
    s = load_settings(f)
    assert s.source == str(f) and Settings().source == "settings"
    assert s == settings_from_dict({"council_name": "X"})  # the source is not compared
    f.write_text("source: elsewhere\n")
    with pytest.raises(SettingsError, match="unknown key\\(s\\) 'source'") as exc:
        load_settings(f)
    assert "source" not in str(exc.value).split("allowed:")[1]


def test_a_build_stops_at_the_door_on_a_setting_a_stage_refuses(tmp_path):
    """A target on an unknown KPI stops `open_run` before any step, naming the file; the
    KPI stage refuses it too when used without the door (an analyst's compute_kpis)."""
    from iro_analysis.ingest.dataset import Dataset
    from iro_analysis.kpis.engine import compute_kpis
    from iro_analysis.pipeline.door import open_run

    (tmp_path / "raw" / "2022").mkdir(parents=True)
    f = tmp_path / "settings.yaml"
    f.write_text("targets:\n  no_such_kpi: 5\n")
    with pytest.raises(SettingsError, match="'no_such_kpi' is not a KPI id") as exc:
        open_run(2022, settings_path=f, raw_dir=tmp_path / "raw")
    assert str(f) in str(exc.value)
    bad = load_settings(f)  # parsed and type-checked: the loader knows no KPI ids
    with pytest.raises(SettingsError, match="'no_such_kpi' is not a KPI id"):
        compute_kpis(Dataset(tables={}), 2022, bad)


def test_not_supplied_names_core_returns_only_once_each():
    """Issue #25: a council that does not supply a core return says so; anything else is a
    settings error naming the value."""
    assert settings_from_dict({"not_supplied": ["cin_census"]}).not_supplied == ("cin_census",)
    assert settings_from_dict({}).not_supplied == ()
    with pytest.raises(SettingsError, match="'pep' is none of"):
        check_settings(settings_from_dict({"not_supplied": ["pep"]}))
    with pytest.raises(SettingsError, match="listed twice"):
        settings_from_dict({"not_supplied": ["reviews", "reviews"]})
    with pytest.raises(SettingsError, match="'not_supplied' must be list"):
        settings_from_dict({"not_supplied": "reviews"})


# --------------------------------------------------------------------------------------
# Settings that cannot say two things (issue #29)
# --------------------------------------------------------------------------------------


def test_a_key_given_twice_is_an_error_naming_the_key_and_both_lines(tmp_path):
    """The drill: disclosure control set to 5, then further down to 0; PyYAML kept the
    last without a word."""
    f = tmp_path / "settings.yaml"
    f.write_text("suppression_threshold: 5\ncouncil_name: X\n\nsuppression_threshold: 0\n")
    with pytest.raises(SettingsError) as exc:
        load_settings(f)
    msg = str(exc.value)
    assert msg.startswith(
        f"{f}: the key 'suppression_threshold' is given twice, on line 1 and line 4"
    )
    f.write_text("committee:\n  meeting: A\n  author: B\n  meeting: C\n")
    with pytest.raises(
        SettingsError, match=r"'committee\.meeting' is given twice, on line 2 and line 4"
    ):
        load_settings(f)
    f.write_text("paths:\n  raw: a\nreports: b\npaths:\n  raw: c\n")  # a whole mapping twice
    with pytest.raises(SettingsError, match="'paths' is given twice, on line 1 and line 4"):
        load_settings(f)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "council_name: &name X\nreport_title: *name\n",
            "line 1: an anchor (&name) is not allowed",
        ),
        ("a: &a [1]\n", "an anchor (&a) is not allowed"),
        ("demo: {<<: *d}\n", "line 1: an alias (*d) is not allowed"),
    ],
)
def test_anchors_and_aliases_are_refused(tmp_path, text, fragment):
    f = tmp_path / "settings.yaml"
    f.write_text(text)
    with pytest.raises(SettingsError) as exc:
        load_settings(f)
    assert fragment in str(exc.value) and str(f) in str(exc.value)


def test_an_alias_bomb_is_refused_before_anything_is_built(tmp_path):
    """Nine levels of nine aliases: 387 million strings if expanded (the drill: 120 s and
    1.7 GB, then killed, printing the expanded value). Refused from the events, in one line."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("council_name: *a9")
    f = tmp_path / "settings.yaml"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(SettingsError) as exc:
        load_settings(f)
    msg = str(exc.value)
    assert "anchor (&a0) is not allowed" in msg and len(msg) < 300 and "\n" not in msg


def test_a_message_prints_only_an_excerpt_of_a_value(tmp_path):
    f = tmp_path / "settings.yaml"
    f.write_text("council_name: [" + ", ".join(["x" * 1000] * 500) + "]\n")
    with pytest.raises(SettingsError, match="'council_name' must be str") as exc:
        load_settings(f)
    assert len(str(exc.value)) < 400
    f.write_text("".join(f"k{i}: 1\n" for i in range(10_000)))  # 10,000 unknown keys
    with pytest.raises(SettingsError, match="unknown key.* and 9995 more") as exc:
        load_settings(f)
    assert len(str(exc.value)) < 1000


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            "council_name: Caf\xe9 Council\n".encode("cp1252"),
            "not UTF-8 text (byte 17 is 0xe9): save it as UTF-8",
        ),
        (b"council_name: X\x00\n", "not valid YAML"),
        (b"council_name: " + b"x" * 1_000_001 + b"\n", "too large for this file"),
    ],
)
def test_a_settings_file_in_another_encoding_with_a_nul_or_huge_is_one_line(
    tmp_path, content, fragment
):
    f = tmp_path / "settings.yaml"
    f.write_bytes(content)
    with pytest.raises(SettingsError) as exc:
        load_settings(f)
    assert fragment in str(exc.value) and str(f) in str(exc.value) and "\n" not in str(exc.value)
