"""Settings load from config/settings.yaml and bad keys or values are rejected clearly."""

from __future__ import annotations

import pytest

from iro_analysis.core import paths
from iro_analysis.settings import (
    Settings,
    SettingsError,
    load_settings,
    parse_year_range,
    settings_from_dict,
)


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
        settings_from_dict(data)


def test_not_supplied_names_core_returns_only_once_each():
    """Issue #25: a council that does not supply a core return says so; anything else is a
    settings error naming the value."""
    from iro_analysis.settings import SettingsError, settings_from_dict

    assert settings_from_dict({"not_supplied": ["cin_census"]}).not_supplied == ("cin_census",)
    assert settings_from_dict({}).not_supplied == ()
    with pytest.raises(SettingsError, match="'pep' is none of"):
        settings_from_dict({"not_supplied": ["pep"]})
    with pytest.raises(SettingsError, match="listed twice"):
        settings_from_dict({"not_supplied": ["reviews", "reviews"]})
    with pytest.raises(SettingsError, match="'not_supplied' must be list"):
        settings_from_dict({"not_supplied": "reviews"})
