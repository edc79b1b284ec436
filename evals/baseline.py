"""The baseline: what a user would build from the LangChain tutorial, measured beside Scrutineer.

PyPDFLoader → RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) → the same
MiniLM embeddings → Chroma similarity search with k=10, in its own temporary index. The answer
is the top chunk's page_content, cited with page = PyPDFLoader's 0-based page + 1; it never
abstains.
"""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

from ingest.embeddings import MiniLMEmbedder

log = logging.getLogger(__name__)

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
K = 10


class Baseline:
    """The tutorial pipeline over the PDFs of one folder."""

    def __init__(self, corpus_dir: Path, embedder: MiniLMEmbedder, persist_dir: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # langchain_community warns it is being sunset
            from langchain_community.document_loaders import PyPDFLoader
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        documents = []
        for pdf in sorted(corpus_dir.glob("*.pdf")):
            try:
                documents.extend(PyPDFLoader(str(pdf)).load())
            except Exception as exc:  # the tutorial has no error handling; a bad file is skipped here
                log.warning("baseline: %s could not be loaded: %s", pdf.name, exc)
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        chunks = splitter.split_documents(documents)
        client = chromadb.PersistentClient(path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(client=client, collection_name="baseline", embedding_function=embedder)
        if chunks:
            self.store.add_documents(chunks)
        self.chunk_count = len(chunks)

    def ask(self, question: str) -> dict[str, Any]:
        started = time.perf_counter()
        hits = self.store.similarity_search_with_score(question, k=K)
        latency = (time.perf_counter() - started) * 1000
        retrieved = [self._passage(doc, score) for doc, score in hits]
        top = hits[0][0] if hits else None
        return {
            "answer": top.page_content if top else "",
            "abstained": False,
            "citations": [self._passage(top, None)] if top else [],
            "retrieved": retrieved,
            "latency_ms": round(latency, 2),
        }

    @staticmethod
    def _passage(doc: Any, distance: float | None) -> dict[str, Any]:
        source = Path(doc.metadata.get("source", "")).name
        page = int(doc.metadata.get("page", 0)) + 1
        out: dict[str, Any] = {
            "doc_id": source,
            "doc_title": source,
            "page": page,
            "locator": f"{source}, page {page}",
            "text": doc.page_content,
        }
        if distance is not None:
            out["score"] = round(-float(distance), 4)  # the tutorial's store ranks by L2 distance: higher is nearer
        return out
