"""Files -> text: each file type's reader (plain.py, markup.py with html_text.py, pdf.py with lines.py)
gives blocks (blocks.py), assembled into the document's text, title and heading outline (document.py).
registry.py says which reader reads which suffix; sandbox.py reads an upload in a child process under
CPU and memory limits. Every refusal is a BadDocument naming the file."""

from .document import EXTRACTION_VERSION, Extracted, Heading
from .registry import FILE_TYPES, check_file, extract, supported_suffixes

__all__ = ["EXTRACTION_VERSION", "Extracted", "FILE_TYPES", "Heading", "check_file", "extract", "supported_suffixes"]
