"""Alembic environment: runs the migrations on the connection the store hands over."""

from alembic import context

from reports.service.store import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
