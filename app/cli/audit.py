"""`fieldscribe audit log | verify | fingerprint | export | check`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from app.audit.exchange import Tampered
from app.cli import common
from app.errors import BadInput, FieldscribeError
from app.session import AUDIT_EXPORT_FORMATS, check_audit_export


class ExportTampered(FieldscribeError):
    """An export that decrypts but is not intact (exit code 1)."""


def register(commands: argparse._SubParsersAction) -> None:
    audit = commands.add_parser("audit", help="the tamper-evident audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)

    show = common.add_command(audit_commands, "log", cmd_log, "list the audit events")
    show.add_argument("--json", action="store_true", help="print JSON")
    common.add_command(
        audit_commands,
        "verify",
        cmd_verify,
        "recompute the log's Merkle tree and check it against the signed checkpoint",
    )
    common.add_command(
        audit_commands,
        "fingerprint",
        cmd_fingerprint,
        "print the device key's fingerprint, to record when the laptop is issued",
    )

    # Here --passphrase-file is the export's passphrase; give the vault's before `audit`
    # (fieldscribe --passphrase-file VAULT_PW audit export ...) or in FIELDSCRIBE_PASSPHRASE_FILE.
    export = common.add_command(
        audit_commands,
        "export",
        cmd_export,
        "write the log, signed and age-encrypted, for a supervisor",
        vault_passphrase=False,
    )
    export.add_argument("--out", required=True, metavar="FILE", help="the .fsaudit file to write")
    to = export.add_mutually_exclusive_group(required=True)
    to.add_argument("--recipient", metavar="AGE_PUBKEY", help="encrypt to this age public key")
    to.add_argument(
        "--passphrase-file",
        dest="export_passphrase_file",
        metavar="FILE",
        help="encrypt with the passphrase in FILE",
    )
    export.add_argument(
        "--format",
        dest="export_format",
        choices=AUDIT_EXPORT_FORMATS,
        default="jsonl",
        help="jsonl: the .fsaudit file `audit check` verifies (default); "
        "fhir: a FHIR R4 Bundle of AuditEvent resources",
    )

    check = common.add_command(
        audit_commands,
        "check",
        cmd_check,
        "verify an exported log offline (exit 0 intact, 1 tampered, 2 unusable input)",
        vault_passphrase=False,
    )
    check.add_argument("file", metavar="FILE", help="the .fsaudit file")
    key = check.add_mutually_exclusive_group(required=True)
    key.add_argument("--identity", metavar="AGE_KEY_FILE", help="the age secret key file")
    key.add_argument(
        "--passphrase-file",
        dest="export_passphrase_file",
        metavar="FILE",
        help="the export's passphrase in FILE",
    )
    check.add_argument(
        "--previous", metavar="OLD_FILE", help="an earlier export that this one must extend"
    )
    check.add_argument(
        "--expect-fingerprint",
        metavar="FP",
        help="the device key's fingerprint on record (`audit fingerprint`): any other key fails",
    )


def cmd_log(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        events = session.audit_events()
    if args.json:
        common.print_json({"events": [asdict(event) for event in events]})
        return 0
    for event in events:
        target = f"{event.object_type}:{event.object_id}"
        print(
            f"{event.seq:>6}  {event.ts_utc}  {event.actor}  {event.action:<24} "
            f"{target}  {event.outcome}"
        )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        size = session.verify_audit_log()
    print(f"The audit log is intact: {size} events match the signed checkpoint.")
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        print(session.device_fingerprint())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    passphrase = None
    if args.export_passphrase_file:
        passphrase = common.read_secret_file(args.export_passphrase_file, "export passphrase file")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise BadInput(f"{out}: the folder {out.parent} does not exist.")
    with common.open_session(args) as session:
        report = session.export_audit_log(
            out, recipient=args.recipient, passphrase=passphrase, fmt=args.export_format
        )
    print(f"Exported {report.events} events to {report.path} (SHA-256 {report.sha256}).")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    identity = passphrase = None
    if args.identity:
        identity = common.read_text_file(args.identity, "identity file")
    else:
        passphrase = common.read_secret_file(args.export_passphrase_file, "export passphrase file")
    try:
        report = check_audit_export(
            Path(args.file),
            identity_text=identity,
            passphrase=passphrase,
            previous=Path(args.previous) if args.previous else None,
            expected_fingerprint=args.expect_fingerprint,
        )
    except Tampered as exc:
        raise ExportTampered(str(exc)) from exc
    print(report.text)
    if report.caution:
        print(f"fieldscribe: {report.caution}", file=sys.stderr)
    return 0
