"""The knowledge base: one folder holding a SQLite database of records and chunks, the
index files built from them, and a manifest naming every source release and setting."""

from medref.kb.store import KnowledgeBase, ReleaseInfo

__all__ = ["KnowledgeBase", "ReleaseInfo"]
