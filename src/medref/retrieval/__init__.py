"""Retrieval: a code-aware BM25 index, packaged-model dense vectors, exact routing of
codes and references, and their fusion (`search.Searcher`), built into each knowledge
base by the `retrieval` build step (`index.STEP`)."""
