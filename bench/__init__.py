"""Benchmarks for geminiteacher: the real code against the fake Gemini server, over HTTP.

Each scenario module has `run(quick: bool) -> list[Figure]`; every figure is compared with a
bound measured in the same run. `python -m bench [--quick]` runs them all (see __main__).
"""
