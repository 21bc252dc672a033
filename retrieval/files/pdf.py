"""PDF files, with pypdf: page text under limits (streams inflate at most 40x the file, text at most 20
characters per byte), then line rules (lines.py) drop running heads, page numbers and dot leaders and
find numbered headings."""

from __future__ import annotations

import io
import re

from ..errors import BadDocument
from .document import Extracted, assemble

# PDF metadata titles that name no document: the producing program's placeholders.
_PLACEHOLDER_TITLE = re.compile(r"\s*(?:untitled|unknown|no title|\(anonymous\)|anonymous|document\d*|"
                                r"microsoft word - .*|slide \d+)\s*", re.IGNORECASE)
# A PDF's streams inflate to at most this many times the file's size (at least the floor): text content
# compresses 3-10x, so a 100 KB file whose page inflates to 70 MB is a bomb, refused in seconds, not minutes.
PDF_INFLATION = 40
PDF_INFLATION_FLOOR = 4_000_000
# ... and its text is at most this many characters per byte of file (real PDFs: under 3).
PDF_CHARS_PER_BYTE = 20
PDF_CHARS_FLOOR = 2_000_000


def _pdf_limits(size: int) -> dict[str, int]:
    cap = max(PDF_INFLATION_FLOOR, PDF_INFLATION * size)
    return {key: cap for key in ("zlib_maximum_output_length", "lzw_maximum_output_length",
                                 "run_length_maximum_output_length", "array_based_stream_maximum_output_length",
                                 "maximum_declared_stream_length")}


def read_pdf(data: bytes, name: str) -> Extracted:
    if not data.startswith(b"%PDF"):
        raise BadDocument(f"{name}: not a PDF file")
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    max_chars = max(PDF_CHARS_FLOOR, PDF_CHARS_PER_BYTE * len(data))
    try:
        with apply_configuration(**_pdf_limits(len(data))):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise BadDocument(f"{name}: the PDF is encrypted")
            pages, chars = [], 0
            for page in reader.pages:
                pages.append(page.extract_text() or "")
                chars += len(pages[-1])
                if chars > max_chars:
                    raise BadDocument(f"{name}: the PDF's text is far larger than the file "
                                      f"(over {max_chars:,} characters from {len(data):,} bytes); refused")
            meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except BadDocument:
        raise
    except LimitReachedError:
        raise BadDocument(f"{name}: the PDF inflates far beyond its size (a compression bomb?); refused") from None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError, RecursionError,
            AssertionError, ZeroDivisionError, OverflowError) as exc:  # pypdf raises more than its own errors
        raise BadDocument(f"{name}: not a readable PDF ({type(exc).__name__})") from None
    from .lines import is_page_number, pdf_blocks

    blocks = pdf_blocks(pages)
    title = str(meta_title).strip()
    if _PLACEHOLDER_TITLE.fullmatch(title):
        title = ""
    # The first line of the first page names the document (the same line often repeats as a running head).
    first_line = next((line.strip() for page in pages for line in page.splitlines()
                       if line.strip() and not is_page_number(line.strip())), "")
    return assemble(blocks, title or first_line)
