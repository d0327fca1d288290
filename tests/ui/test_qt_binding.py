"""The Qt binding itself: PySide6 6.12.0 drops a reference to True or False each time a signal
emitted from Python delivers a bool to a Python slot, so after a few thousand of them the
interpreter aborts ("bool_dealloc"), mid-session or at exit. pyproject.toml keeps that release
out; this checks that the release installed delivers bools without losing them."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal

DELIVERIES = 200


class Flag(QObject):
    raised = Signal(bool)
    passed_on = Signal(object)  # as the job queue passes its results on


def references_lost(value: bool, deliver) -> int:
    gc.collect()
    before = sys.getrefcount(value)
    for _ in range(DELIVERIES):
        deliver()
    gc.collect()
    return before - sys.getrefcount(value)


def test_a_bool_emitted_from_python_reaches_the_slot_without_losing_a_reference(qtbot):
    flag = Flag()
    flag.raised.connect(lambda raised: None)
    flag.passed_on.connect(lambda value: None)
    assert references_lost(True, lambda: flag.raised.emit(True)) < DELIVERIES // 2
    assert references_lost(False, lambda: flag.raised.emit(False)) < DELIVERIES // 2
    assert references_lost(True, lambda: flag.passed_on.emit(True)) < DELIVERIES // 2
