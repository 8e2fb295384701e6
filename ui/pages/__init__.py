"""The app's pages: (url path, title message key, render function).

No page icons: Streamlit fetches Material icons for the favicon from the internet.
"""
from __future__ import annotations

from ui.pages import about, audit, boundaries, canals, donors, edit_projects, import_projects, reports, unit
from ui.pages import map as map_page
from ui.pages import risk

PAGES = [
    ("map", "page.map", map_page.render),
    ("risk", "page.risk", risk.render),
    ("unit", "page.unit", unit.render),
    ("donors", "page.donors", donors.render),
    ("canals", "page.canals", canals.render),
    ("reports", "page.reports", reports.render),
    ("import", "page.import", import_projects.render),
    ("edit", "page.edit", edit_projects.render),
    ("audit", "page.audit", audit.render),
    ("boundaries", "page.boundaries", boundaries.render),
    ("about", "page.about", about.render),
]
