"""Settings: read in one place, each bad value one Chinese line and exit 2; the service refuses
to start."""

import pytest

from submissions.finding import CannotContinue
from submissions.settings import DEFAULT_MAX_UPLOAD, Settings
from tests.test_cli import cli


def test_defaults_and_values():
    config = Settings.from_environment({})
    assert (config.max_upload, config.https, config.database_url) == (
        DEFAULT_MAX_UPLOAD,
        False,
        None,
    )
    config = Settings.from_environment(
        {"VALIDATE_MAX_UPLOAD": "1000", "VALIDATE_HTTPS": "1", "VALIDATE_DATA_DIR": "/srv/d",
         "DATABASE_URL": "postgresql+psycopg://u:p@db/validate", "VALIDATE_LIMIT_WORKERS": "3"}
    )  # fmt: skip
    assert (config.max_upload, config.https, str(config.data_dir)) == (1000, True, "/srv/d")
    assert config.limits.workers == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VALIDATE_MAX_UPLOAD", "20MB"),
        ("VALIDATE_MAX_UPLOAD", "-5"),
        ("VALIDATE_HTTPS", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("VALIDATE_LIMIT_MEMORY", "lots"),
    ],
)
def test_a_bad_value_is_one_line_and_exit_2(tmp_path, monkeypatch, name, value):
    with pytest.raises(CannotContinue, match=name):
        Settings.from_environment({name: value})
    monkeypatch.setenv(name, value)
    result = cli("catalog", "list", data_dir=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.count("\n") == 1
        and name in result.stderr
        and "Traceback" not in result.stderr
    )


def test_the_service_refuses_to_start_on_a_bad_setting(tmp_path, monkeypatch):
    from reports.service import app_from_environment

    monkeypatch.setenv("VALIDATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VALIDATE_MAX_UPLOAD", "lots")
    with pytest.raises(SystemExit, match="VALIDATE_MAX_UPLOAD"):
        app_from_environment()
