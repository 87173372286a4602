"""Serving targets fed after a version is published (wiring only; the work is in warehouse/)."""

import dagster as dg

from warehouse.config import Settings


class PostgresTarget(dg.ConfigurableResource):
    """The optional PostgreSQL publish target; `dsn` None = not configured (the asset skips)."""

    dsn: str | None = None
    published_dir: str
    reader_role: str = "frontline_reader"
    reader_password: str | None = None
    keep_versions: int = 3

    @classmethod
    def from_settings(cls, settings: Settings, secrets_by_name: bool = False) -> "PostgresTarget":
        """With ``secrets_by_name`` (the code location the UI loads), the DSN and the reader's
        password are bound as ``dg.EnvVar``: Dagster resolves them when a run starts and the UI
        shows the variable's name, not the password."""

        def secret(value: str | None, variable: str):
            return dg.EnvVar(variable) if secrets_by_name and value else value

        return cls(
            dsn=secret(settings.postgres_dsn, "FRONTLINE_POSTGRES_DSN"),
            published_dir=str(settings.published_dir),
            reader_role=settings.postgres_reader,
            reader_password=secret(settings.postgres_reader_password, "FRONTLINE_POSTGRES_READER_PASSWORD"),
        )


@dg.asset(
    key=["published", "postgres"],
    group_name="published",
    kinds={"postgres"},
    deps=[["published", "extracts"]],
    description=(
        "The latest published version loaded into PostgreSQL (schema per version, stable views "
        "in schema frontline, read-only reader role), when FRONTLINE_POSTGRES_DSN is set."
    ),
)
def postgres_views(context: dg.AssetExecutionContext, postgres: PostgresTarget) -> dg.MaterializeResult:
    if not postgres.dsn:
        return dg.MaterializeResult(metadata={"skipped": "FRONTLINE_POSTGRES_DSN is not set"})
    from pathlib import Path

    from warehouse.postgres import publish_version

    loaded = publish_version(
        postgres.dsn,
        Path(postgres.published_dir),
        reader_role=postgres.reader_role,
        reader_password=postgres.reader_password,
        keep_versions=postgres.keep_versions,
    )
    context.log.info(f"PostgreSQL: {loaded.version} in schema {loaded.schema}")
    return dg.MaterializeResult(
        metadata={
            "version": loaded.version,
            "schema": loaded.schema,
            "loaded": loaded.loaded,
            "switched": loaded.switched,
            "rows": sum(loaded.tables.values()),
        }
    )
