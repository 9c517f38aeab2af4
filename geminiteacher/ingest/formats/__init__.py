"""One module per input format, each with a `to_markdown(...)` for a format already known.

`geminiteacher.ingest.convert` is the front door: it sniffs a file's real type, enforces the
limits, calls the module here and turns any failure into a ConversionError.
"""
