"""GeminiTeacher's web page: upload documents, shape the outline, watch the course being written.

A thin entry point: the page lives in `geminiteacher.ui`. Run it with
`streamlit run streamlit_app.py`.
"""

from geminiteacher.ui.app import main

main()
