"""What answering reads besides the question, made once per searcher and shared by
threads: the code table, term weights, the build's vocabulary and sentence splits."""

from __future__ import annotations

import threading
import weakref

from medref.answer.abstain import BuildKind
from medref.answer.codes import CodeTable
from medref.answer.evidence import SentenceCache, TermWeights
from medref.errors import KnowledgeBaseError
from medref.kb import KnowledgeBase
from medref.retrieval.search import Searcher
from medref.retrieval.vocabulary import Vocabulary


class AnswerContext:
    """Held weakly by the searcher it serves and holding it weakly in turn, so that a build
    no request uses any more is freed (and its files can be deleted)."""

    def __init__(self, kb: KnowledgeBase, searcher: Searcher) -> None:
        self._kb = weakref.ref(kb)
        self._searcher = weakref.ref(searcher)
        self.codes = CodeTable(kb)
        self.weights = TermWeights(searcher)
        self.sentences = SentenceCache(searcher.vocabulary, searcher.sentence_vectors)
        self.vocabulary: Vocabulary = searcher.vocabulary
        self.build_kind: BuildKind = "dense" if searcher.dense is not None else "lexical"
        """Which abstention model fits this build (with or without MiniLM vectors)."""

    @property
    def kb(self) -> KnowledgeBase:
        found = self._kb()
        if found is None:
            raise KnowledgeBaseError("the knowledge base of this answer was closed")
        return found

    @property
    def searcher(self) -> Searcher:
        found = self._searcher()
        if found is None:
            raise KnowledgeBaseError("the searcher of this answer was closed")
        return found


_contexts: weakref.WeakKeyDictionary[Searcher, AnswerContext] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def context_for(kb: KnowledgeBase, searcher: Searcher) -> AnswerContext:
    """The searcher's context, made on first use, kept as long as the searcher is."""
    with _lock:
        found = _contexts.get(searcher)
        if found is None or found._kb() is not kb:
            found = _contexts[searcher] = AnswerContext(kb, searcher)
        return found
