"""A question that asks for a named kind of document by topic ("NCD for X", "is there an LCD
on X", "which manual section covers X") is answered only from a record of that kind about
the topic, and refused when the loaded sources hold none."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from medref.answer import Answer, ask
from medref.answer.topic import DocumentRequest, document_request
from medref.answer.types import REFUSAL
from medref.kb import KnowledgeBase
from medref.refs import matches
from medref.retrieval.search import Searcher
from medref.retrieval.vocabulary import Vocabulary
from medref.settings import Settings

AskFn = Callable[[str], Answer]
CPAP_TITLE = "NCD 240.4 Continuous Positive Airway Pressure (CPAP) Therapy For Obstructive Sleep"
CPAP_TEXT = "Hypopnea is an abnormal respiratory event with at least a 4% oxygen desaturation."


def flat(_term: str) -> float:
    return 1.0


def request_for(question: str) -> DocumentRequest:
    found = document_request(question)
    assert found is not None, question
    return found


@pytest.mark.parametrize(
    ("question", "kind", "sources"),
    [
        ("NCD for home oxygen therapy", "NCD", {"ncd"}),
        ("Is there an LCD on home oxygen?", "LCD", {"lcd"}),
        ("Which manual section covers home oxygen?", "manual section", {"iom"}),
        ("national coverage determination for home oxygen therapy", "NCD", {"ncd"}),
        ("Which statute section governs home oxygen?", "statute section", {"statute"}),
    ],
)
def test_the_asked_kind_and_distinctive_topic_words(
    question: str, kind: str, sources: set[str]
) -> None:
    found = request_for(question)
    assert (found.kind, set(found.sources)) == (kind, sources)
    assert found.terms == ("oxygen",)  # home, therapy: every coverage document has them


@pytest.mark.parametrize(
    "question",
    [
        "What are Medicare's coverage criteria for CPAP therapy for obstructive sleep apnea?",
        "What does NCD 240.4 say about CPAP?",
        "What does the Social Security Act exclude for routine foot care?",
        "NCD for home therapy services",
    ],
)
def test_no_request_without_a_kind_or_a_distinctive_topic(question: str) -> None:
    assert document_request(question) is None


def test_the_subject_is_read_before_its_setting() -> None:
    found = request_for("NCD for computer enhanced perimetry in glaucoma")
    assert found.topic == "computer enhanced perimetry"
    assert "glaucoma" not in found.terms


def test_a_record_sharing_only_generic_words_is_not_about_the_topic() -> None:
    oxygen = request_for("NCD for home oxygen therapy")
    assert not oxygen.is_about(CPAP_TITLE, CPAP_TEXT, flat, Vocabulary())


def test_the_title_or_the_topic_as_a_phrase_makes_a_record_about_it() -> None:
    assert request_for("NCD on CPAP for sleep apnea").is_about(
        CPAP_TITLE, CPAP_TEXT, flat, Vocabulary()
    )
    mentioned = request_for("NCD for oxygen desaturation")
    assert mentioned.is_about(CPAP_TITLE, CPAP_TEXT, flat, Vocabulary())


@pytest.fixture(scope="module")
def answer_of(kb: KnowledgeBase, kb_settings: Settings) -> AskFn:
    searcher = Searcher(kb)
    settings = kb_settings.model_copy(update={"llm_base_url": None})
    return lambda question: ask(kb, searcher, question, settings)


@pytest.mark.kb
class TestOnTheKnowledgeBase:
    def test_an_ncd_the_sources_do_not_hold_is_refused(self, answer_of: AskFn) -> None:
        found = answer_of("Is there a national coverage determination on home oxygen therapy?")
        assert found.text == REFUSAL
        assert found.closest
        assert not found.citations

    def test_an_lcd_is_refused_when_no_lcd_is_loaded(self, answer_of: AskFn) -> None:
        assert answer_of("Is there an LCD on CPAP for sleep apnea?").text == REFUSAL

    @pytest.mark.parametrize(
        ("question", "ref"),
        [
            ("Which NCD covers CPAP for obstructive sleep apnea?", "NCD:240.4"),
            ("Is there an NCD on acupuncture for chronic low back pain?", "NCD:30.3.3"),
            ("national coverage determination for tobacco cessation counseling", "NCD:210.4.1"),
            ("Which manual section covers incident-to services?", "IOM:100-02/15/60"),
        ],
    )
    def test_a_loaded_document_on_the_topic_answers(
        self, answer_of: AskFn, question: str, ref: str
    ) -> None:
        found = answer_of(question)
        assert found.answerable
        assert all(matches(citation.ref, ref) for citation in found.citations)
