"""`fieldscribe models list | import | use | remove`."""

from __future__ import annotations

import argparse
import sys

from app.cli import common


def register(commands: argparse._SubParsersAction) -> None:
    models = commands.add_parser(
        "models", help="the language models on this computer", description="Manage models."
    )
    actions = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = common.add_command(
        actions, "list", cmd_list, "list the models; * marks the active one"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    importing = common.add_command(
        actions, "import", cmd_import, "validate a .gguf model and copy it into the vault's home"
    )
    importing.add_argument("path", metavar="PATH", help="the .gguf file")
    importing.add_argument("--name", help="the model's name (default: the file name)")
    importing.add_argument("--mmproj", metavar="PATH", help="its vision projector (.gguf)")
    use = common.add_command(actions, "use", cmd_use, "make a model the active one")
    use.add_argument("name", metavar="NAME")
    remove = common.add_command(
        actions, "remove", cmd_remove, "remove an imported model and its file"
    )
    remove.add_argument("name", metavar="NAME")


def cmd_list(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        models = session.models()
        active = session.active_model_name()
    if args.json:
        common.print_json({"active": active, "models": [model.as_json() for model in models]})
        return 0
    for model in models:
        marker = "*" if model.name == active else " "
        size_mb = model.size / 1e6
        origin = "embedded" if model.is_default else f"imported {model.imported_utc}"
        print(
            f"{marker} {model.name}  {model.architecture or '?'}  "
            f"{_params(model.parameter_count)}  {model.quantization or '?'}  "
            f"ctx {model.context_length or '?'}  {size_mb:.0f} MB  {origin}"
        )
    return 0


def _params(count: int | None) -> str:
    if not count:
        return "? params"
    return f"{count / 1e9:.1f}B params" if count >= 1e9 else f"{count / 1e6:.0f}M params"


def cmd_import(args: argparse.Namespace) -> int:
    show_progress = sys.stderr.isatty()
    with common.open_session(args) as session:
        record = session.import_model(
            args.path,
            name=args.name,
            mmproj=args.mmproj,
            progress=_show_progress if show_progress else None,
        )
    if show_progress:
        print(file=sys.stderr)
    print(f"Imported {record.name} (sha256 {record.sha256}).")
    return 0


def _show_progress(done: int, total: int, message: str) -> None:
    print(f"\r{message}: {done * 100 // max(total, 1)}%", end="", file=sys.stderr)


def cmd_use(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        record = session.use_model(args.name)
    print(f"{record.name} is now the active model.")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        session.remove_model(args.name)
    print(f"Removed {args.name}.")
    return 0
