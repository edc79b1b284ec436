"""The ``scrutineer`` command: a thin layer over ingest and assistant.

scrutineer ingest [PATHS…] [--rebuild]   build or update the index (no paths: sync the corpus folder);
                                         uploads the index lacks are ingested, --rebuild rebuilds them too
scrutineer ask "QUESTION" [--json]       answer from the index
scrutineer serve [--host H] [--port P]   the Gradio chat app
scrutineer documents                     the files in the index
scrutineer show FILE                     how FILE was read: documents, sections, resolutions, glossary
scrutineer remove FILE [--yes]           take FILE out of the index (an upload out of the upload folder too)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TextIO

from assistant.errors import AnswerOverBudget
from ingest.bootstrap import ensure_index
from ingest.errors import IndexUnavailable, IngestBusyError, IngestError
from ingest.progress import stage_of
from ingest.settings import Settings

log = logging.getLogger("scrutineer")


class TerminalProgress:
    """The ingest's stages on the terminal, as the app's upload shows them: on a terminal one line
    rewritten in place; in a log or a pipe one line per file and stage (not one per page)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.width = 0
        self.last = ""

    def __call__(self, fraction: float, message: str) -> None:
        line = f"{fraction * 100:3.0f}% {message}"
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        elif stage_of(message) != self.last:
            self.last = stage_of(message)
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.embeddings import MiniLMEmbedder
    from ingest.pipeline import Ingestor, writer_lock
    from ingest.store import Index
    from ingest.uploads import sync_uploads

    index = Index(settings)
    if args.rebuild:
        with writer_lock(settings):  # never under another ingest's feet
            index.clear()
    embedder = MiniLMEmbedder(settings.embedding_model_path, settings.embedding_model_id, settings.embed_batch_size)
    ingestor = Ingestor(settings, index, embedder)
    progress = TerminalProgress(sys.stderr)
    try:
        if args.paths:
            paths = [Path(p) for p in args.paths]
            report = ingestor.ingest_paths(paths, progress=progress, force=args.rebuild)
        else:
            report = ingestor.sync_folder(settings.corpus_dir, force=args.rebuild, progress=progress)
    finally:
        progress.close()
    print(report.summary())
    # Uploads live outside the corpus folder: a rebuild ingests them again, any run repairs them.
    uploads = sync_uploads(settings, ingestor, force=args.rebuild)
    if args.rebuild:
        print(f"{len(uploads.added)} uploaded file(s) rebuilt from {settings.upload_dir}")
    refused = {name for name, _ in uploads.failed}
    for name, line in uploads.notices:
        if name not in refused:
            print(f"uploads: {line}")
    for _name, message in report.failed:
        print(f"error: {message}", file=sys.stderr)
    for name, line in uploads.notices:
        if name in refused:
            print(f"error: {line}", file=sys.stderr)
    return 1 if report.failed or uploads.failed else 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.retrieval import build_filters
    from assistant.search_results import plain_text
    from assistant.service import Assistant

    # Checked before the model or the index is loaded: a bad date is refused at once, as the app refuses it.
    filters = build_filters(
        args.doc, args.doc_type, args.organisation, args.date_from, args.date_to, labels=("--date-from", "--date-to")
    )
    assistant = Assistant(settings)
    progress = TerminalProgress(sys.stderr)  # a first ask builds the index: it shows its stages too
    try:
        built = ensure_index(settings, assistant.index, assistant.embedder, progress=progress)
    finally:
        progress.close()
    if built is not None:
        assistant.refresh()
    answer = assistant.ask(args.question, filters=filters)
    if args.json:
        print(json.dumps(answer.contract(), ensure_ascii=False, indent=2))
    else:
        print(plain_text(answer))
    return 0


def _documents(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.manage import files_text, list_files
    from ingest.store import Index

    print(files_text(list_files(Index(settings), settings)))
    return 0


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.manage import file_view_text, show_file
    from ingest.store import Index

    print(file_view_text(show_file(Index(settings), settings, args.file)))
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.embeddings import MiniLMEmbedder
    from ingest.manage import remove_file, show_file
    from ingest.pipeline import Ingestor
    from ingest.store import Index

    index = Index(settings)
    view = show_file(index, settings, args.file)  # refuses a file the index does not hold, before asking
    if not args.yes:
        if not sys.stdin.isatty():
            raise ValueError(f"{args.file}: not removed; add --yes to remove it without being asked")
        what = f"{len(view.documents)} document(s), {len(view.resolutions)} resolution(s)"
        reply = input(f"Remove {args.file} ({what}) from the index? [y/N] ")
        if reply.strip().lower() not in ("y", "yes"):
            print("Nothing removed.")
            return 1
    # Removal embeds nothing: the model is never loaded.
    embedder = MiniLMEmbedder(settings.embedding_model_path, settings.embedding_model_id, settings.embed_batch_size)
    print(remove_file(Ingestor(settings, index, embedder), args.file).message)
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import app

    app.serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from evals import run

    argv = ["--questions", str(args.questions), "--out", str(args.out)] + (
        ["--no-baseline"] if args.no_baseline else []
    )
    return run.main(argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scrutineer", description="Answers questions about council papers, with citations."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and timings")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="build or update the index from PDFs")
    p.add_argument("paths", nargs="*", help="PDF files (default: sync the corpus folder, removing files gone from it)")
    p.add_argument("--rebuild", action="store_true", help="start the index over (uploaded files are rebuilt too)")
    p = sub.add_parser("ask", help="answer a question from the index")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON (the evaluation contract's shape)")
    p.add_argument("--doc", help="only this document (its id, as ask --json shows it)")
    p.add_argument("--doc-type", help="only documents of this type (minutes, report, plan, …)")
    p.add_argument("--organisation", help="only papers of this council or body")
    p.add_argument("--date-from", help="only meetings on or after this ISO date")
    p.add_argument("--date-to", help="only meetings on or before this ISO date")
    p = sub.add_parser("eval", help="run a question set and score it (same as python -m evals.run)")
    from evals.run import DEFAULT_OUT, DEFAULT_QUESTIONS

    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="questions JSONL")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for results, summary and report")
    p.add_argument("--no-baseline", action="store_true", help="skip the LangChain-tutorial baseline")
    p = sub.add_parser("serve", help="start the chat app")
    p.add_argument("--host", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    sub.add_parser("documents", help="list the files in the index")
    p = sub.add_parser("show", help="how a file was read: its documents, sections, resolutions and glossary")
    p.add_argument("file", help="the file's name, as `scrutineer documents` lists it")
    p = sub.add_parser("remove", help="take a file out of the index (an uploaded file out of the upload folder too)")
    p.add_argument("file", help="the file's name, as `scrutineer documents` lists it")
    p.add_argument("--yes", action="store_true", help="remove without asking")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The server's console says what it is doing and where (building the index, then "ready: <url>").
    chatty = args.verbose or args.command == "serve"
    logging.basicConfig(level=logging.INFO if chatty else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        for noisy in ("httpx", "chromadb", "sentence_transformers", "bm25s"):  # their INFO is per request or batch
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
        handler = {
            "ingest": _ingest,
            "ask": _ask,
            "eval": _eval,
            "serve": _serve,
            "documents": _documents,
            "show": _show,
            "remove": _remove,
        }[args.command]
        return handler(args, settings)
    except (IngestError, IngestBusyError, IndexUnavailable, AnswerOverBudget, ValueError) as exc:
        # One line naming the input, folder or URL at fault and what to do; ValueError covers a refused
        # question and a bad filter or setting.
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
