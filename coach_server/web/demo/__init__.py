"""`/demo`: a page that behaves like a vendor's operator console (see routes.py)."""
