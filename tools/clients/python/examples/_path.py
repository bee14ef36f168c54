"""Lets the examples run from a checkout: finds arbor_client next to this directory."""

import pathlib
import sys

try:
    import arbor_client  # noqa: F401
except ImportError:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
