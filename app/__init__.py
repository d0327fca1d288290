"""Fieldscribe's core: pure Python, never imports Qt."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fieldscribe")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
