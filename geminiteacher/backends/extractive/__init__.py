"""Building blocks of the offline engine: Markdown blocks, sentences and terms, salience,
chapter planning and title matching. Pure standard library, deterministic, no network."""
