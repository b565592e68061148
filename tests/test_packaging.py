"""The five top-level names resolve to this repository, not to same-named installed modules."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "name", ["indicators", "submissions", "expectations", "reports", "validate"]
)
def test_top_level_name_is_ours(name):
    module = importlib.import_module(name)
    assert Path(module.__file__).resolve().is_relative_to(ROOT), module.__file__


def test_stages_import_only_earlier_stages():
    order = ["indicators", "submissions", "expectations", "reports"]
    for position, stage in enumerate(order):
        later = [*order[position + 1 :], "validate"]
        for source in (ROOT / stage).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            for name in later:
                pattern = rf"^\s*(import|from)\s+{name}\b"
                assert not re.search(pattern, text, re.MULTILINE), (source, name)


def test_catalog_models_do_not_import_engines():
    for source in (ROOT / "indicators").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "pandas" not in text and "great_expectations" not in text, source


def test_every_module_opens_with_a_docstring():
    for folder in ["indicators", "submissions", "expectations", "reports", "tests", "bench"]:
        for source in (ROOT / folder).rglob("*.py"):
            text = source.read_text(encoding="utf-8").lstrip()
            assert text.startswith('"""'), source
    assert (ROOT / "validate.py").read_text(encoding="utf-8").startswith('"""')


WEB_AND_SQL = r"^\s*(import|from)\s+(fastapi|starlette|sqlalchemy|alembic|uvicorn)\b"


def test_only_the_service_imports_the_web_and_sql_libraries():
    """FastAPI, Starlette, uvicorn, SQLAlchemy and Alembic belong to reports/service/; the
    command line calls into it (serve, users, recheck) and imports none of them itself."""
    service = ROOT / "reports" / "service"
    for folder in ["indicators", "submissions", "expectations", "reports"]:
        for source in (ROOT / folder).rglob("*.py"):
            if source.is_relative_to(service):
                continue
            text = source.read_text(encoding="utf-8")
            assert not re.search(WEB_AND_SQL, text, re.MULTILINE), source
    command_line = (ROOT / "validate.py").read_text(encoding="utf-8")
    assert not re.search(WEB_AND_SQL, command_line, re.MULTILINE)
