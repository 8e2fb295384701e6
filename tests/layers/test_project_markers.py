import folium

from layers.project_markers import ProjectMarkers, marker_rows
from layers.safe_json import script_json


def test_script_json_cannot_close_a_script_block():
    text = script_json(["</script><script>alert(1)</script>", "\u2028"])
    assert "</script>" not in text and "\u2028" not in text


def test_marker_rows_carry_titles_as_data_not_html(few_projects):
    rows, sectors = marker_rows(few_projects)
    assert len(rows) == 3
    titles = [r[4] for r in rows]
    assert "<script>alert(1)</script> school" in titles
    fmap = folium.Map(tiles=None)
    ProjectMarkers(rows, sectors, ["Place"]).add_to(fmap)
    html = fmap.get_root().render()
    assert "<script>alert(1)</script> school" not in html
    assert "textContent" in html


def test_unknown_sector_drawn_as_other(few_projects):
    projects = few_projects.assign(sector=["no_such_sector", None, "school"])
    rows, sectors = marker_rows(projects)
    other = [s for s in sectors if s[0] == "#7f7f7f"][0]
    assert sectors[rows[0][2]] == other and sectors[rows[1][2]] == other
