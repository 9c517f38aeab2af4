"""Chapter text as the page renders it: nothing fetched from elsewhere, headings below the title."""

from __future__ import annotations

from geminiteacher.ui.markdown import safe_markdown


def test_remote_images_become_links_that_nothing_fetches():
    text = "See ![chart](https://evil.example/?q=secret) and ![](//cdn.example/x.png)."
    assert safe_markdown(text) == ("See [Image: chart](https://evil.example/?q=secret) and "
                                   "[Image: image](//cdn.example/x.png).")


def test_reference_style_images_become_links_too():
    text = "![logo][1]\n\n[1]: https://evil.example/logo.png"
    assert safe_markdown(text).startswith("[Image: logo][1]")


def test_code_keeps_its_image_syntax_and_headings_as_written():
    text = "Use `![a](b)` here.\n```md\n# Title\n![a](https://x.example)\n```\n~~~\n## x\n~~~"
    assert safe_markdown(text) == text


def test_headings_move_two_levels_down_and_stop_at_six():
    text = "# Chapter\n## Summary\n#### Deep\n###### Deepest\n#hashtag"
    assert safe_markdown(text) == ("### Chapter\n#### Summary\n###### Deep\n###### Deepest\n"
                                   "#hashtag")
