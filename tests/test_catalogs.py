"""The five catalogs: they lint clean, Yantai matches its tables, the linter finds problems."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from indicators import catalog_ids, lint, load
from indicators.catalog import lint_catalog
from indicators.model import Catalog
from indicators.sources import source_problems

ROOT = Path(__file__).resolve().parents[1]


# 烟台 table rows as printed: name, unit, 2021, 2025, attribute.
YANTAI_TABLE = [
    ("机构养老床位数", "个", 39000, "47000", "预期性"),
    ("每千名老人拥有养老床位", "张", 44.8, "46.5", "预期性"),
    ("护理型床位占比", "%", 54, "70", "约束性"),
    ("公办养老床位数", "个", 13400, "14400", "预期性"),
    ("普惠养老床位数", "个", 22000, "30000", "预期性"),
    ("基本养老保险参保率", "%", 95.7, "96.5", "预期性"),
    ("失能特困人员集中供养率", "%", 50, "60", "约束性"),
    ("有集中供养意愿的特困人员集中供养率", "%", 100, "100", "约束性"),
    ("城市社区养老服务设施配建达标率", "%", 81, "100", "约束性"),
    ("新建居住区配建养老服务设施达标率", "%", 100, "100", "约束性"),
    ("农村社区养老服务设施配建达标率", "%", 88, "100", "预期性"),
    ("乡镇综合养老服务中心覆盖率", "%", 77, "90", "预期性"),
    ("五星级养老机构数量", None, 14, "20", "预期性"),
    ("人均预期寿命", "岁", 80.5, "81.5左右", "预期性"),
    ("托位总数", "个", 11500, "33000", "预期性"),
    ("普惠托位", "个", 5000, "15000", "预期性"),
    ("市级示范托育服务机构累计数", "个", 10, "50", "预期性"),
    ("每千人口拥有托位数", "个", 1.6, "4.6", "约束性"),
    ("婴幼儿入托率", "%", 2.3, "13.3", "预期性"),
    ("新生儿访视率", "%", 89, "98.5", "约束性"),
    ("预防接种率", "%", 90, "95", "约束性"),
    ("婴幼儿早期发展指导覆盖面", "%", 88, "96", "预期性"),
    ("新建住宅小区配套托育服务设施覆盖率", "%", 40, "100", "预期性"),
    ("5千至1.2万人口规模的完整社区托育服务设施达标率", "%", 20, "60", "预期性"),
    ("从业人员持证上岗率", "%", 50, "90", "预期性"),
]


def test_there_are_five_catalogs():
    assert catalog_ids() == ["lanzhou", "liuzhou", "panzhihua", "qinghai", "yantai"]


@pytest.mark.parametrize("cid", ["yantai", "liuzhou", "lanzhou", "qinghai", "panzhihua"])
def test_catalog_lints_clean(cid):
    assert lint(cid) == []
    assert load(cid).catalog.seed_sha256 is not None


@pytest.mark.parametrize("cid", ["yantai", "liuzhou", "lanzhou", "qinghai", "panzhihua"])
def test_catalog_quotes_its_plan_unchanged(cid, plan_texts):
    assert source_problems(load(cid).catalog, plan_texts) == []


def test_a_changed_plan_or_a_wrong_quote_is_noticed(tmp_path):
    catalog = load("yantai").catalog
    first = catalog.indicators[0]
    quote = "到2025年，全市养老床位总数达到2.6万张"
    moved = first.model_copy(update={"source": first.source.model_copy(update={"quote": quote})})
    edited = catalog.model_copy(update={"indicators": (moved, *catalog.indicators[1:])})
    (tmp_path / catalog.seed).write_text("另一份文件：到2025年，全市养老床位总数达到3万张", "utf-8")
    paths = {problem.path for problem in source_problems(edited, tmp_path)}
    assert "seed_sha256" in paths  # the file is not the one the catalog was made from
    assert "indicators[0].source.quote" in paths
    assert source_problems(edited, tmp_path / "nowhere")[0].path == "seed"


def test_yantai_tables_match_the_document(plan_texts):
    catalog = load("yantai").catalog
    table = [ind for ind in catalog.indicators if ind.required]
    assert len(table) == 25
    attribute = {"binding": "约束性", "expected": "预期性"}
    for ind, (name, unit, base, target_text, attr) in zip(table, YANTAI_TABLE, strict=True):
        assert (ind.name, ind.unit, ind.baseline.year, ind.baseline.value) == (
            name,
            unit,
            2021,
            base,
        )
        assert (ind.target.year, ind.target.text, attribute[ind.attribute]) == (
            2025,
            target_text,
            attr,
        )
        row = f"{name}({unit})" if unit else name
        assert row in (plan_texts / catalog.seed).read_text(encoding="utf-8")


def test_yantai_text_targets():
    catalog = load("yantai").catalog
    assert catalog.indicator("family_care_beds").target.value == 5000
    assert catalog.indicator("geriatrics_department_rate").target.value == 60
    assert catalog.indicator("life_expectancy").target.comparator == "≈"


def test_other_catalog_targets_read_from_text():
    liuzhou = load("liuzhou").catalog
    assert liuzhou.indicator("elderly_beds_total").target.value == 26000
    lanzhou = load("lanzhou").catalog.indicator("inclusive_price_ratio").target
    assert (lanzhou.comparator, lanzhou.value) == ("≤", 80)
    panzhihua = load("panzhihua").catalog
    assert panzhihua.indicator("geriatrics_department_rate").target.comparator == ">"
    bases = panzhihua.indicator("elderly_training_bases").target
    assert (bases.comparator, bases.value, bases.high) == ("range", 2, 3)
    assert panzhihua.indicator("social_workers_per_1000_elderly").kind == "rate"


def _yantai_raw():
    return yaml.safe_load((ROOT / "indicators/catalogs/yantai.yaml").read_text(encoding="utf-8"))


def _lint_raw(tmp_path, raw):
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return [(p.path, p.message) for p in lint(str(path))]


def test_lint_finds_unknown_keys(tmp_path):
    raw = _yantai_raw()
    raw["indicators"][2]["bogus"] = 1
    assert ("indicators[2].bogus", "未知的键“bogus”") in _lint_raw(tmp_path, raw)


def test_lint_finds_a_target_against_its_direction(tmp_path):
    raw = _yantai_raw()
    raw["indicators"][0]["target"].update(value=30000, text="30000")
    paths = [p for p, _ in _lint_raw(tmp_path, raw)]
    assert "indicators[0].target.value" in paths


def test_lint_finds_percent_over_100_unknown_relation_and_duplicates(tmp_path):
    raw = _yantai_raw()
    raw["indicators"][2]["target"].update(value=170, text="170")
    raw["indicators"][3]["relations"][0]["other"] = "no_such_code"
    raw["indicators"][5]["code"] = raw["indicators"][4]["code"]
    raw["indicators"][6]["name"] = raw["indicators"][7]["name"]
    paths = [p for p, _ in _lint_raw(tmp_path, raw)]
    assert "indicators[2].target.value" in paths
    assert "indicators[3].relations[0].other" in paths
    assert "indicators[5].code" in paths
    assert "indicators[7].name" in paths


def test_lint_catalog_passes_the_real_one():
    assert lint_catalog(Catalog.model_validate(_yantai_raw())) == []


def _cli(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "validate.py"), *args], capture_output=True, text=True, cwd=ROOT
    )


@pytest.mark.parametrize("cid", ["yantai", "liuzhou", "lanzhou", "qinghai", "panzhihua"])
def test_catalog_show_json(cid):
    result = _cli("catalog", "show", cid, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["id"] == cid and document["name"]
    for ind in document["indicators"]:
        assert {
            "code",
            "name",
            "unit",
            "domain",
            "attribute",
            "direction",
            "baseline",
            "target",
        } <= set(ind)
        assert ind["attribute"] in ("binding", "expected")
        if ind["target"] is None:  # a count of streets a per-street target uses, or a part
            units = {(i["target"] or {}).get("units") for i in document["indicators"]}
            parts = {
                part
                for i in document["indicators"]
                for part in (i["composition"] or {}).values()
                if isinstance(part, str)
            }  # of a city rate's composition
            assert ind["code"] in units | parts
            continue
        assert set(ind["target"]) >= {"year", "value", "comparator", "text"}
        assert isinstance(ind["target"]["value"], int | float)
        assert set(ind["source"]) == {"seed", "quote"}


def test_catalog_show_values_are_plain_numbers_in_the_unit():
    document = json.loads(_cli("catalog", "show", "liuzhou", "--json").stdout)
    beds = next(i for i in document["indicators"] if i["code"] == "elderly_beds_total")
    assert beds["target"]["value"] == 26000 and beds["unit"] == "张"


def test_catalog_lint_cli_exit_codes(tmp_path):
    assert _cli("catalog", "lint").returncode == 0
    raw = _yantai_raw()
    raw["indicators"][0]["extra"] = True
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = _cli("catalog", "lint", str(path))
    assert result.returncode == 1 and "indicators[0].extra" in result.stdout


def test_unknown_catalog_is_one_line_exit_2():
    result = _cli("catalog", "show", "nowhere")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_catalog_list():
    result = _cli("catalog", "list")
    assert result.returncode == 0 and result.stdout.count("\n") == 5


def _by_code(raw, code):
    return next(i for i in raw["indicators"] if i["code"] == code)


def test_lint_checks_a_city_rates_composition(tmp_path):
    raw = _yantai_raw()
    share = _by_code(raw, "nursing_bed_share")
    position = raw["indicators"].index(share)
    share["composition"]["scale"] = 1000  # a percent made ×1000
    beds = _by_code(raw, "public_beds")  # a count: its districts add up to the city's
    beds["composition"] = {"numerator": "nursing_beds", "denominator": "institution_beds"}
    problems = _lint_raw(tmp_path, raw)
    assert (f"indicators[{position}].composition.scale") in [p for p, _ in problems]
    where = f"indicators[{raw['indicators'].index(beds)}].composition"
    assert any(p == where and "不需要" in m for p, m in problems)
    good = _yantai_raw()
    assert _lint_raw(tmp_path, good) == []


def test_a_composition_names_counts_the_catalog_has(tmp_path):
    raw = _yantai_raw()
    _by_code(raw, "nursing_bed_share")["composition"]["numerator"] = "no_such_count"
    [(_path, message)] = _lint_raw(tmp_path, raw)[:1]
    assert "no_such_count" in message and "各区县相加的数量指标" in message
    raw = _yantai_raw()
    _by_code(raw, "nursing_bed_share")["composition"] = {"numerator": "nursing_beds"}
    assert any("numerator、denominator" in m for _p, m in _lint_raw(tmp_path, raw))
    raw = _yantai_raw()  # a figure with no target that nothing is made of
    del _by_code(raw, "places_per_1000_people")["composition"]
    assert any("resident_population 没有目标" in m for _p, m in _lint_raw(tmp_path, raw))
