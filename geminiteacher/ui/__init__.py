"""The Streamlit page, one module per part of it; the only package code that imports streamlit.

`streamlit_app.py` calls `geminiteacher.ui.app.main()`. Worker threads never call `st.*`:
they write the course folder, and these modules read it back.
"""
