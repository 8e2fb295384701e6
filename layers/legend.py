"""Map legends as fixed HTML boxes; every text is escaped."""
from __future__ import annotations

import html

from branca.element import MacroElement
from jinja2 import Template


class Legend(MacroElement):
    """A legend box in a map corner; a click on its title folds it away (it can cover part of the map).

    ``entries`` are ``(swatch_html, label)`` pairs; swatch HTML comes from this
    module's helpers (never from data) and labels are escaped here.
    """

    _template = Template(
        """
{% macro html(this, kwargs) %}
<div class="aimak-legend" style="position:absolute; {{ this.position }}; z-index:1000; background:rgba(255,255,255,.92);
  padding:5px 7px; border-radius:4px; box-shadow:0 0 4px rgba(0,0,0,.3); font:11px/1.35 sans-serif; max-height:55%; overflow:auto;">
  <details open>
  <summary style="font-weight:bold; margin-bottom:3px; cursor:pointer">{{ this.title }}</summary>
  <div style="display:grid; grid-template-columns:repeat({{ 2 if this.entries|length > 8 else 1 }}, auto); column-gap:10px">
  {% for swatch, label in this.entries %}<div style="white-space:nowrap">{{ swatch }} {{ label }}</div>{% endfor %}
  </div>
  {% if this.note %}<div style="color:#555; margin-top:3px; max-width:220px; white-space:normal">{{ this.note }}</div>{% endif %}
  </details>
</div>
{% endmacro %}
"""
    )

    def __init__(self, title: str, entries: list[tuple[str, str]], note: str = "", position: str = "bottom:48px; left:10px"):
        super().__init__()
        self._name = "Legend"
        self.title = html.escape(title)
        self.entries = [(swatch, html.escape(label)) for swatch, label in entries]
        self.note = html.escape(note)
        self.position = position


def icon_swatch(colour: str, icon: str) -> str:
    """A round coloured swatch with a Font Awesome icon, as used by project markers."""
    return (f'<span style="display:inline-flex;align-items:center;justify-content:center;width:16px;height:16px;'
            f'border-radius:50%;background:{colour};color:#fff;font-size:9px"><i class="fa-solid fa-{icon}"></i></span>')


def line_swatch(colour: str, weight: float = 2, dash: str | None = None) -> str:
    """A short line sample."""
    style = "dashed" if dash else "solid"
    return f'<span style="display:inline-block;width:22px;border-top:{max(1, weight)}px {style} {colour};vertical-align:middle"></span>'


def fill_swatch(colour: str, hatched: bool = False) -> str:
    """A filled square; hatched for "no data"."""
    background = "repeating-linear-gradient(45deg,#bbb 0 2px,#fff 2px 5px)" if hatched else colour
    return f'<span style="display:inline-block;width:14px;height:12px;background:{background};border:1px solid #777;vertical-align:middle"></span>'
