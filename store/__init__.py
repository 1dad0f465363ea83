"""The database: SQLAlchemy 2 models, queries and Alembic migrations."""
