"""The app's pages: (url path, title message key, render function).

No page icons: Streamlit fetches Material icons for the favicon from the internet.
"""
from __future__ import annotations

from ui.pages import about, boundaries, map as map_page

PAGES = [
    ("map", "page.map", map_page.render),
    ("boundaries", "page.boundaries", boundaries.render),
    ("about", "page.about", about.render),
]
