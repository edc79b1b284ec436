"""Benchmarks: print figures (never pass/fail on time; these machines are shared and noisy, so
each figure is set against a floor measured in the same run).

    python -m evals.bench [--out DIR]                 # corpus ingest, re-ingest, size, latency
    python -m evals.bench --scale 1 5 20 [--out DIR]  # the corpus replicated N times (not in CI)

- ingest of the corpus from scratch, against the floor: embedding the same chunk texts alone;
- re-ingest of unchanged files;
- index size on disk;
- answer latency p50/p95 over a question list, against the floor: one query embedding plus one
  Chroma query;
- scale: the parsed corpus replicated N times at the document level (copies with their own ids,
  titles and shifted meeting dates, so nothing is deduplicated away): ingest time, index size,
  query latency and peak memory for each N, each N in a fresh process so peaks do not mix.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.service import Assistant
from ingest.documents import segment_pack
from ingest.embeddings import MiniLMEmbedder
from ingest.models import Document, Page, Section
from ingest.pages import extract_pages, file_sha256
from ingest.pipeline import Ingestor, IngestReport, ParsedFile, derive, parse_pdf
from ingest.sections import segment_sections
from ingest.settings import PROJECT_ROOT, Settings
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
        assistant.warm_up()  # caches derived once per index (lexical index, vocabulary, word rarity)
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
        serve = serve_start(corpus_dir, Path(tmp) / "serve")
        figures["serve_first_http_s"] = serve.first_http_s
        figures["serve_ready_s"] = serve.ready_s
    return figures


SERVE_WITHIN_S = 10.0
"""Issue 13's target: ``scrutineer serve`` answers HTTP this soon after start on a fresh index."""


@dataclass
class ServeStart:
    """How ``scrutineer serve`` came up on a fresh index: seconds from start to its first HTTP 200 and to
    the log's "ready" line (None when it did not get there within the wait), and its log."""

    first_http_s: float | None
    ready_s: float | None
    log: list[str]


def serve_start(corpus_dir: Path, work_dir: Path, wait_s: float = 300.0) -> ServeStart:
    """Start ``scrutineer serve`` in a fresh process over ``corpus_dir`` with a new index under
    ``work_dir``, time its first HTTP answer and its "ready" line, then stop it."""
    import httpx

    from evals.load import free_port

    work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUTINEER_")}
    env |= {
        "PYTHONPATH": str(PROJECT_ROOT),
        "SCRUTINEER_CORPUS_DIR": str(corpus_dir),
        "SCRUTINEER_INDEX_DIR": str(work_dir / "index"),
        "SCRUTINEER_UPLOAD_DIR": str(work_dir / "uploads"),
        "SCRUTINEER_PORT": str(port),
    }
    log = work_dir / "serve.log"
    ready = f"INFO assistant.building: ready: http://127.0.0.1:{port}"
    first_http = ready_at = None
    started = time.monotonic()
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        while time.monotonic() - started < wait_s and server.poll() is None and ready_at is None:
            if first_http is None:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                        first_http = time.monotonic() - started
                except httpx.HTTPError:
                    pass
            if ready in log.read_text():
                ready_at = time.monotonic() - started
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return ServeStart(first_http, ready_at, log.read_text().splitlines())


COPY_DAYS = 7
"""Each copy's meetings are shifted by this many days times its number."""


def replicate(pdf: Path, n: int, model_id: str, settings: Settings) -> tuple[list[ParsedFile], float, int]:
    """The PDF parsed once, then its documents copied ``n`` times with their own ids, titles and
    dates. Returns the parsed copies, the parse time and the page count."""
    started = time.perf_counter()
    pages = extract_pages(pdf)
    parse_s = time.perf_counter() - started
    documents = segment_pack(pages, pdf.name)
    sha = file_sha256(pdf)
    copies = []
    for i in range(n):
        docs: list[Document] = []
        for doc in documents:
            d = copy.copy(doc)
            d.doc_id = f"copy{i:04d}-{doc.doc_id}"
            d.title = doc.title if i == 0 else f"{doc.title} (copy {i})"
            d.meeting_date = _shift(doc.meeting_date, i)
            d.document_date = _shift(doc.document_date, i)
            d.source_file = f"copy{i:04d}-{pdf.name}"
            docs.append(d)
        suffix = "" if i == 0 else f" (copy {i})"

        def retitled(doc: Document, doc_pages: Sequence[Page], suffix: str = suffix) -> list[Section]:
            sections = segment_sections(doc, doc_pages)
            for section in sections:
                section.title += suffix  # so copies embed differently and nothing is reused
            return sections

        d = derive(pages, docs, model_id, settings, sections_of=retitled)
        copies.append(
            ParsedFile(
                docs[0].source_file,
                f"bench-copies/{i}",
                sha,
                model_id,
                len(pages),
                docs,
                d.sections,
                d.chunks,
                d.sentences,
                d.resolutions,
                d.glossary,
            )
        )
    return copies, parse_s, len(pages)


def _shift(iso: str | None, i: int) -> str | None:
    return None if iso is None else (dt.date.fromisoformat(iso) + dt.timedelta(days=COPY_DAYS * i)).isoformat()


def scale_one(pdf: Path, n: int, questions: list[str]) -> dict[str, Any]:
    """One scale point, measured in this process (run it in a fresh one for a clean memory peak)."""
    with tempfile.TemporaryDirectory(prefix=f"scrutineer-scale{n}-") as tmp:
        settings = Settings.from_env(index_dir=Path(tmp) / "index", collection_prefix="scale")
        embedder = MiniLMEmbedder(settings.embedding_model_path, settings.embedding_model_id, settings.embed_batch_size)
        embedder.embed(["warm up"])
        copies, parse_s, pages = replicate(pdf, n, embedder.model_id, settings)
        index = Index(settings)
        ingestor = Ingestor(settings, index, embedder)
        report = IngestReport()
        started = time.perf_counter()
        for parsed in copies:
            ingestor.write(parsed, report)
        ingest_s = time.perf_counter() - started
        assistant = Assistant(settings, index=index, embedder=embedder)
        # Readers derive their caches (lexical index, name vocabulary) on first use: not a question's cost.
        assistant.warm_up()
        latencies = [assistant.ask(q).latency_ms for q in questions]
        return {
            "n": n,
            "pages": pages * n,
            "chunks": report.chunks,
            "texts_embedded": report.embedded,
            "parse_ms_per_page": parse_s * 1000 / pages,
            "ingest_s": ingest_s,
            "index_mb": dir_size(settings.index_dir) / 1e6,
            "ask_p50_ms": statistics.median(latencies),
            "ask_p95_ms": percentile(latencies, 95),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def scale_table(points: list[dict[str, Any]]) -> str:
    base = points[0]
    lines = [
        "| N | pages | chunks | ingest s | ingest ÷ N=first | index MB | ask p50 / p95 ms | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        lines.append(
            f"| {p['n']} | {p['pages']} | {p['chunks']} | {p['ingest_s']:.1f} | "
            f"{p['ingest_s'] / base['ingest_s']:.1f}× | {p['index_mb']:.1f} | "
            f"{p['ask_p50_ms']:.0f} / {p['ask_p95_ms']:.0f} | {p['peak_rss_mb']:.0f} |"
        )
    lines.append("")
    lines.append(f"PDF parsing: {base['parse_ms_per_page']:.0f} ms per page (measured once, not replicated).")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1f} s"


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
        (
            "`scrutineer serve` on a fresh index: first HTTP answer / index ready",
            f"target ≤ {SERVE_WITHIN_S:.0f} s to answer",
            f"{_seconds(figures.get('serve_first_http_s'))} / {_seconds(figures.get('serve_ready_s'))}",
        ),
    ]
    lines = ["| measure | size | figure |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def bench_chart(figures: dict[str, Any], path: Path) -> None:
    """Bars of each measured figure beside its floor from the same run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.bar(
        ["embed chunks\n(floor)", "ingest"],
        [figures["floor_embed_chunks_s"], figures["ingest_s"]],
        color=["#9ca3af", "#1d4ed8"],
    )
    left.set_ylabel("seconds")
    left.set_title("Ingest of the corpus from scratch")
    labels = ["floor p50", "answer p50", "floor p95", "answer p95"]
    values = [figures["floor_p50_ms"], figures["ask_p50_ms"], figures["floor_p95_ms"], figures["ask_p95_ms"]]
    right.bar(labels, values, color=["#9ca3af", "#1d4ed8"] * 2)
    right.set_ylabel("ms")
    right.set_title("Answer latency")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def scale_chart(points: list[dict[str, Any]], path: Path) -> None:
    """Ingest time, index size, latency and memory against N, each relative to the smallest N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [p["n"] for p in points]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label in (
        ("ingest_s", "ingest time"),
        ("index_mb", "index size"),
        ("ask_p95_ms", "answer p95"),
        ("peak_rss_mb", "peak memory"),
    ):
        ax.plot(ns, [p[key] / points[0][key] for p in points], marker="o", label=label)
    ax.plot(ns, [n / ns[0] for n in ns], linestyle="--", color="#9ca3af", label="linear in N")
    ax.set_xlabel("copies of the corpus (N)")
    ax.set_ylabel(f"relative to N={ns[0]}")
    ax.set_title("Growth with corpus size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder to write bench.md and bench.json into")
    parser.add_argument(
        "--scale", type=int, nargs="*", metavar="N", help="replicate the corpus N times (default 1 5 20); not run in CI"
    )
    parser.add_argument("--scale-one", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    pdfs = sorted(settings.corpus_dir.glob("*.pdf"))
    if args.scale_one is not None:
        print(json.dumps(scale_one(pdfs[0], args.scale_one, LATENCY_QUESTIONS)))
        return 0
    if args.scale is not None:
        points = []
        for n in args.scale or [1, 5, 20]:
            out = subprocess.run(
                [sys.executable, "-m", "evals.bench", "--scale-one", str(n)], check=True, capture_output=True, text=True
            )
            points.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"N={n}: {points[-1]}", file=sys.stderr)
        table = scale_table(points)
        print(table)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "scale.md").write_text(table + "\n")
            (args.out / "scale.json").write_text(json.dumps(points, indent=2) + "\n")
            scale_chart(points, args.out / "scale.png")
        return 0
    figures = run(settings.corpus_dir, LATENCY_QUESTIONS)
    table = as_table(figures)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench.md").write_text(table + "\n")
        (args.out / "bench.json").write_text(json.dumps(figures, indent=2) + "\n")
        bench_chart(figures, args.out / "bench.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
