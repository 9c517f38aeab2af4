"""Files -> Source: the first step of the flow.

`convert` is the front door (type sniffing, limits, one-line refusals); `formats/` holds one
module per input format.
"""
