"""The default order of day and month comes from the system locale, alike in every front end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import locale
from app.jobs.fieldparse import default_date_order
before = default_date_order()
try:
    locale.setlocale(locale.LC_ALL, "")  # as Qt does when the desktop app starts
except locale.Error:  # not installed here: the name alone decides, as before
    pass
print(before, default_date_order())
"""


@pytest.mark.parametrize(
    ("lang", "order"), [("C.UTF-8", "DMY"), ("POSIX", "DMY"), ("en_US.UTF-8", "MDY"),
                        ("en_GB.UTF-8", "DMY")]
)  # fmt: skip
def test_the_cli_and_the_desktop_app_read_dates_in_the_same_order(lang, order):
    # "C.UTF-8" once read month first in the desktop app only: Python's locale aliases map it
    # to en_US once a process has set its locale.
    env = {**os.environ, "LANG": lang, "LC_ALL": "", "LC_TIME": ""}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=False
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [order, order]
