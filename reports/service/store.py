"""The submission store: accounts, submissions and findings in SQL; files kept by SHA-256."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import os
import secrets
from pathlib import Path

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from submissions.settings import settings

ROLES = ("district", "reviewer")
# pg_advisory_lock's key for running migrations: any number no other lock here uses
MIGRATION_LOCK = 7_205_311


class Base(DeclarativeBase):
    pass


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    catalog: Mapped[str] = mapped_column(String(50))
    district: Mapped[str | None] = mapped_column(String(100), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(default=_now)

    def may_see(self, catalog: str, district: str | None) -> bool:
        if catalog != self.catalog:
            return False
        return self.role == "reviewer" or district == self.district


class ApiToken(Base):
    """An API token, kept as its SHA-256 only; an account may have several."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(default=_now)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, this row says whose it is and
    until when. Deleting the row signs the browser out, whatever its cookie says."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime.datetime] = mapped_column(default=_now)
    expires_at: Mapped[datetime.datetime] = mapped_column()


class LoginFailure(Base):
    """A wrong password, by account name and by client address (never the password)."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime.datetime] = mapped_column(default=_now, index=True)


class StoredSubmission(Base):
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog: Mapped[str] = mapped_column(String(50), index=True)
    catalog_version: Mapped[str] = mapped_column(String(20))
    district: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    period: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    uploaded_at: Mapped[datetime.datetime] = mapped_column(default=_now)
    original_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    # what the JSON contract's submission object says beside its findings
    kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    layout: Mapped[str | None] = mapped_column(String(20), nullable=True)
    indicators: Mapped[int] = mapped_column(Integer, default=0)  # how many were reported
    # why the upload was not taken for its period (the period is approved: locked), or None
    refused: Mapped[str | None] = mapped_column(Text, nullable=True)
    # None until the check has finished; meanwhile `checker` names the process checking it
    # (host/pid/start) and `claimed_at` when it began, so that an interrupted check is found
    # and taken over by exactly one process (Store.claim)
    checked_at: Mapped[datetime.datetime | None] = mapped_column(nullable=True, index=True)
    checker: Mapped[str | None] = mapped_column(String(120), nullable=True)
    claimed_at: Mapped[datetime.datetime | None] = mapped_column(nullable=True)


class StoredFinding(Base):
    """One finding of an upload, every field the JSON contract gives it, in its order."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    severity: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(50))
    indicator: Mapped[str | None] = mapped_column(String(100), nullable=True)
    indicator_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sheet: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cell: Mapped[str | None] = mapped_column(String(20), nullable=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    expected: Mapped[str | None] = mapped_column(Text, nullable=True)
    message: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    district: Mapped[str | None] = mapped_column(String(100), nullable=True)
    engine: Mapped[str | None] = mapped_column(String(20), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)  # a library's own words


class ReportedValue(Base):
    """One value cell of an upload as it was read: what revision checks, a district's history,
    the evaluation and the result page read back (never a page's own data). `usable`: a
    number that is not impossible (negative, over 100 %, in a unit that cannot be converted).
    Uploads stored before this table have role "reported" for the past values they kept,
    whose role (baseline or actual) was not kept."""

    __tablename__ = "reported_values"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    catalog: Mapped[str] = mapped_column(String(50))
    district: Mapped[str | None] = mapped_column(String(100), nullable=True)
    period: Mapped[int | None] = mapped_column(Integer, nullable=True)
    indicator: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value: Mapped[float | None] = mapped_column(nullable=True)
    raw: Mapped[str | None] = mapped_column(Text, nullable=True)
    sheet: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cell: Mapped[str | None] = mapped_column(String(20), nullable=True)
    usable: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_reported_values_place", "catalog", "district", "period"),)


class Review(Base):
    """Where one district's report for one period of a catalog stands (reports.service.review
    holds the states and who may move them), and the upload under review: the latest."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("catalog", "district", "period", name="uq_reviews_period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog: Mapped[str] = mapped_column(String(50))
    district: Mapped[str] = mapped_column(String(100))
    period: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    updated_at: Mapped[datetime.datetime] = mapped_column(default=_now)


class Explanation(Base):
    """An explanation of one finding of an upload (上报说明): typed by the district, taken
    from the row's 备注, or an accepted one offered again; and the reviewer's verdict."""

    __tablename__ = "explanations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    finding_key: Mapped[str] = mapped_column(String(400))  # review.finding_key: stable
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))  # typed | note | remembered
    by_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime.datetime] = mapped_column(default=_now)
    verdict: Mapped[str | None] = mapped_column(String(10), nullable=True)
    verdict_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    verdict_at: Mapped[datetime.datetime | None] = mapped_column(nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Comment(Base):
    """A reviewer's comment on an upload (finding_key None) or on one of its findings."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    finding_key: Mapped[str | None] = mapped_column(String(400), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    by_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime.datetime] = mapped_column(default=_now)


class Remembered(Base):
    """An accepted explanation, for the same district, rule, indicator, year and value in a
    later upload."""

    __tablename__ = "remembered"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog: Mapped[str] = mapped_column(String(50))
    district: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(50))
    indicator: Mapped[str | None] = mapped_column(String(100), nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    accepted_by: Mapped[str] = mapped_column(String(100))
    accepted_at: Mapped[datetime.datetime] = mapped_column(default=_now)


class Event(Base):
    """One action, as the audit shows it: who, what, when, from which state to which."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog: Mapped[str] = mapped_column(String(50))
    district: Mapped[str | None] = mapped_column(String(100), nullable=True)
    period: Mapped[int | None] = mapped_column(Integer, nullable=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), nullable=True)
    account: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    at: Mapped[datetime.datetime] = mapped_column(default=_now)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class Deadline(Base):
    """When a period's reports are due (a day: reports until its end are on time)."""

    __tablename__ = "deadlines"
    __table_args__ = (UniqueConstraint("catalog", "period", name="uq_deadlines_period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog: Mapped[str] = mapped_column(String(50))
    period: Mapped[int] = mapped_column(Integer)
    due: Mapped[datetime.date] = mapped_column()
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime.datetime] = mapped_column(default=_now)


# a finding's fields in the JSON contract's order (reports.json_report.FINDING_KEYS)
FINDING_FIELDS = (
    "severity", "category", "rule", "indicator", "indicator_name", "year", "sheet", "cell",
    "value", "expected", "message", "explanation", "district", "engine", "detail",
)  # fmt: skip
VALUE_FIELDS = ("indicator", "role", "year", "value", "raw", "sheet", "cell", "usable")


def database_url() -> str:
    url = settings().database_url
    if url:
        return url
    folder = settings().data_dir
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / 'validate.db').resolve()}"


class Store:
    """One database and one file folder. Nothing uploaded is overwritten: files are named by
    their content, and every upload, even a repeat or a broken file, is a new row."""

    def __init__(self, url: str | None = None, files: Path | None = None):
        self.url = url or database_url()
        self.files = files or settings().data_dir / "files"
        sqlite = self.url.startswith("sqlite")
        self.engine = create_engine(
            self.url,
            connect_args={"check_same_thread": False, "timeout": 30} if sqlite else {},
            pool_pre_ping=not sqlite,
        )
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """The schema brought to the newest revision. Several instances may start at once on
        one database, a fresh one too: the migrations run under a lock (an advisory lock on
        PostgreSQL, a lock file beside a SQLite database), and whoever comes second finds the
        work done."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self._migration_lock(), self.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # SQLite alters a table by copying it and dropping the old one, which enforced
                # foreign keys forbid once other tables point at it; checked again afterwards.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # held until this transaction ends: a second instance waits here, then
                    # finds the schema at head (PostgreSQL runs the DDL in the transaction)
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
                if broken:
                    raise RuntimeError(f"database references broken after migration: {broken}")

    @contextlib.contextmanager
    def _migration_lock(self):
        """An exclusive lock on a file beside a SQLite database (nothing for other databases,
        whose lock is taken on the connection)."""
        database = make_url(self.url).database if self.url.startswith("sqlite") else None
        if not database or database == ":memory:":
            yield
            return
        path = Path(database).with_name(Path(database).name + ".migrating")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
            yield

    # files -----------------------------------------------------------------------------------
    def keep_file(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        path = self.file_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
            temporary.write_bytes(content)
            os.replace(temporary, path)
        return digest

    def file_path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError("not a SHA-256")
        return self.files / digest[:2] / digest

    # accounts --------------------------------------------------------------------------------
    def add_account(
        self, name: str, role: str, catalog: str, district: str | None, password: str
    ) -> Account:
        from argon2 import PasswordHasher

        if role not in ROLES:
            raise ValueError(f"角色只能是 {' / '.join(ROLES)}")
        account = Account(
            name=name,
            role=role,
            catalog=catalog,
            district=district,
            password_hash=PasswordHasher().hash(password),
        )
        with self.session.begin() as session:
            session.add(account)
        return account

    def account(self, name: str) -> Account | None:
        with self.session() as session:
            return session.scalar(select(Account).where(Account.name == name))

    def account_by_id(self, account_id: int) -> Account | None:
        with self.session() as session:
            return session.get(Account, account_id)

    def accounts(self) -> list[tuple[Account, int, int]]:
        """Every account with its number of API tokens and of open sessions."""
        now = _now()
        with self.session() as session:
            tokens: dict[int, int] = {
                account: count
                for account, count in session.execute(
                    select(ApiToken.account_id, func.count()).group_by(ApiToken.account_id)
                ).all()
            }
            open_sessions: dict[int, int] = {
                account: count
                for account, count in session.execute(
                    select(WebSession.account_id, func.count())
                    .where(WebSession.expires_at > now)
                    .group_by(WebSession.account_id)
                ).all()
            }
            rows = list(session.scalars(select(Account).order_by(Account.name)))
        return [(a, tokens.get(a.id, 0), open_sessions.get(a.id, 0)) for a in rows]

    def check_password(self, name: str, password: str) -> Account | None:
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        account = self.account(name)
        if account is None:
            PasswordHasher().hash(password)  # same work either way: no timing hint about names
            return None
        try:
            PasswordHasher().verify(account.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return None if account.disabled else account

    def _changed(self, name: str, change) -> Account:
        """Apply `change(session, account)` to the account called `name`; LookupError if none."""
        with self.session.begin() as session:
            account = session.scalar(select(Account).where(Account.name == name))
            if account is None:
                raise LookupError(name)
            change(session, account)
        return account

    def set_disabled(self, name: str, disabled: bool) -> Account:
        """A disabled account can neither sign in nor use its tokens; its sessions end now."""

        def change(session, account: Account) -> None:
            account.disabled = disabled
            if disabled:
                session.execute(delete(WebSession).where(WebSession.account_id == account.id))

        return self._changed(name, change)

    def set_password(self, name: str, password: str) -> Account:
        """A new password; every open session of the account ends (tokens are kept)."""
        from argon2 import PasswordHasher

        hashed = PasswordHasher().hash(password)

        def change(session, account: Account) -> None:
            account.password_hash = hashed
            session.execute(delete(WebSession).where(WebSession.account_id == account.id))

        return self._changed(name, change)

    def revoke(self, name: str) -> int:
        """Every API token of the account stops working, and its sessions end; how many
        tokens there were."""
        revoked = []

        def change(session, account: Account) -> None:
            gone = session.execute(delete(ApiToken).where(ApiToken.account_id == account.id))
            revoked.append(gone.rowcount or 0)
            session.execute(delete(WebSession).where(WebSession.account_id == account.id))

        self._changed(name, change)
        return revoked[0]

    def new_token(self, name: str) -> str:
        token = secrets.token_urlsafe(32)

        def change(session, account: Account) -> None:
            session.add(ApiToken(account_id=account.id, token_hash=_digest(token)))

        self._changed(name, change)
        return token

    def account_by_token(self, token: str) -> Account | None:
        with self.session() as session:
            return session.scalar(
                select(Account)
                .join(ApiToken, ApiToken.account_id == Account.id)
                .where(ApiToken.token_hash == _digest(token), Account.disabled.is_(False))
            )

    # sessions and throttling ----------------------------------------------------------------
    def open_session(self, account: Account, lifetime: datetime.timedelta) -> str:
        token = secrets.token_urlsafe(32)
        with self.session.begin() as session:
            session.add(
                WebSession(
                    token_hash=_digest(token),
                    account_id=account.id,
                    expires_at=_now() + lifetime,
                )
            )
        return token

    def session_account(self, token: str) -> Account | None:
        with self.session() as session:
            return session.scalar(
                select(Account)
                .join(WebSession, WebSession.account_id == Account.id)
                .where(
                    WebSession.token_hash == _digest(token),
                    WebSession.expires_at > _now(),
                    Account.disabled.is_(False),
                )
            )

    def close_session(self, token: str) -> None:
        with self.session.begin() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))

    def recent_failures(self, key: str, window: datetime.timedelta) -> list[datetime.datetime]:
        since = _now() - window
        with self.session() as session:
            return list(
                session.scalars(
                    select(LoginFailure.at)
                    .where(LoginFailure.key == key, LoginFailure.at > since)
                    .order_by(LoginFailure.at)
                )
            )

    def record_failure(self, *keys: str) -> None:
        """Wrong passwords under these keys; failures older than a day are dropped."""
        with self.session.begin() as session:
            session.add_all(LoginFailure(key=key[:200]) for key in keys)
            yesterday = _now() - datetime.timedelta(days=1)
            session.execute(delete(LoginFailure).where(LoginFailure.at < yesterday))

    def clear_failures(self, key: str) -> None:
        with self.session.begin() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    # submissions -----------------------------------------------------------------------------
    def add_submission(self, row: StoredSubmission, findings: list[dict]) -> StoredSubmission:
        """Store a new row and its findings: Core statements (every upload writes one before
        it is parsed; the ORM's unit of work was a tenth of a busy server's time)."""
        table, kept = _table(StoredSubmission), _table(StoredFinding)
        values = {
            column.key: getattr(row, column.key)
            for column in table.columns
            if column.key != "id" and getattr(row, column.key) is not None
        }
        values.setdefault("uploaded_at", _now())
        with self.engine.begin() as connection:
            inserted = connection.execute(table.insert().values(**values)).inserted_primary_key
            assert inserted is not None
            row.id = inserted[0]
            if findings:
                connection.execute(kept.insert(), _finding_rows(row.id, findings))
        row.uploaded_at = values["uploaded_at"]
        return row

    def finish_submission(
        self, row: StoredSubmission, fields: dict, findings: list[dict], values: list[dict]
    ) -> StoredSubmission:
        """The outcome of checking a stored upload (finish_submissions of one)."""
        self.finish_submissions([(row, fields, findings, values)])
        return row

    def finish_submissions(self, outcomes: list[tuple]) -> None:
        """Outcomes of checking stored uploads, (row, fields, findings, values) each: the rows
        updated, their findings and reported values replaced, all in one transaction (the
        service stores a pass's uploads together). Core statements: the ORM's unit of work
        cost a third more per upload."""
        table, kept, reported = (
            _table(StoredSubmission), _table(StoredFinding), _table(ReportedValue)
        )  # fmt: skip
        ids = [row.id for row, _fields, _findings, _values in outcomes]
        finished: list[dict] = []
        values_rows: list[dict] = []
        changes = []
        for row, fields, findings, values in outcomes:
            fields = {**fields, "checked_at": _now(), "checker": None}
            changes.append((row, fields))
            finished += _finding_rows(row.id, findings)
            place = {
                "submission_id": row.id,
                "catalog": row.catalog,
                "district": fields.get("district", row.district),
                "period": fields.get("period", row.period),
            }
            values_rows += [{**place, **value} for value in values]
        with self.engine.begin() as connection:
            for row, fields in changes:
                connection.execute(table.update().where(table.c.id == row.id).values(**fields))
            connection.execute(kept.delete().where(kept.c.submission_id.in_(ids)))
            connection.execute(reported.delete().where(reported.c.submission_id.in_(ids)))
            if finished:
                connection.execute(kept.insert(), finished)
            if values_rows:
                connection.execute(reported.insert(), values_rows)
        for row, fields in changes:
            for name, value in fields.items():
                setattr(row, name, value)

    def findings_of(self, submission_id: int, with_ids: bool = False) -> list[dict]:
        """An upload's findings as the JSON contract writes them, in order (`with_ids`: each
        with its row id too, as the service's documents give it)."""
        kept = _table(StoredFinding)
        columns = [kept.c[name] for name in FINDING_FIELDS]
        query = (
            select(*([kept.c.id] if with_ids else []), *columns)
            .where(kept.c.submission_id == submission_id)
            .order_by(kept.c.position, kept.c.id)
        )
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def findings_by_submission(self, submission_ids: list[int]) -> dict[int, list[dict]]:
        """The findings of these uploads (contract fields), each upload's in order."""
        if not submission_ids:
            return {}
        kept = _table(StoredFinding)
        query = (
            select(kept.c.submission_id, *(kept.c[name] for name in FINDING_FIELDS))
            .where(kept.c.submission_id.in_(submission_ids))
            .order_by(kept.c.submission_id, kept.c.position, kept.c.id)
        )
        found: dict[int, list[dict]] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                finding = dict(row._mapping)
                found.setdefault(finding.pop("submission_id"), []).append(finding)
        return found

    def values_of(self, submission_ids: list[int]) -> list[dict]:
        """The reported values of these uploads (with submission_id, district and period)."""
        if not submission_ids:
            return []
        reported = _table(ReportedValue)
        query = (
            select(reported)
            .where(reported.c.submission_id.in_(submission_ids))
            .order_by(reported.c.submission_id, reported.c.id)
        )
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def document(self, row: StoredSubmission) -> dict:
        """The JSON contract's submission object of a stored upload, with its id."""
        return document_of(row, self.findings_of(row.id))

    def submission(self, submission_id: int, viewer: Account) -> StoredSubmission | None:
        if not is_row_id(submission_id):  # past the column's range: no such row, not an error
            return None
        with self.session() as session:
            row = session.get(StoredSubmission, submission_id)
        if row is None or not viewer.may_see(row.catalog, row.district):
            return None
        return row

    def submissions(self, viewer: Account) -> list[StoredSubmission]:
        query = select(StoredSubmission).where(StoredSubmission.catalog == viewer.catalog)
        if viewer.role != "reviewer":
            query = query.where(StoredSubmission.district == viewer.district)
        with self.session() as session:
            return list(session.scalars(query.order_by(StoredSubmission.id)))

    def district_submissions(
        self, catalog: str, districts: list[str], before: int | None = None
    ) -> list[StoredSubmission]:
        """Every readable upload of these districts (of periods before `before`, if given), in
        upload order (whoever uploaded it)."""
        query = select(StoredSubmission).where(
            StoredSubmission.catalog == catalog,
            StoredSubmission.district.in_(districts),
            StoredSubmission.status != "unreadable",
        )
        if before is not None:
            query = query.where(StoredSubmission.period < before)
        with self.session() as session:
            return list(session.scalars(query.order_by(StoredSubmission.id)))

    def catalogs_in_use(self) -> list[str]:
        """The catalogs some account reports to or reviews."""
        with self.session() as session:
            return sorted(session.scalars(select(Account.catalog).distinct()))

    def stored(self, submission_id: int) -> StoredSubmission | None:
        """A row whoever may see it (operators and the service's own re-checks)."""
        if not is_row_id(submission_id):
            return None
        with self.session() as session:
            return session.get(StoredSubmission, submission_id)

    def selected(
        self,
        catalog: str | None = None,
        period: int | None = None,
        district: str | None = None,
        unfinished: bool = False,
    ) -> list[StoredSubmission]:
        """Stored uploads, in upload order, narrowed by whichever of these is given."""
        query = select(StoredSubmission)
        if catalog is not None:
            query = query.where(StoredSubmission.catalog == catalog)
        if period is not None:
            query = query.where(StoredSubmission.period == period)
        if district is not None:
            query = query.where(StoredSubmission.district == district)
        if unfinished:
            query = query.where(StoredSubmission.checked_at.is_(None))
        with self.session() as session:
            return list(session.scalars(query.order_by(StoredSubmission.id)))

    def claim(self, row: StoredSubmission, checker: str) -> bool:
        """Take over checking `row` from whoever held it (row.checker as read): True for exactly
        one of the processes that try at once, and only while its check is unfinished."""
        table = _table(StoredSubmission)
        now = _now()
        held = table.c.checker.is_(None) if row.checker is None else table.c.checker == row.checker
        with self.engine.begin() as connection:
            done = connection.execute(
                table.update()
                .where(table.c.id == row.id, table.c.checked_at.is_(None), held)
                .values(checker=checker, claimed_at=now)
            )
        if done.rowcount != 1:
            return False
        row.checker, row.claimed_at = checker, now
        return True


# Row ids are SQL INTEGER: 32 bits on PostgreSQL. A number past that from a URL is no row.
LARGEST_ID = 2**31 - 1


def is_row_id(value: int) -> bool:
    return 1 <= value <= LARGEST_ID


def _table(model: type[Base]) -> Table:
    return model.__table__  # type: ignore[return-value]  # a mapped class's Table


def _finding_rows(submission_id: int, findings: list[dict]) -> list[dict]:
    return [
        {
            "submission_id": submission_id,
            "position": position,
            **{name: finding.get(name) for name in FINDING_FIELDS},
        }
        for position, finding in enumerate(findings)
    ]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def document_of(row: StoredSubmission, findings: list[dict]) -> dict:
    """The JSON contract's submission object, from the row and its findings in order."""
    from reports.clock import stamped

    return {
        "file": row.original_name,
        "district": row.district,
        "year": row.period,
        "status": row.status,
        "summary": {
            "errors": row.errors,
            "warnings": row.warnings,
            "infos": sum(1 for f in findings if f["severity"] == "info"),
            "indicators": row.indicators,
        },
        "sha256": row.sha256,
        "layout": row.layout,
        "kind": row.kind,
        "findings": findings,
        "id": row.id,
        "uploaded_at": stamped(row.uploaded_at),
        "original_name": row.original_name,
    }


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
