"""What answering reads besides the question, made once per searcher and shared by
threads: the code table, term weights, the build's vocabulary and sentence splits."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from medref.answer.abstain import BuildKind
from medref.answer.codes import CodeTable
from medref.answer.evidence import SentenceCache, TermWeights
from medref.kb import KnowledgeBase
from medref.retrieval.search import Searcher
from medref.retrieval.vocabulary import Vocabulary


@dataclass(frozen=True)
class AnswerContext:
    kb: KnowledgeBase
    searcher: Searcher
    codes: CodeTable
    weights: TermWeights
    sentences: SentenceCache

    @property
    def vocabulary(self) -> Vocabulary:
        return self.searcher.vocabulary

    @property
    def build_kind(self) -> BuildKind:
        """Which abstention model fits this build (with or without MiniLM vectors)."""
        return "dense" if self.searcher.dense is not None else "lexical"


_contexts: weakref.WeakKeyDictionary[Searcher, AnswerContext] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def context_for(kb: KnowledgeBase, searcher: Searcher) -> AnswerContext:
    """The searcher's context, made on first use and kept as long as the searcher is."""
    with _lock:
        found = _contexts.get(searcher)
        if found is None or found.kb is not kb:
            found = _contexts[searcher] = AnswerContext(
                kb,
                searcher,
                CodeTable(kb),
                TermWeights(searcher),
                SentenceCache(searcher.vocabulary, searcher.sentence_vectors),
            )
        return found
