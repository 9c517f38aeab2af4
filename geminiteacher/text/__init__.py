"""Small text facts every layer shares: where Markdown code fences are, language names."""
