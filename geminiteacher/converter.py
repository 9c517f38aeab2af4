"""The reference module's name for ingestion; the work is in `geminiteacher.ingest.convert`."""

from geminiteacher.ingest.convert import (
    convert_bytes,
    convert_file,
    convert_to_markdown,
    load_sources,
)

__all__ = ["convert_bytes", "convert_file", "convert_to_markdown", "load_sources"]
