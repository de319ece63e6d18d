"""General evidence rules: framing verbs ("counts as") are not subject words and ask for a
definition, a list question prefers a list whose lead-in includes or excludes as it does, a
modifier's number counts only as that modifier, and a further sentence naming codes the
question does not is a worked example, not an answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from medref.answer import Answer, ask
from medref.answer.evidence import (
    MAX_RUN_ON,
    Profile,
    TermWeights,
    Window,
    list_lead_in,
    profile,
)
from medref.answer.extractive import choose
from medref.answer.text import question_terms, terms
from medref.answer.types import Evidence
from medref.kb import KnowledgeBase
from medref.records import Record
from medref.retrieval.question import read
from medref.retrieval.search import Searcher
from medref.retrieval.sentences import sentence_spans
from medref.settings import Settings

AskFn = Callable[[str], Answer]

INCLUDED = (
    "A. Components. The approved amount includes payment for the following services. "
    "• Preoperative visits - the day before surgery; • Supplies - except for exclusions; "
    "• Postoperative visits - follow-up visits."
)
EXCLUDED = (
    "B. Services not included. The amount does not include the services listed below. "
    "• The initial evaluation by the surgeon; • Visits unrelated to the diagnosis."
)


def evidence(ref: str, quote: str, offset: int, score: float) -> Evidence:
    return Evidence(ref, "iom", "r1", ref, quote, offset, score, 1.0, 0)


@pytest.mark.parametrize(
    "question", ["Who counts as a physician?", "Who qualifies as a physician?"]
)
def test_framing_verbs_are_not_subject_terms(question: str) -> None:
    found = question_terms(question)
    assert "physician" in found
    assert not {"count", "qualifi", "qualify"} & set(found)


def test_list_lead_in_reads_back_to_the_first_item() -> None:
    text = INCLUDED + " " + EXCLUDED
    last_item = text.index("• Visits unrelated")
    assert "does not include" in list_lead_in(text, last_item)
    assert "not include" not in list_lead_in(text, text.index("• Postoperative"))


@pytest.mark.parametrize("excluding", [False, True])
def test_a_list_answers_only_when_its_lead_in_agrees(excluding: bool) -> None:
    asked = Profile({}, {}, ("list",), frozenset(), excluding=excluding, listing=True)
    text = INCLUDED + " " + EXCLUDED
    assert asked.list_agrees(text, text.index("• Preoperative")) is not excluding
    assert asked.list_agrees(text, text.index("• The initial")) is excluding


def test_choose_skips_a_further_sentence_naming_other_codes() -> None:
    best = evidence("IOM:a", "Pay 150 percent of the fee schedule amount.", 0, 1.0)
    example = evidence("IOM:a", "For example, 45378 is paid $255.40 and 45380 $285.98.", 100, 0.99)
    plain = evidence("IOM:b", "Pay the lower of the billed amount or 150 percent.", 200, 0.98)
    assert choose([best, example, plain]) == [best, plain]
    assert choose([best, example, plain], named=["45378", "45380"]) == [best, example, plain]


LONG_SENTENCE = (
    "The term physician means a doctor of medicine legally authorized to practice medicine "
    "by the State in which he performs such function, a doctor of dental surgery with respect "
    "to services he is legally authorized to perform, a doctor of podiatric medicine with "
    "respect to functions he is legally authorized to perform, a doctor of optometry with "
    "respect to the provision of items or services he is legally authorized to perform, or a "
    "chiropractor who is licensed as such by the State and who meets uniform minimum "
    "standards promulgated by the Secretary, but only with respect to treatment by means of "
    "manual manipulation of the spine. Another sentence follows here."
)


def window_on(text: str, first: int, last: int) -> Window:
    """The window over sentence spans `first`..`last` of `text`."""
    record = Record("USC:test", "statute", "r1", "section", "Definitions", text)
    spans = sentence_spans(text)
    start, end = spans[first].start, spans[last].end
    return Window(
        record, start, end, frozenset(), frozenset(), frozenset(), (), tuple(spans[last + 1 :])
    )


def test_a_sentence_cut_at_a_clause_runs_on_to_what_qualifies_it() -> None:
    spans = sentence_spans(LONG_SENTENCE)
    assert len(spans) == 3  # two clause runs of the long sentence, then the next sentence
    cut = window_on(LONG_SENTENCE, 0, 0)
    assert cut.quote.endswith(",")
    ran_on = LONG_SENTENCE[cut.start : cut.run_on()]
    assert ran_on.endswith("manual manipulation of the spine.")
    assert "Another sentence" not in ran_on
    whole = window_on(LONG_SENTENCE, 2, 2)
    assert whole.run_on() == whole.end  # a sentence that ends is not run on


def test_a_run_on_quote_stays_under_its_limit() -> None:
    clauses = ", ".join(
        f"clause number {n} of a statute sentence that runs to pages" for n in range(40)
    )
    window = window_on(clauses + ".", 0, 0)
    assert window.run_on() - window.start <= MAX_RUN_ON
    assert window.run_on() > window.end


@pytest.fixture(scope="module")
def searcher(kb: KnowledgeBase) -> Searcher:
    return Searcher(kb)


@pytest.fixture(scope="module")
def weights(searcher: Searcher) -> TermWeights:
    return TermWeights(searcher)


@pytest.fixture(scope="module")
def answer_of(kb: KnowledgeBase, searcher: Searcher, kb_settings: Settings) -> AskFn:
    settings = kb_settings.model_copy(update={"llm_base_url": None})
    return lambda question: ask(kb, searcher, question, settings)


@pytest.mark.kb
class TestOnTheKnowledgeBase:
    def test_who_counts_as_asks_for_a_definition(self, weights: TermWeights) -> None:
        assert profile(read("Who qualifies as a physician?"), weights).kinds == ("definition",)

    def test_a_modifier_number_counts_only_as_the_modifier(self, weights: TermWeights) -> None:
        asked = profile(read("What is paid for a procedure billed with modifier 50?"), weights)
        assert asked.forms["50"] == frozenset({"mod50"})
        assert asked.coverage(frozenset(terms("billed with the -50 modifier"))) > asked.coverage(
            frozenset(terms("billed at 50 percent"))
        )

    def test_a_definition_question_quotes_the_defining_subsection(self, answer_of: AskFn) -> None:
        found = answer_of("Who qualifies as a physician under the statute?")
        assert found.citations[0].ref == "USC:42/1395x(r)"
        assert "doctor of medicine" in found.text

    def test_a_definition_quotes_the_clause_that_limits_it(self, answer_of: AskFn) -> None:
        found = answer_of("Is a chiropractor a physician under the statute, and for what?")
        assert found.citations[0].ref == "USC:42/1395x(r)"
        assert "manual manipulation of the spine" in found.text

    def test_an_inclusion_question_quotes_the_list_of_components(self, answer_of: AskFn) -> None:
        found = answer_of("What does the global surgical package include?")
        assert "Preoperative" in found.text
        assert "Services Not Included" not in found.text
