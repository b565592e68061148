"""The upload service (FastAPI): district staff upload and read their reports, reviewers read
every district's. Its parts: app (put together), web (what routes share), auth (signing in and
who is asking), guards (before a route sees a request), views (one module per kind of page),
api (the JSON API), intake (keeping, reading and checking uploads), reviewing (what reviewers
read), store (SQL: accounts, uploads, findings, reported values) with its migrations.

Nothing outside this package imports FastAPI, Starlette or SQLAlchemy (a test holds to it);
validate.py's serve, users and recheck call in here."""


def __getattr__(name: str):
    # the app (FastAPI, pandas) is imported only by whoever asks for it: `validate.py users`
    # wants the store alone
    if name in ("create_app", "app_from_environment"):
        from reports.service import app

        return getattr(app, name)
    raise AttributeError(f"module 'reports.service' has no attribute {name!r}")


__all__ = ["app_from_environment", "create_app"]
