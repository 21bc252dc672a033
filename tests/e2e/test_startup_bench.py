"""The startup benchmark (benchmarks/startup.py) still runs. No timing is asserted: only that every figure is there."""

from __future__ import annotations

from paths import ROOT

import sys
from pathlib import Path

sys.path.insert(0, str(ROOT))

from benchmarks import startup  # noqa: E402


def test_importtime_lines_are_parsed():
    stderr = ("import time: self [us] | cumulative | imported package\n"
              "import time:       120 |        300 |   numpy.core\n"
              "import time:      8093 |     689334 | retrieval.cli\n"
              "something else\n")
    assert startup.parse_importtime(stderr) == [("numpy.core", 1, 120, 300), ("retrieval.cli", 0, 8093, 689334)]


def test_every_figure_is_reported(tmp_path):
    result = startup.measure(runs=2, db=tmp_path / "corpus.db", importtime_runs=1, log=lambda message: None)
    assert set(result["figures"]) == {startup.ASK, *startup.ANCHORS}
    for figures in result["figures"].values():
        for key in ("wall_s", "cpu_s", "peak_mib"):
            assert figures[key]["min"] <= figures[key]["median"] <= figures[key]["max"]
    assert set(result["ratios"]) == set(startup.ANCHORS)
    modules = [row["module"] for row in result["imports"]]
    assert "retrieval.cli" in modules and "retrieval.text.tokenize" in modules
    text = startup.render(result, top=5)
    assert "ask wall s" in text and "ask / python -c pass wall" in text and "retrieval.cli" in text
