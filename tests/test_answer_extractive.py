"""Extractive answers on the knowledge base built from ../shared/cms: every citation quotes
its record exactly, code questions are answered from the structured record, and questions
the sources cannot answer get the fixed refusal with no code in it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from medref.answer import REFUSAL, Answer, ask, stream
from medref.answer.text import code_tokens
from medref.kb import KnowledgeBase
from medref.retrieval.search import Searcher
from medref.retrieval.sentences import sentence_spans
from medref.settings import Settings

pytestmark = pytest.mark.kb

AskFn = Callable[[str], Answer]
DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev.jsonl"


@pytest.fixture(scope="module")
def searcher(kb: KnowledgeBase) -> Searcher:
    return Searcher(kb)


@pytest.fixture(scope="module")
def settings(kb_settings: Settings) -> Settings:
    return kb_settings.model_copy(update={"llm_base_url": None})


@pytest.fixture(scope="module")
def answer_of(kb: KnowledgeBase, searcher: Searcher, settings: Settings) -> AskFn:
    def run(question: str) -> Answer:
        return ask(kb, searcher, question, settings)

    return run


def assert_quotes_exact(kb: KnowledgeBase, answer: Answer) -> None:
    for citation in answer.citations:
        texts = [
            r.text
            for r in kb.records(citation.ref)
            if r.source == citation.source and r.release == citation.release
        ]
        assert texts, f"{citation.ref} ({citation.source} {citation.release}) is not loaded"
        assert any(citation.quote in text for text in texts), citation


def assert_codes_loaded(kb: KnowledgeBase, text: str) -> None:
    for code in code_tokens(text):
        assert kb.by_code(code) or kb.ptp_as_column1(code) or kb.ptp_as_column2(code), code


def test_sentence_spans_index_the_text_exactly(kb: KnowledgeBase) -> None:
    for ref in ("IOM:100-04/12/40.8", "NCD:240.4", "USC:42/1395n(a)"):
        record = kb.get(ref)
        assert record is not None
        spans = sentence_spans(record.text)
        assert len(spans) > 3
        assert all(
            record.text[s.start : s.end].strip() == record.text[s.start : s.end] for s in spans
        )
        assert not any(record.text[s.start : s.end].startswith("(Rev.") for s in spans)


@pytest.mark.parametrize(
    ("question", "ref", "fact"),
    [
        ("What is HCPCS code G0439?", "HCPCS:G0439", "annual wellness visit"),
        ("What is the practitioner MUE for J1100?", "MUE:J1100", "120"),
        ("What is ICD-10-CM code I10?", "ICD10CM:I10", "hypertension"),
        ("What does modifier GA mean?", "MOD:GA", "waiver of liability"),
        ("What is place of service code 11?", "POS:11", "office"),
        ("Which HCPCS code is used for a CPAP device?", "HCPCS:E0601", "E0601"),
    ],
)
def test_code_questions_answer_from_the_record(
    answer_of: AskFn, kb: KnowledgeBase, question: str, ref: str, fact: str
) -> None:
    answer = answer_of(question)
    assert answer.answerable and answer.mode == "code"
    assert answer.citations[0].ref == ref
    assert fact in answer.text.lower() or fact in answer.text
    assert re.search(r"\[1\]", answer.text)
    assert "(release " in answer.text
    assert_quotes_exact(kb, answer)
    assert_codes_loaded(kb, answer.text)


@pytest.mark.parametrize(
    ("question", "ref", "passed_over"),
    [
        # the walker itself, not the brake attachment "for wheeled walker"
        ("HCPCS for a walker with wheels", "HCPCS:E0143", "HCPCS:E0159"),
        # the seat lift, not the wheelchair accessory that holds one
        ("code for a seat lift mechanism", "HCPCS:E0627", "HCPCS:E0985"),
        # the concentrator as named, not the portable one
        ("HCPCS for an oxygen concentrator", "HCPCS:E1390", "HCPCS:E1392"),
    ],
)
def test_a_code_searched_by_its_item_is_the_code_whose_descriptor_names_it_first(
    answer_of: AskFn, question: str, ref: str, passed_over: str
) -> None:
    answer = answer_of(question)
    assert answer.answerable and answer.mode == "code"
    assert answer.citations[0].ref == ref
    assert passed_over not in {citation.ref for citation in answer.citations}


def test_mue_answer_carries_units_and_adjudication_indicator(answer_of: AskFn) -> None:
    answer = answer_of("What is the practitioner MUE for J1100?")
    assert "120 units" in answer.text
    assert "adjudication indicator" in answer.text
    assert answer.citations[0].source == "ncci-mue-practitioner"


def test_ptp_answer_names_the_modifier_indicator(answer_of: AskFn, kb: KnowledgeBase) -> None:
    answer = answer_of(
        "Is there an NCCI edit between 93000 and 93010, and can a modifier bypass it?"
    )
    assert answer.answerable
    assert "PTP:93000/93010" in [c.ref for c in answer.citations]
    assert "Modifier indicator" in answer.text
    assert_quotes_exact(kb, answer)


def test_add_on_answer_cites_the_edit_and_the_add_on_code(answer_of: AskFn) -> None:
    answer = answer_of(
        "Which add-on code is reported with 99215 for prolonged office visits under Medicare?"
    )
    refs = [c.ref for c in answer.citations]
    assert refs[0] == "AOC:99215/G2212" and "HCPCS:G2212" in refs


def test_cpt_records_never_show_a_descriptor(answer_of: AskFn, kb: KnowledgeBase) -> None:
    answer = answer_of(
        "What is the global surgery period for CPT 99213 in the physician fee schedule?"
    )
    assert answer.answerable and "XXX" in answer.text
    assert answer.citations[0].ref == "PFS:99213"
    record = kb.get("PFS:99213")
    assert record is not None and not record.data["description"]
    assert answer.notice is not None and "AMA" in answer.notice


@pytest.mark.parametrize(
    ("question", "gold", "fact"),
    [
        (
            "How much does Medicare pay each co-surgeon billing with modifier 62?",
            "IOM:100-04/12/40.8",
            "62.5 percent",
        ),
        ("How long must a provider retain a signed ABN?", "IOM:100-04/30/50.7", "5 years"),
        (
            "How often does Medicare cover tobacco cessation counseling?",
            "NCD:210.4.1",
            "8 sessions",
        ),
    ],
)
def test_prose_answers_quote_the_sources_exactly(
    answer_of: AskFn, kb: KnowledgeBase, question: str, gold: str, fact: str
) -> None:
    answer = answer_of(question)
    assert answer.answerable and answer.mode == "extractive"
    assert fact in answer.text
    assert gold in [c.ref for c in answer.citations]
    assert_quotes_exact(kb, answer)
    for sentence in answer.sentences:
        assert sentence.markers, sentence
        assert all(1 <= n <= len(answer.citations) for n in sentence.markers)


def test_a_date_typed_in_shorthand_finds_the_rule_for_that_date(answer_of: AskFn) -> None:
    """A typed "2/29" is read as February 29, the day the timely-filing rule names, and the year of
    a date of service is not a year the answer must mention."""
    for question in ("pt seen 2/29 - last day to file?", "DOS 2/29/2024 timely filing deadline"):
        answer = answer_of(question)
        assert answer.answerable, (question, answer.notice)
        assert "February 28 of the following year" in answer.text
        assert "IOM:100-04/1/70.1" in [c.ref for c in answer.citations]


def test_every_dev_answer_quotes_exactly_and_shows_only_loaded_codes(
    answer_of: AskFn, kb: KnowledgeBase
) -> None:
    for line in DEV.read_text().splitlines():
        answer = answer_of(json.loads(line)["question"])
        assert_quotes_exact(kb, answer)
        assert_codes_loaded(kb, answer.text)
        for citation in answer.citations:
            assert_codes_loaded(kb, citation.quote)


@pytest.mark.parametrize(
    "question",
    [
        "Which restaurant near the CMS headquarters has the best crab cakes?",
        "What will the Part B premium be in 2031?",
        "What is the weather forecast for Baltimore tomorrow?",
        "Who won the World Series in 1995?",
        "How many calories are in an apple?",
        "What is HCPCS code E9999?",
        "What does modifier XY mean?",
        "What is the phone number of my local MAC?",
        "Who is the current CMS administrator?",
    ],
)
def test_questions_the_sources_cannot_answer_are_refused(
    answer_of: AskFn, kb: KnowledgeBase, searcher: Searcher, question: str
) -> None:
    for code in re.findall(r"\b(?:E9999|XY)\b", question):
        assert kb.by_code(code) == [], f"{code} was meant to be absent from the tables"
    body = answer_of(question).to_dict()
    assert body["answer"] == REFUSAL
    assert body["answerable"] is False
    assert body["citations"] == []
    assert code_tokens(body["answer"]) == []
    if searcher.search(question):
        assert body["closest"], "a refusal lists the closest sources"
        assert all(set(item) == {"ref", "title", "source", "release"} for item in body["closest"])


def test_answer_dict_shape(answer_of: AskFn) -> None:
    body = answer_of("What is HCPCS code G0439?").to_dict()
    assert set(body) >= {"answer", "answerable", "citations"}
    assert set(body["citations"][0]) == {"ref", "quote", "source", "release"}


def test_stream_without_a_model_replays_the_answer(
    kb: KnowledgeBase, searcher: Searcher, settings: Settings
) -> None:
    parts = list(stream(kb, searcher, "How long must a provider retain a signed ABN?", settings))
    assert parts[-1].kind == "done" and parts[-1].answer is not None
    text = "".join(p.text for p in parts if p.kind == "text").strip()
    assert text == parts[-1].answer.text
