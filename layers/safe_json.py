"""JSON that can be embedded in a <script> block without ending it early."""
from __future__ import annotations

import json


def script_json(value) -> str:
    """``json.dumps`` with ``</``, U+2028 and U+2029 escaped, safe inside ``<script>``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
