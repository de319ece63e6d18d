"""The default answerer, no model: quote the evidence that answers what is asked, each
sentence followed by its citation marker; for a question about a code, answer from the
code's structured record. Refuses when the evidence does not answer (abstain.py).

    question (read once) + hits (searched once)
      -> windows of the hits' records -> evidence scored per part of the question
      -> code answer or prose answer -> abstain or answer, every quote exact
"""

from __future__ import annotations

from collections.abc import Sequence

from medref.answer import abstain, refusal, topic
from medref.answer.codes import chosen_units, code_records, related_records, wants_code_answer
from medref.answer.context import AnswerContext
from medref.answer.evidence import Pool, Profile, profile, score, windows
from medref.answer.text import code_tokens, question_terms
from medref.answer.types import Answer, Citation, Dropped, Evidence, Sentence
from medref.records import Record
from medref.retrieval.question import Question, asks, read
from medref.retrieval.search import Hit
from medref.retrieval.sentence_vectors import Vector

MAX_SENTENCES = 4
MAX_PER_RECORD = 3
CPT_NOTICE = (
    "CPT descriptors are AMA copyright and are not shipped: the answer shows the "
    "code's CMS data only"
)
SECONDARY_PREFIX = "WIKI:"
OFFICIAL_MIN_COVERAGE = 0.35
"""Least coverage of official text preferred over a vault page that answers better."""
SAME_RECORD_RATIO = 0.75
OTHER_RECORD_RATIO = 0.95
"""A further sentence must score at least this share of the best one."""
PART_RATIO = 0.6
"""The best evidence of a further part of the question must score at least this share of
the first part's to be quoted."""
MIN_PART_TERMS = 1
"""A part with fewer content words of its own ("Can they?") is answered with the whole."""


class Citations:
    """Citation numbers handed out in order of first use; one number per (ref, quote)."""

    def __init__(self) -> None:
        self.items: list[Citation] = []

    def number(self, citation: Citation) -> int:
        for index, existing in enumerate(self.items, start=1):
            if (existing.ref, existing.quote) == (citation.ref, citation.quote):
                return index
        self.items.append(citation)
        return len(self.items)


def answer(
    ctx: AnswerContext,
    question: Question,
    hits: Sequence[Hit],
    model: abstain.Calibration | None = None,
    code_model: abstain.Calibration | None = None,
) -> tuple[Answer, list[Evidence]]:
    """The extractive answer and the evidence it was chosen from (the LLM reuses it).
    `model` and `code_model` replace the packaged abstention models for prose answers and
    code searches (to collect signals when fitting them)."""
    if question.unloaded and any(
        part.asked in ("code", "amount") or (part.asked == "open" and not asks(part.text))
        for part in question.parts
    ):
        reason = f"medref does not load {' or '.join(question.unloaded)} codes or rates"
        return refusal.refuse(question.typed, hits, reason), []
    named = [*dict.fromkeys([*code_tokens(question.text), *question.parse.modifiers])]
    unknown = [code for code in named if not ctx.codes.known(code)]
    if unknown:
        reason = f"{', '.join(unknown)} is not in the loaded tables"
        return refusal.refuse(question.typed, hits, reason), []
    prose = windows(ctx.kb, hits, ctx.sentences)
    meaning = ctx.searcher.query_vector(question.text)
    if wants_code_answer(question, hits):
        matches = code_records(ctx.kb, question, hits, ctx.weights, ctx.vocabulary)
        found = code_answer(ctx, question, named, [m.record for m in matches])
        if found is not None and matches and not matches[0].named:
            verdict = abstain.judge_code(matches[0], code_model, ctx.build_kind)
            found.confidence = verdict.confidence
            found.signals = verdict.signals.as_dict() if verdict.signals else None
            if verdict.refuse:
                refused = refusal.refuse(question.typed, hits, verdict.reason)
                refused.confidence, refused.signals = found.confidence, found.signals
                return refused, []
        if found is not None:
            return other_parts(ctx, question, hits, found, prose, model, meaning), []
    wanted = profile(question, ctx.weights)
    evidence = score(prose, wanted, meaning)
    request = topic.document_request(question.text)
    if request is not None:
        evidence = about_topic(ctx, request, evidence)
        if not evidence:
            reason = f"no loaded {request.kind} is about {request.topic}"
            return refusal.refuse(question.typed, hits, reason), []
    asked_codes = [c for c in named if c.upper() in question.focus.upper()]
    found = prose_answer(ctx, question, asked_codes, hits, prose, wanted, evidence, model, meaning)
    if found.answerable:
        found = other_parts(ctx, question, hits, found, prose, model, meaning)
    return found, evidence


def other_parts(
    ctx: AnswerContext,
    question: Question,
    hits: Sequence[Hit],
    found: Answer,
    prose: Pool,
    model: abstain.Calibration | None,
    meaning: Vector | None,
) -> Answer:
    """The answer to the further parts of a question that asks several things, each in its
    own form: "what is the MUE for 11721, and is it a per-day edit?" is answered from the
    MUE row and then from the manual; "how was the fee set ..., and what HCPCS code do we
    bill?" from the statute and then from the code table. A code part is answered from the
    best code record of the system it names; a prose part after a code answer only when its
    evidence is judged to answer it (prose answers quote their parts themselves)."""
    if len(question.parts) < 2:
        return found
    cited = {citation.ref for citation in found.citations}
    added: list[tuple[Citation, list[str]]] = []
    held = prose.held(abstain.TOP_RECORDS)
    for part in question.parts[1:]:
        if part.asked == "code":
            matches = code_records(ctx.kb, read(part.text), hits, ctx.weights, ctx.vocabulary)
            fresh = [m.record for m in matches if m.record.ref not in cited][:1]
            for record in fresh:
                lines = chosen_units(record, question, ctx.weights, extra=0)
                quote = record.text[lines[0].start : lines[-1].end] if lines else ""
                if quote and not ctx.codes.unknown(quote):
                    shown = [record.text[u.start : u.end] for u in lines]
                    added.append(
                        (
                            Citation(
                                record.ref, quote, record.source, record.release, record.title
                            ),
                            shown,
                        )
                    )
                    cited.add(record.ref)
        elif found.mode == "code" and part.asked != "open":
            wanted = profile(question, ctx.weights, focus=part.text, kinds=[part.asked])
            ranked = official_first(score(prose, wanted, meaning))
            fresh_ranked = [item for item in ranked if item.ref not in cited]
            if not fresh_ranked:
                continue
            verdict = abstain.judge(
                question, wanted, fresh_ranked, hits, held, model, ctx.build_kind
            )
            best = fresh_ranked[0]
            if not verdict.refuse and not ctx.codes.unknown(best.quote):
                citation = Citation(best.ref, best.quote, best.source, best.release, best.title)
                added.append((citation, [best.quote]))
                cited.add(best.ref)
    if not added:
        return found
    citations = list(found.citations)
    sentences = list(found.sentences)
    for citation, shown in added:
        citations.append(citation)
        sentences.extend(Sentence(text, (len(citations),)) for text in shown)
    return Answer(
        found.question,
        sentences,
        citations,
        answerable=True,
        dropped=found.dropped,
        notice=found.notice,
        mode=found.mode,
        confidence=found.confidence,
        signals=found.signals,
    )


def about_topic(
    ctx: AnswerContext, request: topic.DocumentRequest, evidence: Sequence[Evidence]
) -> list[Evidence]:
    """The evidence from records of the asked kind about the asked topic: a document of
    another kind, or on another topic, does not answer "the NCD for X"."""
    verdicts: dict[tuple[str, str, str], bool] = {}
    kept = []
    for item in evidence:
        key = (item.ref, item.source, item.release)
        if key not in verdicts:
            record = ctx.kb.get(item.ref, release=item.release)
            verdicts[key] = (
                item.source in request.sources
                and record is not None
                and request.is_about(record.title, record.text, ctx.weights.weight, ctx.vocabulary)
            )
        if verdicts[key]:
            kept.append(item)
    return kept


def code_answer(
    ctx: AnswerContext, question: Question, named: Sequence[str], records: Sequence[Record]
) -> Answer | None:
    """Lines of the code records, quoted exactly, one citation per run of lines; None when
    they do not hold the codes the question names (the prose answerer then tries)."""
    citations = Citations()
    sentences: list[Sentence] = []
    dropped: list[Dropped] = []
    related = [r for record in records for r in related_records(ctx.kb, record)]
    for record in [*records, *related]:
        chosen = chosen_units(record, question, ctx.weights, extra=0 if record in related else 2)
        runs: list[list[tuple[int, int, str]]] = [[]]
        for index, unit in enumerate(chosen):
            quote = record.text[unit.start : unit.end]
            bad = ctx.codes.unknown(quote)
            if bad:
                dropped.append(
                    Dropped(quote, f"mentions {', '.join(bad)}, not in the loaded tables")
                )
                runs.append([])
                continue
            shown = f"{quote} (release {record.release})" if index == 0 else quote
            runs[-1].append((unit.start, unit.end, shown))
        for run in filter(None, runs):
            quote = record.text[run[0][0] : run[-1][1]]
            marker = citations.number(
                Citation(record.ref, quote, record.source, record.release, record.title)
            )
            sentences.extend(Sentence(shown, (marker,)) for _, _, shown in run)
    text = " ".join(s.text for s in sentences) + " " + " ".join(c.ref for c in citations.items)
    asked = [code for code in named if code.upper() in question.focus.upper()]
    if not sentences or any(code.upper() not in text.upper() for code in asked):
        return None
    licensed = any(record.code and record.code[:1].isdigit() for record in records)
    return Answer(
        question.typed,
        sentences,
        citations.items,
        answerable=True,
        dropped=dropped,
        mode="code",
        notice=CPT_NOTICE if licensed else None,
    )


def choose(
    evidence: Sequence[Evidence], named: Sequence[str] = (), chosen: Sequence[Evidence] = ()
) -> list[Evidence]:
    """The best sentence and the few close to it: from its own record when nearly as good,
    from another record only when almost as good and as complete (every extra citation must
    earn its place). A further sentence naming codes the question does not (a worked
    example: "45378 - $255.40 ...") is about those codes, not the question."""
    fresh = [item for item in evidence if not any(overlaps(item, o) for o in chosen)]
    if not fresh:
        return []
    best = fresh[0]
    picked = [best]
    for item in fresh[1:]:
        if len(picked) + len(chosen) >= MAX_SENTENCES:
            break
        same = item.ref == best.ref
        if item.score < (SAME_RECORD_RATIO if same else OTHER_RECORD_RATIO) * best.score:
            continue
        if not same and item.coverage < best.coverage:
            continue  # another source must cover the question at least as fully
        if any(overlaps(item, o) for o in [*picked, *chosen]):
            continue
        if not set(code_tokens(item.quote)) <= set(named):
            continue
        if sum(o.ref == item.ref for o in [*picked, *chosen]) >= MAX_PER_RECORD:
            continue
        picked.append(item)
    return picked


def overlaps(one: Evidence, other: Evidence) -> bool:
    """Same text twice: overlapping spans of one record, or the same words anywhere."""
    if one.quote in other.quote or other.quote in one.quote:
        return True
    same_record = (one.ref, one.source, one.release) == (other.ref, other.source, other.release)
    return (
        same_record
        and one.offset < other.offset + len(other.quote)
        and (other.offset < one.offset + len(one.quote))
    )


def official_first(evidence: Sequence[Evidence]) -> Sequence[Evidence]:
    """Vault pages are our own summaries: when the best evidence is one, and official text
    also answers reasonably (it may lack the page's words, e.g. "Stark"), quote the
    official text; the vault page has shown the question is in scope."""
    if not evidence or not evidence[0].ref.startswith(SECONDARY_PREFIX):
        return evidence
    official = [item for item in evidence if not item.ref.startswith(SECONDARY_PREFIX)]
    if official and official[0].coverage >= OFFICIAL_MIN_COVERAGE:
        return official
    return evidence


def part_evidence(
    ctx: AnswerContext,
    question: Question,
    prose: Pool,
    first: Sequence[Evidence],
    named: Sequence[str],
    meaning: Vector | None = None,
) -> list[Evidence]:
    """Evidence for the further parts of a question that asks several things ("Can we still
    bill, and how long do we have?"): each part's best sentence, scored with the part's own
    words weighing most, when it is not already quoted and is nearly as good."""
    chosen = list(first)
    for part in question.parts[1:]:
        if len(chosen) >= MAX_SENTENCES + 1:
            break
        if len(question_terms(part.text)) < MIN_PART_TERMS:
            continue
        wanted = profile(question, ctx.weights, focus=part.text, kinds=[part.asked])
        ranked = official_first(score(prose, wanted, meaning))
        picked = choose(ranked, named, chosen)[:1]
        if picked and picked[0].score >= PART_RATIO * first[0].score:
            chosen.extend(picked)
    return chosen[len(first) :]


def prose_answer(
    ctx: AnswerContext,
    question: Question,
    named: Sequence[str],
    hits: Sequence[Hit],
    prose: Pool,
    wanted: Profile,
    evidence: Sequence[Evidence],
    model: abstain.Calibration | None = None,
    meaning: Vector | None = None,
) -> Answer:
    ranked = official_first(evidence)
    held = prose.held(abstain.TOP_RECORDS)
    verdict = abstain.judge(question, wanted, ranked, hits, held, model, ctx.build_kind)
    judged = verdict.signals.as_dict() if verdict.signals else None
    if verdict.refuse:
        refused = refusal.refuse(question.typed, hits, verdict.reason)
        refused.confidence, refused.signals = verdict.confidence, judged
        return refused
    chosen = choose(ranked, named)
    chosen += part_evidence(ctx, question, prose, chosen, named, meaning)
    dropped = []
    kept = []
    for item in chosen:
        bad = ctx.codes.unknown(item.quote)
        if bad:
            dropped.append(
                Dropped(item.quote, f"mentions {', '.join(bad)}, not in the loaded tables")
            )
        else:
            kept.append(item)
    if not kept:
        return refusal.refuse(
            question.typed, hits, "the best sentences name codes that are not in the loaded tables"
        )
    years = refusal.missing_years(question.focus, kept)
    if years:
        return refusal.refuse(question.typed, hits, f"no sentence mentions {', '.join(years)}")
    text = " ".join(item.quote for item in kept).upper()
    if any(code.upper() not in text for code in named):
        return refusal.refuse(
            question.typed, hits, f"the best sentences do not mention {', '.join(named)}"
        )
    citations = Citations()
    sentences = [
        Sentence(
            item.quote,
            (
                citations.number(
                    Citation(item.ref, item.quote, item.source, item.release, item.title)
                ),
            ),
        )
        for item in kept
    ]
    return Answer(
        question.typed,
        sentences,
        citations.items,
        answerable=True,
        dropped=dropped,
        notice=scenario_notice(question),
        confidence=verdict.confidence,
        signals=judged,
    )


def scenario_notice(question: Question) -> str | None:
    """For a scenario, which of its sentences the answer was chosen for."""
    if not question.is_scenario:
        return None
    return f"answered for: {question.focus}"
