"""One module per input format. Each exposes `to_markdown(...)` and raises ConversionError.

The dispatcher that sniffs a file's real type and enforces the limits is
`geminiteacher.converter`; these modules only turn one known format into Markdown.
"""
