import pandas as pd

from geo.filters import ProjectFilter, filter_projects


def _funding():
    return pd.DataFrame({"project_id": ["P1", "P3"], "source_type": ["local budget", "donor grant"]})


def test_no_filter_keeps_all(few_projects):
    assert len(filter_projects(few_projects, _funding(), ProjectFilter())) == 3


def test_unit_sector_source_and_precision(few_projects):
    f = filter_projects(few_projects, _funding(), ProjectFilter(unit_pcode="KG-B", unit_level=1))
    assert sorted(f["project_id"]) == ["P2", "P3"]
    assert list(filter_projects(few_projects, _funding(), ProjectFilter(sectors=("school",)))["project_id"]) == ["P2"]
    assert list(filter_projects(few_projects, _funding(), ProjectFilter(source_types=("donor grant",)))["project_id"]) == ["P3"]
    assert list(filter_projects(few_projects, _funding(), ProjectFilter(precisions=(2,)))["project_id"]) == ["P1"]


def test_year_range_overlap_and_undated(few_projects):
    in_2002 = ProjectFilter(year_range=(2002, 2002), include_undated=False)
    assert list(filter_projects(few_projects, _funding(), in_2002)["project_id"]) == ["P1"]
    with_undated = ProjectFilter(year_range=(2002, 2002), include_undated=True)
    assert sorted(filter_projects(few_projects, _funding(), with_undated)["project_id"]) == ["P1", "P2"]
