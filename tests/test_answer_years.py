"""A question that names a year is answered only from sentences of that year; the year of a
whole date in it (a date of service) dates an event and asks for nothing."""

from __future__ import annotations

from medref.answer.refusal import missing_years
from medref.answer.types import Evidence

QUOTE = Evidence("IOM:x", "iom", "r", "t", "Claims are filed within 12 months.", 0, 1.0, 1.0, 0)


def test_a_year_the_question_asks_about_must_be_in_the_evidence() -> None:
    assert missing_years("the 2024 rule for filing", [QUOTE]) == ["2024"]


def test_the_year_of_a_whole_date_is_not_asked_about() -> None:
    assert missing_years("seen February 29, 2024: last day to file?", [QUOTE]) == []
    assert missing_years("seen February 29, 2024 under the 2023 rule", [QUOTE]) == ["2023"]
