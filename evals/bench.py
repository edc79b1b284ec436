"""Benchmarks: print figures (never pass/fail on time; these machines are shared and noisy, so
each figure is set against a floor measured in the same run).

    python -m evals.bench [--out DIR]

- ingest of the corpus from scratch, against the floor: embedding the same chunk texts alone;
- re-ingest of unchanged files;
- index size on disk;
- answer latency p50/p95 over a question list, against the floor: one query embedding plus one
  Chroma query.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.service import Assistant
from ingest.embeddings import MiniLMEmbedder
from ingest.pipeline import Ingestor, parse_pdf
from ingest.settings import Settings
from ingest.store import Index

log = logging.getLogger(__name__)

LATENCY_QUESTIONS = [
    "What budget gap was the Council facing for 2024/25?",
    "What did the committee resolve about BDMS?",
    "Who presented the Compliance Progress & Update Report?",
    "When was the inspection report published?",
    "What does TCLPM stand for?",
    "Who is the accountable lead for Area 4 action 1.8?",
    "What was the budget gap for 2019/20?",
    "How many open jobs were there on 7 March 2024?",
    "What were the peer team's recommendations?",
    "What was customer satisfaction in 2024?",
    "Who chaired the meeting on 13 March 2024?",
    "What is the council's policy on parking permits?",
    "How much dividend income was at risk?",
    "What is the General Fund balance?",
    "What was the average void turnaround time in 2024?",
    "How many people did the peer team speak to?",
    "What does MTFS stand for?",
    "What is the due date for Area 1 action 1.1?",
    "How many children were open to social care?",
    "What training has been rolled out for domestic abuse risk assessment?",
]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run(corpus_dir: Path, questions: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="scrutineer-bench-") as tmp:
        settings = Settings.from_env(corpus_dir=corpus_dir, index_dir=Path(tmp) / "index", collection_prefix="bench")
        embedder = MiniLMEmbedder(settings.embedding_model_path, settings.embedding_model_id, settings.embed_batch_size)
        embedder.embed(["warm up"])  # model load is not part of any figure

        pdfs = sorted(corpus_dir.glob("*.pdf"))
        started = time.perf_counter()
        parsed = [parse_pdf(p, embedder.model_id, settings) for p in pdfs]
        figures["parse_s"] = time.perf_counter() - started
        pages = sum(p.page_count for p in parsed)
        figures["pages"] = pages
        figures["parse_ms_per_page"] = figures["parse_s"] * 1000 / max(pages, 1)

        texts = [c.embed_text for p in parsed for c in p.chunks]
        started = time.perf_counter()
        for i in range(0, len(texts), settings.embed_batch_size):
            embedder.embed(texts[i : i + settings.embed_batch_size])
        figures["floor_embed_chunks_s"] = time.perf_counter() - started
        figures["chunks"] = len(texts)

        index = Index(settings)
        ingestor = Ingestor(settings, index, embedder)
        started = time.perf_counter()
        report = ingestor.sync_folder(corpus_dir)
        figures["ingest_s"] = time.perf_counter() - started
        figures["ingest_to_floor"] = figures["ingest_s"] / figures["floor_embed_chunks_s"]
        figures["texts_embedded"] = report.embedded

        started = time.perf_counter()
        again = ingestor.sync_folder(corpus_dir)
        figures["reingest_unchanged_s"] = time.perf_counter() - started
        figures["reingest_embedded"] = again.embedded
        figures["index_bytes"] = dir_size(settings.index_dir)

        assistant = Assistant(settings, index=index, embedder=embedder)
        latencies, floors = [], []
        for q in questions:
            started = time.perf_counter()
            vec = embedder.embed([q])[0]
            index.query("chunks", vec, settings.retrieve_k)
            floors.append((time.perf_counter() - started) * 1000)
            latencies.append(assistant.ask(q).latency_ms)
        figures["questions"] = len(questions)
        figures["ask_p50_ms"] = statistics.median(latencies)
        figures["ask_p95_ms"] = percentile(latencies, 95)
        figures["floor_p50_ms"] = statistics.median(floors)
        figures["floor_p95_ms"] = percentile(floors, 95)
    return figures


def as_table(figures: dict[str, Any]) -> str:
    rows = [
        (
            "PDF pages parsed",
            f"{figures['pages']}",
            f"{figures['parse_s']:.1f} s ({figures['parse_ms_per_page']:.0f} ms/page)",
        ),
        ("Ingest from scratch", f"{figures['texts_embedded']} texts embedded", f"{figures['ingest_s']:.1f} s"),
        (
            "Floor: embed the chunk texts alone",
            f"{figures['chunks']} chunks",
            f"{figures['floor_embed_chunks_s']:.1f} s",
        ),
        ("Ingest / floor", "", f"{figures['ingest_to_floor']:.1f}×"),
        (
            "Re-ingest unchanged",
            f"{figures['reingest_embedded']} texts embedded",
            f"{figures['reingest_unchanged_s']:.2f} s",
        ),
        ("Index size on disk", "", f"{figures['index_bytes'] / 1e6:.1f} MB"),
        (
            "Answer latency p50 / p95",
            f"{figures['questions']} questions",
            f"{figures['ask_p50_ms']:.0f} / {figures['ask_p95_ms']:.0f} ms",
        ),
        (
            "Floor: query embedding + Chroma query, p50 / p95",
            "",
            f"{figures['floor_p50_ms']:.0f} / {figures['floor_p95_ms']:.0f} ms",
        ),
    ]
    lines = ["| measure | size | figure |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder to write bench.md and bench.json into")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    figures = run(settings.corpus_dir, LATENCY_QUESTIONS)
    table = as_table(figures)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench.md").write_text(table + "\n")
        (args.out / "bench.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
