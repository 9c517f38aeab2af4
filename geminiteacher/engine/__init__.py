"""One course run: the runner over the spaced pool, the retry layer, the rate limiter (with its
Redis-shared windows), Batch mode, and the page's job registry.
"""
