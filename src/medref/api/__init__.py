"""The REST API and web app (FastAPI), a thin skin over the library's service functions."""
