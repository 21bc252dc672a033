"""Where a kind of change goes (ARCHITECTURE.md): each extension point is shown here with a small example
that touches at most two files of the product."""

from __future__ import annotations

import csv
import io

from retrieval.files import FILE_TYPES, Extracted
from retrieval.files.blocks import ROW, Block
from retrieval.files.document import assemble
from retrieval.files.plain import decode


def read_csv(data: bytes, name: str) -> Extracted:
    """A new file type: a reader module (here, this function) ..."""
    rows = list(csv.reader(io.StringIO(decode(data, name))))
    return assemble([Block(ROW, " | ".join(cells)) for cells in rows if any(cells)], name)


def test_a_new_file_type_is_a_reader_and_one_line_in_the_registry(empty_corpus, monkeypatch) -> None:
    monkeypatch.setitem(FILE_TYPES, ".csv", read_csv)  # ... and one line in files/registry.py
    # (patched in this process only: the upload child would import the registry as written in the file)
    empty_corpus.settings = empty_corpus.settings.with_(upload_in_child=False)
    data = b"station,opened\nNordhavn,2019\nRigshospitalet,2024\n"
    report = empty_corpus.add_bytes(data, "stations.csv", scope="s")
    assert report.added == ("s/stations",)
    answer = empty_corpus.ask("When did Nordhavn station open?", scope="s")
    assert "2019" in (answer.guess or "") and answer.citations[0].hit.doc_id == "s/stations"
