"""The course on disk and what is derived from it: the store (chapter files and course.json),
who may see which course, chapter sources, and what a course costs.
"""
