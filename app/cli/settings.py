"""`fieldscribe settings show | date-order ORDER`: the vault's settings that change a job."""

from __future__ import annotations

import argparse

from app.cli import common
from app.jobs.fieldparse import DATE_ORDER_SETTING, default_date_order

# What the user types, and the order stored (None: the system locale's, decided at each run).
_DATE_ORDERS = {"day-first": "DMY", "month-first": "MDY", "locale": None}


def register(commands: argparse._SubParsersAction) -> None:
    settings = commands.add_parser(
        "settings",
        help="the vault's settings for the jobs",
        description="Show or change the vault's settings (the desktop app's Settings too).",
    )
    actions = settings.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    show = common.add_command(actions, "show", cmd_show, "show the settings and what they give")
    show.add_argument("--json", action="store_true", help="print JSON")
    order = common.add_command(
        actions,
        "date-order",
        cmd_date_order,
        "how extraction reads numeric dates such as 03/04/2026 when a template does not say",
    )
    order.add_argument("order", choices=tuple(_DATE_ORDERS), help="locale: the system's order")


def _date_order_shown(stored: str | None) -> str:
    if stored is None:
        return f"as the system locale does ({_name(default_date_order())} here)"
    return _name(stored)


def _name(order: str) -> str:
    return next(name for name, value in _DATE_ORDERS.items() if value == order)


def cmd_show(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        stored = session.setting(DATE_ORDER_SETTING)
        model = session.active_model_name()
    if args.json:
        common.print_json(
            {"date_order": stored, "date_order_in_use": stored or default_date_order(),
             "active_model": model}
        )  # fmt: skip
        return 0
    print(f"date-order: {_date_order_shown(stored)}")
    print(f"model: {model}")
    return 0


def cmd_date_order(args: argparse.Namespace) -> int:
    with common.open_session(args) as session:
        session.save_settings({DATE_ORDER_SETTING: _DATE_ORDERS[args.order]})
    print(f"Numeric dates are now read {_date_order_shown(_DATE_ORDERS[args.order])}.")
    return 0
