"""`fieldscribe digitize | summarize | extract FILE...`, `search`, `templates list`.

A batch goes on past a file that fails: its error is one line on stderr naming the file, and the
exit code is the worst seen (2 bad input, 1 a job failed, 0 all done).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli import common
from app.errors import FieldscribeError
from app.jobs.exports import READ_UNSURELY
from app.jobs.templates import get_template


def register(commands: argparse._SubParsersAction) -> None:
    for kind, handler, help_text in (
        ("digitize", cmd_digitize, "turn scans, photos and documents into text (OCR)"),
        ("summarize", cmd_summarize, "summarize documents section by section"),
        ("extract", cmd_extract, "fill a form template from documents"),
    ):
        command = common.add_command(commands, kind, handler, help_text)
        command.add_argument("files", nargs="+", metavar="FILE")
        command.add_argument("--json", action="store_true", help="print JSON")
        if kind != "summarize":
            command.add_argument(
                "--replace-corrections",
                action="store_true",
                help="a document read before: make the new output current instead of carrying"
                " your corrections onto it (the corrected revision stays in the history)",
            )
        if kind == "extract":
            command.add_argument(
                "--template",
                required=True,
                metavar="NAME_OR_SCHEMA_PATH",
                help="a template's name (see `templates list`) or a JSON Schema file",
            )
            command.add_argument(
                "--table",
                metavar="OUT.csv|OUT.xlsx",
                help="also write one table: a row per document, a column per field",
            )

    finder = common.add_command(commands, "search", cmd_search, "search documents and results")
    finder.add_argument(
        "query", metavar="QUERY", help="words that must all occur; word* for a prefix"
    )
    finder.add_argument("--json", action="store_true", help="print JSON")
    finder.add_argument("--limit", type=int, default=50, help="at most this many hits")

    templates = commands.add_parser("templates", help="the extraction templates")
    actions = templates.add_subparsers(dest="templates_command", metavar="ACTION", required=True)
    listing = common.add_command(actions, "list", cmd_templates_list, "list the templates")
    listing.add_argument("--json", action="store_true", help="print JSON")


class _TerminalProgress:
    """One updating line on stderr, only when a person is watching it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int, message: str) -> None:
        if self.enabled:
            count = f" ({done}/{total})" if total else ""
            sys.stderr.write(f"\r\033[K{self.source}: {message}{count}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _document_json(kind: str, source: str, content: dict[str, Any]) -> dict[str, Any]:
    """One document in the shape of DESIGN.md §7."""
    if kind == "digitize":
        pages = [
            {
                "page": page["page"],
                "text": page["text"],
                "lines": [
                    {"text": line["text"], "confidence": line["confidence"], "box": line["box"]}
                    for line in page["lines"]
                ],
            }
            for page in content["pages"]
        ]
        return {"source": source, "text": content["text"], "pages": pages}
    if kind == "summarize":
        # Whether a model reworded the section, and whether its answer passed the check.
        sections = [
            {"id": s["id"], "title": s["title"], "summary": s["summary"], "kind": s.get("kind"),
             "model_ran": s.get("model_ran", False), "model_kept": s.get("model_kept", False)}
            for s in content["sections"]
        ]  # fmt: skip
        return {
            "source": source,
            "summary": content["summary"],
            "sections": sections,
            "ungrounded": content["ungrounded"],
            "read_unsurely": content.get("read_unsurely", []),
        }
    return {"source": source, "template": content["template"], "fields": content["fields"]}


def _print_human(kind: str, document: dict[str, Any]) -> None:
    print(f"== {document['source']}")
    if kind == "digitize":
        print(document["text"])
    elif kind == "summarize":
        print(document["summary"])
        for item in document["ungrounded"]:
            print(f"  ! not found in the source: {item}")
        for item in document["read_unsurely"]:
            print(f"  ? {READ_UNSURELY}: {item}")
    else:
        for name, field in document["fields"].items():
            value = "—" if field["value"] is None else field["value"]
            if field.get("source") == "user":
                flags = ["SET BY YOU"]  # typed, or accepted after checking it
            elif field["grounded"]:
                flags = []
            elif field.get("read_unsurely"):
                flags = ["NOT GROUNDED (READ UNSURELY BY OCR: CHECK THE PAGE)"]
            else:
                flags = ["NOT GROUNDED"]
            flags += [] if field["valid"] else ["INVALID"]
            suffix = f"  [{', '.join(flags)}]" if flags else ""
            print(f"{name}: {value}{suffix}")
    print()


def _naming(source: str, message: str) -> str:
    """The error with the file as the user gave it in front ("notes/a.pdf: …")."""
    name = Path(source).name
    if message.startswith(f"{name}: "):
        return source + message[len(name) :]
    return message if source in message else f"{source}: {message}"


def _run_batch(args: argparse.Namespace, kind: str) -> int:
    documents: list[dict[str, Any]] = []
    worst = 0
    with common.open_session(args) as session:
        # The Template itself, so that a schema given by its path is used as it is.
        template = get_template(session.vault, args.template) if kind == "extract" else None
        extracted: list[tuple[str, int]] = []  # (source, result id) for --table
        keep_corrections = not getattr(args, "replace_corrections", False)
        if kind != "digitize":
            session.start_engine()  # the model loads while the first file is read
        for source in args.files:
            progress = _TerminalProgress(source)
            try:
                document_id = session.import_document(source, progress=progress)
                if kind == "digitize":
                    result = session.digitize(
                        document_id, keep_corrections=keep_corrections, progress=progress
                    )
                elif kind == "summarize":
                    result = session.summarize(document_id, progress=progress)
                else:
                    result = session.extract(
                        document_id, template, keep_corrections=keep_corrections,
                        progress=progress,
                    )  # fmt: skip
            except FieldscribeError as exc:
                progress.clear()
                message = _naming(source, str(exc))
                print(f"fieldscribe: {message}", file=sys.stderr)
                documents.append({"source": source, "error": message})
                worst = max(worst, exc.exit_code)
                continue
            progress.clear()
            if kind == "extract":
                extracted.append((source, result.result_id))
            document = _document_json(kind, source, result.content)
            documents.append(document)
            if not args.json:
                _print_human(kind, document)
        if getattr(args, "table", None) and extracted:
            session.export_table(extracted, args.table)
    if args.json:
        common.print_json({"documents": documents})
    return worst


def cmd_digitize(args: argparse.Namespace) -> int:
    return _run_batch(args, "digitize")


def cmd_summarize(args: argparse.Namespace) -> int:
    return _run_batch(args, "summarize")


def cmd_extract(args: argparse.Namespace) -> int:
    return _run_batch(args, "extract")


def cmd_search(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        hits = session.search(args.query, limit=args.limit)
    if args.json:
        common.print_json(
            {
                "query": args.query,
                "hits": [
                    {
                        "document_id": hit.document_id,
                        "document": hit.document_name,
                        "page": hit.page_number,
                        "result_id": hit.result_id,
                        "snippet": hit.snippet,
                    }
                    for hit in hits
                ],
            }
        )
        return 0
    for hit in hits:
        where = f"page {hit.page_number}" if hit.page_number else f"result {hit.result_id}"
        print(f"{hit.document_name} ({where}): {hit.snippet}")
    if not hits:
        print("No matches.")
    return 0


def cmd_templates_list(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        templates = session.templates()
    if args.json:
        common.print_json(
            {
                "templates": [
                    {
                        "name": t.name,
                        "bundled": t.bundled,
                        "sha256": t.sha256,
                        "title": t.schema.get("title"),
                        "fields": list(t.fields),
                    }
                    for t in templates
                ]
            }
        )
        return 0
    for template in templates:
        origin = "bundled" if template.bundled else "saved"
        title = template.schema.get("title", "")
        print(f"{template.name}  ({origin}, {len(template.fields)} fields)  {title}")
    return 0
