"""Reading a school's policy document and splitting it into numbered sections (no Django in here)."""

from .parse import DocumentError, ParsedDocument, ParsedSection, parse_sections
from .readers import read_document

__all__ = ["DocumentError", "ParsedDocument", "ParsedSection", "parse_sections", "read_document"]
