"""Where the tests find things, wherever their file sits under tests/."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent  # the project
DATA = TESTS / "data"
SHARED_EVAL = ROOT.parent / "shared" / "eval"  # the read-only development sets, beside the project
