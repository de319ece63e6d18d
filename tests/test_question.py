"""Reading a question once: shorthand, focus, parts and the kind of answer each wants."""

from __future__ import annotations

import pytest

from medref.retrieval.question import kind_of, read, spell_out


def test_coder_shorthand_is_spelled_out_and_case_matters() -> None:
    assert spell_out("pt seen 2/29, dx pending, DOS in March") == (
        "patient seen February 29, diagnosis pending, date of service in March"
    )
    assert spell_out("PT visit") == "PT visit", "PT (physical therapy) is not pt (patient)"
    assert spell_out("s/p knee w/ pain") == "status post knee with pain"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("DOS 2/29/24", "date of service February 29, 2024"),
        ("seen 02/29/2024 and 2024-03-01", "seen February 29, 2024 and March 1, 2024"),
        ("last day to file for 12/31?", "last day to file for December 31?"),
        ("claims from 1/2025", "claims from January 2025"),
        ("seen Feb 29 and Sept. 3", "seen February 29 and September 3"),
    ],
)
def test_typed_dates_are_written_as_the_manuals_write_them(typed: str, written: str) -> None:
    assert spell_out(typed) == written


@pytest.mark.parametrize(
    "typed",
    ["paid at 1/2 the fee", "99213/20610", "2/30/24", "13/45", "13/2024", "§30.6.1/2"],
)
def test_what_is_no_calendar_date_stays_as_typed(typed: str) -> None:
    """A month/day pair that could be a fraction, a code pair or no real day is left alone."""
    assert spell_out(typed) == typed


def test_a_scenario_is_reduced_to_the_sentences_that_ask() -> None:
    question = read(
        "Beneficiary died on the 10th and the rented bed was picked up on the 12th. "
        "The supplier billed the whole month. Can they?"
    )
    assert question.is_scenario
    assert question.focus == "Can they?"
    assert "rented bed" in question.context
    assert [part.asked for part in question.parts] == ["yes_no"]


def test_a_plain_question_is_all_focus() -> None:
    question = read("How long must a provider keep a signed ABN?")
    assert not question.is_scenario
    assert question.focus == question.text
    assert question.asked == "time"


def test_several_questions_in_one_sentence_are_separate_parts() -> None:
    question = read(
        "If the MAC gave us wrong information, how much extra time do we get to file, "
        "and is there an outer limit?"
    )
    assert [part.asked for part in question.parts] == ["time", "yes_no"]


def test_keywords_that_ask_nothing_are_asked_as_they_are() -> None:
    question = read("timely filing deadline DOS 2/29 leap year")
    assert [part.text for part in question.parts] == [question.text]
    assert question.asked == "time"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Which HCPCS code is a semi-electric hospital bed?", "code"),
        ("semi-electric hospital bed HCPCS", "code"),
        ("What does modifier 57 indicate?", "definition"),
        ("What payment applies to a bilateral procedure?", "amount"),
        ("How many acupuncture visits are covered?", "count"),
        ("What services are included in the global package?", "list"),
        ("Can we bill the patient?", "yes_no"),
        ("what do we do", "procedure"),
        ("When does a provider have to give an ABN?", "condition"),
        ("What is the phone number of our MAC?", "contact"),
        ("Who is the current CMS administrator?", "office_holder"),
        ("Who bills the discharge when the patient dies?", "who"),
    ],
)
def test_the_kind_of_answer_follows_the_question_form(text: str, kind: str) -> None:
    assert kind_of(text) == kind


def test_a_part_that_only_points_takes_its_kind_from_the_question() -> None:
    context = "The ESRD facility says we need a modifier to show it is unrelated."
    assert kind_of("Which one", context) == "code"
    assert kind_of("Which one", "The patient asked about two options.") == "open"


def test_code_systems_medref_does_not_load_are_named() -> None:
    assert read("What ICD-11 code is the equivalent of E11.9?").unloaded == ("ICD-11",)
    assert read("MS-DRG 470 relative weight").unloaded == ("MS-DRG",)
    assert read("Is modifier 25 needed on the E/M?").unloaded == ()


def test_only_questions_for_a_diagnosis_code_reach_the_diagnosis_vectors() -> None:
    from medref.retrieval.search import wants_diagnosis

    assert wants_diagnosis(read("what is the code for high blood pressure"))
    assert wants_diagnosis(read("ICD-10 for type 2 diabetes with neuropathy"))
    assert not wants_diagnosis(read("what code goes with modifier 25 for a minor procedure"))
    assert not wants_diagnosis(read("which code for POS 11 office visits"))
    assert not wants_diagnosis(read("what HCPCS code for a semi-electric hospital bed"))
