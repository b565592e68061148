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
    for code in RULES:
        assert f"`{code}`" in README, code


def test_every_code_the_tool_emits_is_in_the_rule_table():
    """A finding's rule code is written somewhere as rule="…", code="…" or READING_CODES["…"]:
    each such code, wherever in the packages, is registered in expectations.rules.RULES (and so
    in the README, by the test above)."""
    import re

    emitted = set()
    for folder in ("indicators", "submissions", "expectations", "reports"):
        for source in (ROOT / folder).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            for pattern in (r'\brule="([a-z_.]+)"', r'\bcode="([a-z_.]+)"',
                            r'READING_CODES\["([a-z_.]+)"\]'):  # fmt: skip
                emitted |= set(re.findall(pattern, text))
    assert emitted and emitted <= set(RULES), emitted - set(RULES)


def test_every_tidy_column_is_in_the_readme():
    from submissions import TIDY_COLUMNS

    for column in TIDY_COLUMNS:
        assert f"`{column}`" in README, column


def test_the_python_example_in_the_readme_runs(tmp_path):
    import os
    import subprocess
    import sys

    section = README.split("## 在 Python 中使用", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    env = {**os.environ, "VALIDATE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "芝罘区 ok 0" in done.stdout and "福山区 error" in done.stdout
    assert "福山区" in done.stdout.splitlines()[-1]  # the evaluation's lagging districts
    assert (ROOT / "out" / "api" / "findings.csv").exists()
