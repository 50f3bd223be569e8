"""Scoring: deductions per severity and category, sub-scores, and the pass/fail verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.score.scoring import (
    DEFAULT_CONFIG_PATH,
    config_from_dict,
    load_config,
    score_card,
    score_flags,
)

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "scorecard.md"
SPEC_CATEGORIES = (
    "abuse threat false_legal third_party_disclosure pii_leak new_loan impatience "
    "missing_greeting missing_self_identification missing_identity_verification "
    "disclosure_before_verification missing_closing speech_rate_fast shouting long_silence "
    "interruption"
).split()

CONFIG = config_from_dict(
    {
        "pass_mark": 60,
        "max_per_rule": 2,
        "severity": {"critical": 40, "major": 15, "minor": 5, "info": 0},
        "category": {"pii_leak": 30, "missing_greeting": 4},
        "groups": {
            "default_group": "compliance",
            "compliance": ["abuse", "pii_leak"],
            "script": ["missing_greeting"],
            "delivery": ["speech_rate_fast"],
        },
    }
)


def flag(category: str, severity: str = "major", rule: str | None = None) -> dict:
    """A minimal flag."""
    return {"category": category, "severity": severity, "rule": rule or f"{category}.x"}


def test_a_critical_flag_fails_the_call_even_with_a_high_score() -> None:
    cheap = config_from_dict(
        {"severity": {"critical": 1, "major": 1, "minor": 1, "info": 0}, "pass_mark": 10}
    )
    result = score_flags([flag("abuse", "critical")], cheap)
    assert result.score == 99
    assert result.passed is False


def test_info_flags_deduct_nothing_even_with_a_category_override() -> None:
    config = config_from_dict(
        {
            "severity": {"critical": 40, "major": 15, "minor": 5, "info": 7},
            "category": {"call_hours": 50},
        }
    )
    result = score_flags([flag("call_hours", "info"), flag("call_frequency", "info")], config)
    assert (result.score, result.passed, result.deductions) == (100, True, [])
    assert result.subscores == {"compliance": 100, "script": 100, "delivery": 100}


def test_category_override_beats_severity_and_feeds_its_group() -> None:
    result = score_flags([flag("pii_leak", "major"), flag("missing_greeting", "minor")], CONFIG)
    assert result.score == 100 - 30 - 4
    assert result.subscores == {"compliance": 70, "script": 96, "delivery": 100}
    assert result.passed is True


def test_repeated_rule_deducts_at_most_max_per_rule_times() -> None:
    flags = [flag("speech_rate_fast", "minor", rule="delivery.fast")] * 6
    result = score_flags(flags, CONFIG)
    assert result.score == 90  # 2 x 5, not 6 x 5
    assert result.subscores["delivery"] == 90


def test_score_floors_at_zero_and_low_score_fails_without_critical() -> None:
    flags = [flag("abuse", "major", rule=f"abuse.r{i}") for i in range(10)]
    result = score_flags(flags, CONFIG)
    assert result.score == 0 and result.subscores["compliance"] == 0
    assert result.passed is False
    majors = [flag("abuse", "major", rule=f"r{i}") for i in range(3)]
    assert score_flags(majors[:2], CONFIG).passed  # 70 >= pass mark 60
    assert not score_flags(majors, CONFIG).passed  # 55 < 60, no critical needed


def test_unknown_category_counts_against_the_default_group() -> None:
    assert score_flags([flag("brand_new")], CONFIG).subscores["compliance"] == 85


def test_score_card_sets_fields_and_failed_calls_get_no_score() -> None:
    given = {"status": "ok", "flags": [flag("abuse", "critical")]}
    card = score_card(given, CONFIG)
    assert (card["score"], card["passed"]) == (60, False)
    assert card["subscores"]["compliance"] == 60
    assert "score" not in given  # the card given is left as it was
    failed = score_card({"status": "failed", "flags": []}, CONFIG)
    assert (failed["score"], failed["passed"], failed["subscores"]) == (None, False, None)


def test_packaged_config_groups_every_spec_category() -> None:
    config = load_config()
    assert config.deduction(flag("threat", "critical")) == config.severity["critical"] > 0
    for category in SPEC_CATEGORIES:
        assert category in config.groups, category
    if SPEC.exists():  # the spec is the source of truth for the category list
        for category in SPEC_CATEGORIES:
            assert f"`{category}`" in SPEC.read_text(encoding="utf-8")
    assert DEFAULT_CONFIG_PATH.name == "scoring.toml"


def test_invalid_configs_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lacks minor"):
        config_from_dict({"severity": {"critical": 1, "major": 1, "info": 0}})
    with pytest.raises(ValueError, match="unknown group 'tone'"):
        config_from_dict(
            {"severity": {"critical": 1, "major": 1, "minor": 1, "info": 0}, "groups": {"tone": []}}
        )
    bad = tmp_path / "bad.toml"
    bad.write_text("pass_mark = [", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.toml"):
        load_config(bad)
