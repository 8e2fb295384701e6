"""The app's pages: (url path, title message key, icon, render function)."""
from __future__ import annotations

from ui.pages import about, boundaries, map as map_page

PAGES = [
    ("map", "page.map", "🗺️", map_page.render),
    ("boundaries", "page.boundaries", "🧭", boundaries.render),
    ("about", "page.about", "ℹ️", about.render),
]
