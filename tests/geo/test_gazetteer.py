"""Name normalisation and matching (geo/gazetteer.py)."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import settings
from geo.gazetteer import Gazetteer, is_city, name_keys, names_match, normalize_name, split_places, transliterate


# -- spelling variants --------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("Issyk-Kul", "Ysyk-Köl"),
    ("Issyk-Kul", "Issyk Kul"),
    ("Issyk-Kul", "Иссык-Кульская область"),
    ("Issyk-Kul", "Ысык-Көл облусу"),
    ("Chui", "Chüy"),
    ("Chui", "Chuy Region"),
    ("Chui", "Чүй облусу"),
    ("Jalal-Abad", "Dzhalal-Abad"),
    ("Jalal-Abad", "Djalal-Abad"),
    ("Jalal-Abad city", "Джалал-Абад"),
    ("Jalal-Abad", "Жалал-Абад облусу"),
    ("Kara-Buura", "Karabuura"),
    ("Kara-Buura", "Кара-Бууринский район"),
    ("Usgen", "Uzgen"),
    ("Usgen", "Özgön"),
    ("Karasuu", "Kara-Suu"),
    ("Aksuu", "Ak-Suu"),
    ("Aksuu", "Aksu"),
    ("Jetioguz", "Jeti-Oguz"),
    ("Jetioguz", "Dzheti-Oguz"),
    ("Ton", "Tong"),
    ("Alai", "Alay"),
    ("Kochkor", "Кочкорский район"),
    ("Issyk-Ata", "Ysyk-Ata"),
    ("Tokmok city", "Tokmok"),
    ("Tokmok city", "City of Tomok"),
    ("Tokmok", "Токмак"),
    ("Balykchi", "Balykchy"),
    ("Kyzyltuu", "Kyzyl-Tuu"),
    ("Kok Oy", "Kök-Oy"),
    ("Gulcha", "Gul’cha"),
    ("Ak-Tatir", "Ak-Tatyr"),
    ("Jani-Bak", "Jany Bak"),
    ("Samarkendek", "Samarkandyk"),
    ("Sulyukta city", "Сулюкта"),
    ("Isfana city", "Razzakov"),
    ("Tup", "Тюп"),
    ("Kara-Kulja", "Кара-Кульджа"),
    ("Sovietskoe", "Sovetskoye"),
    ("Leilek", "Leylek"),
])
def test_spelling_variants_match(a, b):
    assert names_match(a, b), (name_keys(a, adjectives=True), name_keys(b, adjectives=True))


@pytest.mark.parametrize("a, b", [
    ("Kochkor", "Kochkor-Ata"),
    ("Talas", "Naryn"),
    ("Tokmok", "Kochkor"),
    ("Kara-Suu", "Kara-Kulja"),
    ("Ak-Suu", "Ak-Talaa"),
    ("Chui", "Chon-Daly"),
    ("Issyk-Kul", "Issyk-Ata"),
    ("Jalal-Abad", "Batken"),
])
def test_different_places_do_not_match(a, b):
    assert not names_match(a, b)


def test_transliteration_of_kyrgyz_letters():
    assert transliterate("Көк-Ой") == "Kök-Oy"
    assert transliterate("Үч-Коргон") == "Üch-Korgon"
    assert transliterate("Жаңы-Жер") == "Zhangy-Zher"
    assert normalize_name("Жаңы-Жер") == normalize_name("Jany-Jer")


def test_empty_names_have_no_keys():
    assert name_keys(None) == frozenset()
    assert name_keys("") == frozenset()
    assert name_keys(pd.NA) == frozenset()
    assert not names_match("", "")


def test_city_words():
    assert is_city("Tokmok city") and is_city("Karakol City")
    assert not is_city("Kochkor") and not is_city("Kochkor-Ata")


# -- reading place cells -------------------------------------------------------------------

def test_split_places_separates_foreign_and_descriptive_parts():
    cell = split_places("Batken; Sogdii (Tajikistan)")
    assert cell.names == ("Batken",) and cell.foreign == ("Sogdii (Tajikistan)",)
    assert split_places("Batken; Isfara (TJ)").foreign == ("Isfara (TJ)",)
    cell = split_places("KG: Kapchigai, Uch-Dobo, Ak-Tatir; TJ: Voruh, Lyakkan")
    assert cell.names == ("Kapchigai", "Uch-Dobo", "Ak-Tatir") and cell.foreign == ("Voruh", "Lyakkan")
    for text in ("villages of Kara-Suu AA", "border villages of the aimak", "six AOs of Ton rayon",
                 "some ayil okmots (not named)", "canal-side areas of Kyrgyzstan (border area of Batken rayon)"):
        cell = split_places(text)
        assert cell.names == () and cell.descriptive == (text,), text


def test_split_places_keeps_alternative_names_and_drops_remarks():
    assert split_places("Jetioguz AO (also called Kabak AO)").names == ("Jetioguz AO|Kabak AO",)
    assert split_places("Kuu-Maidan; Kenesh (3 villages of Kenesh LSG)").names == ("Kuu-Maidan", "Kenesh")
    assert split_places("Otogon LSG (8 villages)").names == ("Otogon LSG",)
    assert split_places("").empty and split_places(None).empty


# -- the gazetteer on a synthetic map --------------------------------------------------------
# Test-only, synthetic geometry: squares for oblasts and rayons, points for settlements.
# The names are real spellings (as the shipped files write them); the positions are not.

@pytest.fixture
def admin_units():
    return gpd.GeoDataFrame(
        {"pcode": ["KG-N", "KG-Y", "KG-C", "KG-N-KOCHKOR", "KG-N-NARYN", "KG-Y-TONG", "KG-C-TOKMOK"],
         "level": [1, 1, 1, 2, 2, 2, 2],
         "parent_pcode": ["KG", "KG", "KG", "KG-N", "KG-N", "KG-Y", "KG-C"],
         "name_en": ["Naryn", "Ysyk-Köl", "Chüy", "Kochkor", "Naryn", "Tong", "Tokmok"],
         "name_ru": ["Нарынская область", "Иссык-Кульская область", "Чуйская область", "Кочкорский район",
                     "Нарынский район", "Тонский район", None]},
        geometry=[box(74, 40, 76, 41), box(76, 41, 78, 42), box(74, 41, 76, 42), box(74, 40, 75, 41),
                  box(75, 40, 76, 41), box(76, 41, 77, 42), box(75.5, 41.5, 75.6, 41.6)],
        crs=4326,
    )


@pytest.fixture
def settlements():
    return gpd.GeoDataFrame(
        {"settlement_id": ["gn:1", "gn:2", "gn:3", "gn:4"],
         "name_en": ["Tokmok", "Kochkor", "Kyzyl-Tuu", "Kyzyl-Tuu"],
         "name_ru": ["Токмок", "Кочкор", "Кызыл-Туу", "Кызыл-Туу"],
         "alt_names": ["Tokmak|Токмак", None, "Kyzyltuu", None],
         "population": [71443, 10000, 1703, 500],
         "oblast_pcode": ["KG-C", "KG-N", "KG-Y", "KG-N"]},
        geometry=[Point(75.55, 41.55), Point(74.5, 40.5), Point(76.5, 41.5), Point(75.8, 40.2)],
        crs=4326,
    )


@pytest.fixture
def gaz(admin_units, settlements):
    return Gazetteer(admin_units, settlements)


def test_oblast_variants(gaz):
    for name in ("Issyk-Kul", "Ysyk-Köl", "Issyk Kul oblast", "Иссык-Кульская область"):
        assert gaz.oblast(name) == "KG-Y", name
    assert gaz.oblast("Chui") == "KG-C"
    assert gaz.oblast("Sogdii") is None


def test_rayon_inside_its_oblast(gaz):
    assert gaz.rayon("Kochkor", "KG-N") == "KG-N-KOCHKOR"
    assert gaz.rayon("Kochkor") == "KG-N-KOCHKOR"
    assert gaz.rayon("Kochkor", "KG-Y") is None  # named in the wrong oblast
    assert gaz.rayon("Ton", "KG-Y") == "KG-Y-TONG"
    assert gaz.rayon("Naryn", "KG-N") == "KG-N-NARYN"  # the rayon, not the oblast of that name


def test_settlement_lookup_checks_the_oblast(gaz):
    match = gaz.settlement("Tokmok city", "KG-C")
    assert match.found and match.best["settlement_id"] == "gn:1"
    assert match.best["_rayon"] == "KG-C-TOKMOK"
    assert not gaz.settlement("Tokmok city", "KG-N").found
    assert len(gaz.settlement("Tokmok city", "KG-N").rejected) == 1


def test_same_name_in_two_oblasts(gaz):
    in_ysyk_kol = gaz.settlement("Kyzyltuu", "KG-Y")
    assert list(in_ysyk_kol.rows["settlement_id"]) == ["gn:3"]
    anywhere = gaz.settlement("Kyzyl Tuu")
    assert list(anywhere.rows["settlement_id"]) == ["gn:3", "gn:4"]  # most populous first
    assert anywhere.spread_m > 100_000


def test_no_level3_without_import(gaz):
    assert not gaz.has_level3


# -- the shipped files ------------------------------------------------------------------------

SHIPPED = (settings.OBLAST_FILE, settings.RAYON_FILE, settings.SETTLEMENT_FILE)


@pytest.fixture(scope="module")
def shipped_gaz():
    missing = [p.name for p in SHIPPED if not p.exists()]
    if missing:
        pytest.skip(f"shipped reference data not built yet (missing {', '.join(missing)}); "
                    "run scripts/build_reference_data.py")
    read = lambda p: gpd.read_file(p, engine="pyogrio")  # noqa: E731
    admin = gpd.GeoDataFrame(pd.concat([read(settings.OBLAST_FILE), read(settings.RAYON_FILE)], ignore_index=True),
                             geometry="geometry", crs=4326)
    return Gazetteer(admin, read(settings.SETTLEMENT_FILE))


def test_shipped_oblast_variants(shipped_gaz):
    for name in ("Issyk-Kul", "Ysyk-Köl", "Issyk Kul", "Ysyk-Kol"):
        assert shipped_gaz.oblast(name) == "KG-Y", name
    for name in ("Chui", "Chüy", "Chuy"):
        assert shipped_gaz.oblast(name) == "KG-C", name
    assert shipped_gaz.oblast("Jalal-Abad") == "KG-J"


def test_shipped_rayons(shipped_gaz):
    assert shipped_gaz.rayon("Kochkor", shipped_gaz.oblast("Naryn")) == "KG-N-KOCHKOR"
    expected = {"Issyk-Ata": "KG-C-YSYK-ATA", "Jetioguz": "KG-Y-JETI-OGUZ", "Aksuu": "KG-Y-AK-SUU",
                "Ton": "KG-Y-TONG", "Alai": "KG-O-ALAY", "Karasuu": "KG-O-KARA-SUU", "Kara-Buura": "KG-T-KARA-BUURA",
                "Usgen": "KG-O-UZGEN"}
    for name, pcode in expected.items():
        assert shipped_gaz.rayon(name) == pcode, name


def test_shipped_cities(shipped_gaz):
    assert shipped_gaz.settlement("Tokmok city", "KG-C").best["settlement_id"] == "gn:1527199"
    jalal_abad = shipped_gaz.settlement("Jalal-Abad city", "KG-J")
    assert jalal_abad.found and jalal_abad.best["population"] > 100_000


def test_every_oblast_and_rayon_of_the_seed_is_found(shipped_gaz):
    """Each Kyrgyz oblast and rayon the seed table names matches a unit (rayons inside their oblast)."""
    raw = pd.read_csv(settings.SEED_PROJECTS_FILE, dtype=str, keep_default_na=False)
    for oblast_cell, rayon_cell in set(zip(raw["oblast"], raw["rayon"])):
        oblasts = [shipped_gaz.oblast(n) for n in split_places(oblast_cell).names]
        assert all(oblasts), oblast_cell
        for name in split_places(rayon_cell).names:
            within = oblasts[0] if len(oblasts) == 1 else None
            assert shipped_gaz.rayon(name, within), (rayon_cell, oblast_cell)
