"""Colours and icons per sector and per boundary level, shared by map, legend and reports."""
from __future__ import annotations

#: sector → (colour, Font Awesome 6 solid icon name). Unknown sectors use "other".
SECTOR_STYLES: dict[str, tuple[str, str]] = {
    "water_supply": ("#1f78b4", "faucet-drip"),
    "irrigation": ("#41b6c4", "water"),
    "school": ("#e31a1c", "school"),
    "kindergarten": ("#fb9a99", "children"),
    "health": ("#33a02c", "house-medical"),
    "dam_flood_protection": ("#6a3d9a", "house-flood-water"),
    "mudflow_protection": ("#8c510a", "hill-rockslide"),
    "road": ("#636363", "road"),
    "bridge": ("#969696", "bridge"),
    "street_lighting": ("#fdbf6f", "lightbulb"),
    "electricity": ("#ff7f00", "bolt"),
    "waste": ("#8dd3c7", "trash"),
    "sport": ("#b15928", "futbol"),
    "culture_club": ("#cab2d6", "masks-theater"),
    "social_services": ("#f781bf", "hands-holding-child"),
    "microcredit": ("#b2df8a", "coins"),
    "other": ("#7f7f7f", "circle"),
}

#: boundary level → (line colour, weight in px, dash pattern or None)
LEVEL_STYLES = {
    0: ("#222222", 2.5, None),
    1: ("#3b3b3b", 2.0, None),
    2: ("#555555", 1.2, "4 3"),
    3: ("#7a3b8f", 1.1, "2 3"),
}


def sector_style(sector: str | None) -> tuple[str, str]:
    """Colour and icon of a sector; anything unknown is drawn as "other"."""
    return SECTOR_STYLES.get(str(sector or "other"), SECTOR_STYLES["other"])
