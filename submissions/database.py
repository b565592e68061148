"""The submission store: accounts, submissions and findings in SQL; files kept by SHA-256."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
from pathlib import Path

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from submissions.store import data_dir

ROLES = ("district", "reviewer")


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
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime.datetime] = mapped_column(default=_now)

    def may_see(self, catalog: str, district: str | None) -> bool:
        if catalog != self.catalog:
            return False
        return self.role == "reviewer" or district == self.district


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
    document: Mapped[str] = mapped_column(Text)  # the JSON contract's submission object
    page: Mapped[str] = mapped_column(Text)  # what the HTML report shows, as JSON


class StoredFinding(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(50))
    sheet: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cell: Mapped[str | None] = mapped_column(String(20), nullable=True)
    indicator: Mapped[str | None] = mapped_column(String(100), nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / 'validate.db').resolve()}"


class Store:
    """One database and one file folder. Nothing uploaded is overwritten: files are named by
    their content, and every upload, even a repeat or a broken file, is a new row."""

    def __init__(self, url: str | None = None, files: Path | None = None):
        self.url = url or database_url()
        self.files = files or data_dir() / "files"
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
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

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
        return account

    def new_token(self, name: str) -> str:
        token = secrets.token_urlsafe(32)
        with self.session.begin() as session:
            account = session.scalar(select(Account).where(Account.name == name))
            if account is None:
                raise LookupError(name)
            account.token_hash = hashlib.sha256(token.encode()).hexdigest()
        return token

    def account_by_token(self, token: str) -> Account | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self.session() as session:
            return session.scalar(select(Account).where(Account.token_hash == digest))

    # submissions -----------------------------------------------------------------------------
    def add_submission(self, row: StoredSubmission, findings: list[dict]) -> StoredSubmission:
        with self.session.begin() as session:
            session.add(row)
            session.flush()
            session.add_all(
                StoredFinding(
                    submission_id=row.id,
                    severity=f["severity"],
                    category=f["category"],
                    rule=f["rule"],
                    sheet=f.get("sheet"),
                    cell=f.get("cell"),
                    indicator=f.get("indicator"),
                    year=f.get("year"),
                    message=f["message"],
                )
                for f in findings
            )
        return row

    def submission(self, submission_id: int, viewer: Account) -> StoredSubmission | None:
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


def document_of(row: StoredSubmission) -> dict:
    document = json.loads(row.document)
    document["id"] = row.id
    document["uploaded_at"] = row.uploaded_at.isoformat(timespec="seconds")
    document["original_name"] = row.original_name
    return document


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
