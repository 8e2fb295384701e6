"""Donor page: where one donor's (or one type of source's) money went.

Thin: every figure comes from :mod:`geo.funding` and :mod:`geo.currency`. Amounts
stay in their own currency unless the user converts them with the editable rates
table; every table shows the rate and the split rule used. Texts from data are
escaped before they reach map or SVG HTML.
"""
from __future__ import annotations

import base64
import html
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import currency, funding as fn
from geo.errors import AimakError
from geo.schema import FUNDING_SOURCE_TYPES
from geo.settings import PROJECT_ROOT
from layers.base_map import finish, new_map
from layers.boundaries import unit_name
from layers.legend import Legend, fill_swatch
from ui.auth_ui import reason_text
from ui.common import lang, load_layer, num, tr
from ui.downloads import download_buttons

#: Where the user's rates table is kept (the default comes from the documents).
RATES_FILE = PROJECT_ROOT / "var" / "currency_rates.csv"

_BLUES = ("#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
_NO_DATA = "#d9d9d9"
_PROJECT_DOT = ('<span style="display:inline-block;width:11px;height:11px;border-radius:50%;background:#d7301f;'
                'border:1px solid #444;vertical-align:middle"></span>')

#: Column → message key for the tables shown on this page and the unit page.
HEADERS = {
    "source_name": "col.source_name", "source_type": "col.source_type", "sector": "col.sector", "year": "col.year",
    "oblast_pcode": "col.oblast", "currency": "col.currency", "amount": "col.amount", "n_projects": "col.n_projects",
    "n_without_amount": "col.n_without_amount", "rates_used": "col.rates_used", "split_rule": "col.split_rule",
    "title": "col.project", "project_id": "col.project_id", "beneficiaries": "col.beneficiaries",
    "per_beneficiary": "col.per_beneficiary", "complete": "col.complete", "amount_resolved": "col.amount",
    "currency_resolved": "col.currency", "amount_basis": "col.amount_basis", "share_pct": "col.share_pct",
    "village": "col.village", "beneficiaries_total": "col.beneficiaries",
}


def headers(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with translated column headers (only the columns listed in :data:`HEADERS`)."""
    return frame.rename(columns={c: tr(HEADERS[c]) for c in frame.columns if c in HEADERS})


def msg_or_raw(key: str, raw) -> str:
    """The message ``key`` when the catalogues have it, else the raw value; missing → "unknown"."""
    if raw is None or (not isinstance(raw, str) and pd.isna(raw)):
        return tr("unknown")
    text = tr(key)
    return str(raw) if text == key else text


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=")


def md_escape(value) -> str:
    """Text from data made safe for Markdown: every Markdown punctuation mark escaped."""
    text = "—" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def text_or_dash(series: pd.Series) -> pd.Series:
    """Data text as it is, a dash where missing (instead of "None"/"<NA>")."""
    return series.astype("object").where(series.notna(), "—").astype(str)


def year_text(series: pd.Series) -> pd.Series:
    """Years as plain digits (no thousands separator), a dash where unknown."""
    return series.map(lambda v: str(int(v)) if pd.notna(v) else "—")


#: ``split_rule`` sentences of :mod:`geo.funding` → message key (fixed sentences).
_SPLIT_FIXED = {
    fn.NOT_SPLIT_RULE: "split.not_split",
    "one location: whole amount": "split.single",
    "per-location percentage": "split.percentage",
    "per-location percentage where given, the rest split equally": "split.percentage_rest_equal",
    "no location recorded: whole amount without a place": "split.no_location",
}
#: The sentences with numbers in them: pattern → message key (named groups become fields).
_SPLIT_PATTERNS = (
    (re.compile(r"^per-location percentages rescaled to 100% \(they add up to (?P<pct>[\d.]+)%\)$"), "split.percentage_rescaled"),
    (re.compile(r"^equal split across (?P<n>\d+) locations \(AidData method\)$"), "split.equal"),
    (re.compile(r"^equal split across (?P<n>\d+) locations \(the given percentages add up to (?P<pct>[\d.]+)%\)$"),
     "split.equal_bad_percentages"),
)


def split_rule_text(value) -> str:
    """A ``split_rule`` from :mod:`geo.funding` (one sentence or several joined by "; ") in the chosen language."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip():
        return "—"
    parts = []
    for part in str(value).split("; "):
        if part in _SPLIT_FIXED:
            parts.append(tr(_SPLIT_FIXED[part]))
            continue
        for pattern, key in _SPLIT_PATTERNS:
            match = pattern.match(part)
            if match:
                fields = {k: num(float(v), 0 if float(v).is_integer() else 1) for k, v in match.groupdict().items()}
                parts.append(tr(key, **fields))
                break
        else:
            parts.append(part)
    return "; ".join(parts)


_RATE = re.compile(r"^(?P<cur>[A-Z]{3}) 1 = (?P<rate>[\d.]+) (?P<to>[A-Z]{3}) \((?P<date>.*)\)$")


def rates_used_text(value) -> str:
    """``rates_used`` of :func:`geo.funding.totals` ("USD 1 = 38.5 KGS (2006)"; several joined by "; ")
    with the number and the missing-date words in the chosen language."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip():
        return "—"
    parts = []
    for part in str(value).split("; "):
        match = _RATE.match(part)
        if not match:
            parts.append(part)
            continue
        rate = float(match["rate"])
        date = match["date"].strip()
        date = tr("donors.rate_date_unknown") if date in ("", "date not stated") else date
        decimals = len(f"{rate:.6f}".rstrip("0").split(".")[1])  # as many as the rate has: 38.5, 0.011
        parts.append(tr("donors.rate_text", currency=match["cur"], rate=num(rate, decimals),
                        to=match["to"], date=date))
    return "; ".join(parts)


def rates_table() -> pd.DataFrame:
    """The user's saved rates, or the documents' default."""
    try:
        return currency.rates_or_default(RATES_FILE)
    except AimakError as exc:
        st.warning(tr("donors.failed", reason=reason_text(exc)))
        return currency.default_rates()


def currency_controls(key: str) -> pd.DataFrame | None:
    """Radio 'keep separate / convert to KGS' and the editable rates; returns the rates or None."""
    modes = {"separate": tr("donors.keep_separate"), "kgs": tr("donors.convert_kgs")}
    mode = st.radio(tr("donors.currency_mode"), list(modes), key=f"{key}_cur", format_func=modes.get)
    rates = rates_table()
    with st.expander(tr("donors.rates")):
        st.caption(tr("donors.rates_note"))
        edited = st.data_editor(
            _default_texts_translated(rates), num_rows="dynamic", hide_index=True, key=f"{key}_rates_editor",
            column_config={c: st.column_config.Column(tr(f"rates.col.{c}")) for c in currency.RATE_COLUMNS},
        )
        if st.button(tr("donors.rates_save"), key=f"{key}_rates_save"):
            try:
                currency.save_rates(edited, RATES_FILE)
                st.success(tr("donors.rates_saved"))
                rates = currency.load_rates(RATES_FILE)
            except AimakError as exc:
                st.error(tr("donors.failed", reason=reason_text(exc)))
    return rates if mode == "kgs" else None


def _default_texts_translated(rates: pd.DataFrame) -> pd.DataFrame:
    """The rates table with the documents' default notes and sources in the chosen language.

    Only texts equal to :func:`geo.currency.default_rates` are replaced; anything a
    user typed stays as typed.
    """
    out = rates.copy()
    defaults = currency.default_rates().set_index("currency")
    for col in ("source", "note"):
        for i, (cur, text) in enumerate(zip(out["currency"], out[col])):
            if cur in defaults.index and pd.notna(text) and text and text == defaults.loc[cur, col]:
                out.loc[out.index[i], col] = tr(f"rates.{col}.{cur}")
    return out


def totals_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A totals frame ready to show: formatted amounts, translated codes and headers."""
    out = frame.drop(columns=[c for c in ("n_rows", "n_with_amount", "n_from_share", "converted") if c in frame.columns]).copy()
    out["amount"] = out["amount"].map(num)
    if "split_rule" in out.columns:
        if (out["split_rule"] == fn.NOT_SPLIT_RULE).all():
            out = out.drop(columns="split_rule")  # the page caption states the rule
        else:
            out["split_rule"] = out["split_rule"].map(split_rule_text)
    if "rates_used" in out.columns:
        if out["rates_used"].fillna("").eq("").all():
            out = out.drop(columns="rates_used")  # nothing was converted
        else:
            out["rates_used"] = out["rates_used"].map(rates_used_text)
    if "source_type" in out.columns:
        out["source_type"] = out["source_type"].map(lambda s: msg_or_raw(f"source_type.{s}", s))
    if "sector" in out.columns:
        out["sector"] = out["sector"].map(lambda s: msg_or_raw(f"sector.{s}", s))
    if "year" in out.columns:
        out["year"] = year_text(out["year"])
    for col in ("currency", "oblast_pcode"):
        if col in out.columns:
            out[col] = text_or_dash(out[col])
    return headers(out)


# -- map --------------------------------------------------------------------------------------


def _classes(values: pd.Series) -> tuple[np.ndarray, list[float]]:
    """Quantile classes (up to 5) of positive values; -1 where missing."""
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    known = v[v.notna()]
    if known.empty:
        return np.full(len(v), -1), []
    edges = sorted(set(np.quantile(known, np.linspace(0, 1, min(5, known.nunique()) + 1)[1:-1]).tolist()))
    cls = np.searchsorted(edges, v.fillna(-1).to_numpy(), side="right")
    return np.where(v.isna(), -1, cls), edges


def _donor_map(by_oblast: pd.DataFrame, rows: pd.DataFrame, projects: gpd.GeoDataFrame, admin: gpd.GeoDataFrame,
               map_currency: str) -> folium.Map:
    fmap = new_map(basemap="plain", relief_name=tr("map.base.relief"), plain_name=tr("map.base.plain"))
    oblasts = admin[admin["level"] == 1].copy()
    amounts = by_oblast[(by_oblast["currency"] == map_currency)].groupby("oblast_pcode")["amount"].sum(min_count=1)
    oblasts["value"] = oblasts["pcode"].map(amounts).astype("float64")
    oblasts["cls"], edges = _classes(oblasts["value"])
    oblasts["label"] = unit_name(oblasts, lang()).map(html.escape)
    oblasts["shown"] = [html.escape(f"{num(v)} {map_currency}") if pd.notna(v) else html.escape(tr("donors.no_amount"))
                        for v in oblasts["value"]]
    data = oblasts[["pcode", "label", "shown", "cls", "geometry"]]

    def style(feature):
        cls = feature["properties"]["cls"]
        if cls < 0:
            return {"color": "#666", "weight": 1, "fillColor": _NO_DATA, "fillOpacity": 0.35, "dashArray": "3 3"}
        return {"color": "#444", "weight": 1, "fillColor": _BLUES[min(cls, 4)], "fillOpacity": 0.75}

    folium.GeoJson(data.to_json(drop_id=True), name=tr("donors.map"), style_function=style,
                   tooltip=folium.GeoJsonTooltip(fields=["label", "shown"], aliases=["", ""])).add_to(fmap)
    group = folium.FeatureGroup(name=tr("map.layer.projects"))
    located = projects[projects["project_id"].isin(rows["project_id"]) & projects.geometry.notna() & ~projects.geometry.is_empty]
    points = located.geometry.representative_point()
    for pid, title, point in zip(located["project_id"], located["title"], points):
        mine = rows[rows["project_id"] == pid]
        amounts_text = "; ".join(f"{num(a)} {c}" for a, c in zip(mine["amount_resolved"], mine["currency_resolved"]) if pd.notna(a))
        tip = f"{title} — {amounts_text or tr('donors.no_amount')}"  # escaped below
        folium.CircleMarker([point.y, point.x], radius=6, color="#d7301f", fill=True, fill_opacity=0.8, weight=1,
                            tooltip=html.escape(tip)).add_to(group)
    group.add_to(fmap)
    known = oblasts["value"].dropna()
    entries = []
    if len(known):
        lows = [float(known.min()), *edges]
        highs = [*edges, float(known.max())]
        entries = [(fill_swatch(_BLUES[min(i, 4)]), f"{num(lo)} – {num(hi)}" if lo != hi else num(lo))
                   for i, (lo, hi) in enumerate(zip(lows, highs))]
    entries.append((fill_swatch(_NO_DATA), tr("donors.no_amount")))
    entries.append((_PROJECT_DOT, tr("map.layer.projects")))
    Legend(tr("donors.legend", currency=map_currency), entries, note=tr("donors.map_note"),
           position="top:10px; left:54px").add_to(fmap)
    return finish(fmap)


# -- Sankey as SVG -------------------------------------------------------------------------------


def sankey_svg(links: pd.DataFrame, width: int = 900, height: int = 440) -> str:
    """A three-column Sankey (donor → sector → oblast) as inline SVG; labels escaped."""
    if links.empty:
        return ""
    columns = {"donor": 0, "sector": 1, "oblast": 2}
    nodes: dict[tuple[str, str], float] = {}
    for kind_col, name_col in (("source_kind", "source"), ("target_kind", "target")):
        sums = links.groupby([kind_col, name_col])["value"].sum()
        for (kind, name), value in sums.items():
            nodes[(kind, name)] = max(nodes.get((kind, name), 0.0), float(value))
    gap, pad_x, node_w = 6, 215, 12
    totals = {c: sum(v for (k, _), v in nodes.items() if k == c) for c in columns}
    counts = {c: sum(1 for (k, _) in nodes if k == c) for c in columns}
    scale = min((height - gap * (counts[c] + 1)) / totals[c] for c in columns if totals[c] > 0)
    xs = {c: pad_x + i * (width - 2 * pad_x - node_w) / 2 for c, i in columns.items()}
    y_of: dict[tuple[str, str], float] = {}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             'font-family="sans-serif" font-size="11">']
    for c in columns:
        y = gap
        for key in sorted((k for k in nodes if k[0] == c), key=lambda k: -nodes[k]):
            y_of[key] = y
            h = max(nodes[key] * scale, 1)
            full = html.escape(f"{key[1]}: {num(nodes[key])}")
            parts.append(f'<rect x="{xs[c]:.1f}" y="{y:.1f}" width="{node_w}" height="{h:.1f}" fill="#4c72b0">'
                         f'<title>{full}</title></rect>')
            if h >= 7:  # labels of very thin nodes would overlap; their tooltip still names them
                label = html.escape(key[1][:32] + ("…" if len(key[1]) > 32 else ""))
                anchor, lx = ("end", xs[c] - 4) if c != "oblast" else ("start", xs[c] + node_w + 4)
                parts.append(f'<text x="{lx:.1f}" y="{y + h / 2 + 4:.1f}" text-anchor="{anchor}">{label}</text>')
            y += h + gap
    out_off = dict.fromkeys(nodes, 0.0)
    in_off = dict.fromkeys(nodes, 0.0)
    for _, link in links.sort_values("value", ascending=False).iterrows():
        s, t = (link["source_kind"], link["source"]), (link["target_kind"], link["target"])
        w = max(float(link["value"]) * scale, 0.5)
        y0 = y_of[s] + out_off[s] + w / 2
        y1 = y_of[t] + in_off[t] + w / 2
        out_off[s] += w
        in_off[t] += w
        x0, x1 = xs[s[0]] + node_w, xs[t[0]]
        mid = (x0 + x1) / 2
        tip = html.escape(f"{link['source']} → {link['target']}: {num(link['value'])} {link['currency']}")
        parts.append(f'<path d="M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}" '
                     f'stroke="#4c72b0" stroke-opacity="0.35" stroke-width="{w:.1f}" fill="none"><title>{tip}</title></path>')
    parts.append("</svg>")
    return "".join(parts)


def _labelled(links: pd.DataFrame) -> pd.DataFrame:
    """Sector names and the 'unknown' label in the chosen language."""
    out = links.copy()
    for side in ("source", "target"):
        sector = out[f"{side}_kind"] == "sector"
        out.loc[sector, side] = out.loc[sector, side].map(
            lambda s: tr("unknown") if s == fn.UNKNOWN_LABEL else tr(f"sector.{s}"))
        out.loc[out[side] == fn.UNKNOWN_LABEL, side] = tr("unknown")
    return out


def _top_donors(links: pd.DataFrame, keep: int = 12) -> pd.DataFrame:
    """Group all but the ``keep`` largest donors into one node, so the diagram stays readable."""
    first = links[links["stage"] == "donor_sector"]
    ranked = first.groupby("source")["value"].sum().sort_values(ascending=False)
    small = set(ranked.index[keep:])
    if not small:
        return links
    out = links.copy()
    out.loc[(out["stage"] == "donor_sector") & out["source"].isin(small), "source"] = tr("donors.other_donors")
    return out.groupby(["stage", "source", "target", "source_kind", "target_kind", "currency"], as_index=False)["value"].sum()


def _with_project_geometry(table: pd.DataFrame, rows: pd.DataFrame, projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The shown rows table with each row's project geometry, for GeoJSON/GeoPackage downloads."""
    geometry = rows["project_id"].map(projects.drop_duplicates("project_id").set_index("project_id").geometry)
    return gpd.GeoDataFrame(table, geometry=geometry.to_numpy(), crs=projects.crs)


# -- page -----------------------------------------------------------------------------------------


def _pick_donor(funding: pd.DataFrame) -> str | None:
    """The donor chosen in the sidebar, listed by the number of projects they fund (most first,
    then by name); ``?donor=NAME`` in the URL preselects one (shareable)."""
    counts = funding.dropna(subset=["source_name"]).groupby("source_name")["project_id"].nunique()
    names = sorted(counts.index, key=lambda name: (-int(counts[name]), str(name)))
    if not names:
        return None
    wanted = st.query_params.get("donor")
    if wanted and wanted in names and "donor_name" not in st.session_state:
        st.session_state["donor_name"] = wanted
    donor = st.selectbox(tr("donors.donor"), names, key="donor_name")
    if donor and st.query_params.get("donor") != donor:
        st.query_params["donor"] = donor
    return donor


def _rows_table(rows: pd.DataFrame) -> pd.DataFrame:
    table = rows[["project_id", "title", "village", "source_name", "source_type", "amount_resolved",
                  "currency_resolved", "share_pct", "amount_basis"]].copy()
    table["source_type"] = table["source_type"].map(lambda s: msg_or_raw(f"source_type.{s}", s))
    table["amount_basis"] = table["amount_basis"].map(lambda b: msg_or_raw(f"amount_basis.{b}", b))
    table["amount_resolved"] = table["amount_resolved"].map(num)
    table["share_pct"] = table["share_pct"].map(lambda v: num(v, 0 if pd.isna(v) or float(v).is_integer() else 1))
    for col in ("project_id", "title", "village", "source_name", "currency_resolved"):
        table[col] = text_or_dash(table[col])
    return headers(table)


def render() -> None:
    projects = load_layer("projects")
    funding = load_layer("funding")
    beneficiaries = load_layer("beneficiaries")
    admin = load_layer("admin_units")
    st.title(tr("page.donors"))

    with st.sidebar:
        modes = {"donor": tr("donors.by_donor"), "type": tr("donors.by_type")}
        mode = st.radio(tr("donors.pick_by"), list(modes), key="donor_mode", format_func=modes.get)
        if mode == "donor":
            donor = _pick_donor(funding)
            source_type = None
        else:
            donor = None
            types = {s: msg_or_raw(f"source_type.{s}", s) for s in FUNDING_SOURCE_TYPES}
            source_type = st.selectbox(tr("donors.source_type"), list(types), key="donor_type", format_func=types.get)
        rates = currency_controls("donors")

    if donor is None and source_type is None:
        st.info(tr("donors.none"))
        return
    summary = fn.donor_summary(funding, projects, beneficiaries, donor=donor, source_type=source_type,
                               match="exact" if donor else "contains", rates=rates)
    st.header(md_escape(donor) if donor else msg_or_raw(f"source_type.{source_type}", source_type))
    if summary.rows.empty:
        st.info(tr("donors.none"))
        return
    st.markdown(f"**{tr('donors.projects', n=num(summary.n_projects))}**")
    st.caption(tr("donors.split_note"))
    if rates is not None:
        st.caption(tr("donors.converted_note"))

    st.subheader(tr("donors.totals"))
    _shown = totals_table(summary.totals)
    st.dataframe(_shown, hide_index=True, width="stretch")
    download_buttons(_shown, "donor_totals", "dl_donor_totals")

    st.subheader(tr("donors.map"))
    currencies = [c for c in summary.by_oblast["currency"].dropna().unique()]
    if currencies:
        map_currency = st.selectbox(tr("donors.map_currency"), currencies, key="donor_map_currency")
        st_folium(_donor_map(summary.by_oblast, summary.rows, projects, admin, map_currency),
                  height=480, use_container_width=True, key="donor_map", returned_objects=[])
    else:
        st.caption(tr("donors.no_amount"))
    names = dict(zip(admin["pcode"], unit_name(admin, lang())))
    _shown = totals_table(summary.by_oblast.assign(
        oblast_pcode=summary.by_oblast["oblast_pcode"].map(names).fillna(tr("unknown"))))
    st.dataframe(_shown, hide_index=True, width="stretch")
    download_buttons(_shown, "donor_by_oblast", "dl_donor_oblast")

    st.subheader(tr("donors.sankey"))
    selected = fn.select_funding(funding, donor=donor, source_type=source_type, match="exact" if donor else "contains")
    links = fn.sankey_flows(selected, projects, admin, rates=rates, name_col=f"name_{lang()}")
    if len(links):
        by_value = links.groupby("currency")["value"].sum().sort_values(ascending=False)
        shown = by_value.index[0]
        st.caption(tr("donors.sankey_currency", currency=shown))
        # st.html sanitises SVG away. As a data: URL the SVG gets an iframe of its own origin (no access to
        # the app) and keeps its <title> tooltips; every label in it is escaped by sankey_svg.
        svg = sankey_svg(_top_donors(_labelled(links[links["currency"] == shown])))
        st.iframe("data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"), height=450)
    else:
        st.caption(tr("donors.no_amount"))

    st.subheader(tr("donors.by_sector"))
    _shown = totals_table(summary.by_sector)
    st.dataframe(_shown, hide_index=True, width="stretch")
    download_buttons(_shown, "donor_by_sector", "dl_donor_sector")
    st.subheader(tr("donors.per_beneficiary"))
    st.caption(tr("donors.per_beneficiary_note"))
    per = summary.per_beneficiary.copy()
    if len(per):
        for col in ("amount", "beneficiaries"):
            per[col] = per[col].map(num)
        # small figures keep two decimals (1 300 USD / 369 people = 3.52, not 4)
        per["per_beneficiary"] = per["per_beneficiary"].map(lambda v: num(v, 2 if pd.notna(v) and abs(v) < 100 else 0))
        per["sector"] = per["sector"].map(lambda s: msg_or_raw(f"sector.{s}", s))
        per["currency"] = text_or_dash(per["currency"])
        _shown = headers(per[["project_id", "title", "sector", "currency", "amount", "beneficiaries",
                                  "per_beneficiary", "complete"]])
        st.dataframe(_shown, hide_index=True, width="stretch")
        download_buttons(_shown, "donor_per_beneficiary", "dl_donor_per_beneficiary")

    st.subheader(tr("donors.table"))
    _shown = _rows_table(summary.rows)
    st.dataframe(_shown, hide_index=True, width="stretch")
    download_buttons(_with_project_geometry(_shown, summary.rows, projects), "aimak_funding", "dl_donor_rows")
