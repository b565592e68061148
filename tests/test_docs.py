"""The README keeps up with the code: every command and every rule is documented."""

from expectations.rules import RULES
from tests.conftest import ROOT
from validate import COMMANDS

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_gives_the_two_commands():
    assert "make demo" in README and "make test" in README


def test_every_command_is_in_the_readme():
    for command in COMMANDS:
        assert f"validate.py {command}" in README, command


def test_every_rule_is_in_the_readme():
    for code in [*RULES, "file.unreadable", "table.not_found", "district.missing"]:
        assert f"`{code}`" in README, code


def test_every_tidy_column_is_in_the_readme():
    from submissions import TIDY_COLUMNS

    for column in TIDY_COLUMNS:
        assert f"`{column}`" in README, column
