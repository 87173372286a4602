"""Serving targets fed after a version is published (wiring only; the work is in warehouse/)."""

import dagster as dg

from warehouse.store.config import Settings


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

    from warehouse.publish.postgres import publish_version

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


class ObjectStoreTarget(dg.ConfigurableResource):
    """FRONTLINE_PUBLISH_URL (s3://, gs://, az://, file://); None = not configured (the asset skips)."""

    url: str | None = None
    published_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "ObjectStoreTarget":
        return cls(url=settings.publish_url, published_dir=str(settings.published_dir))


@dg.asset(
    key=["published", "object_storage"],
    group_name="published",
    kinds={"s3"},
    deps=[["published", "extracts"]],
    description=(
        "The latest published version mirrored to FRONTLINE_PUBLISH_URL (versions/<id>/ immutable, "
        "then manifest.json and LATEST), when it is set. A failed upload leaves LATEST there as it was."
    ),
)
def object_storage(context: dg.AssetExecutionContext, object_store: ObjectStoreTarget) -> dg.MaterializeResult:
    if not object_store.url:
        return dg.MaterializeResult(metadata={"skipped": "FRONTLINE_PUBLISH_URL is not set"})
    from pathlib import Path

    from warehouse.publish.remote import MirrorError, mirror

    try:
        done = mirror(Path(object_store.published_dir), object_store.url)
    except MirrorError as exc:
        raise dg.Failure(description=str(exc)) from exc
    context.log.info(f"{object_store.url}: {done.version}, {len(done.uploaded)} object(s) uploaded")
    return dg.MaterializeResult(
        metadata={
            "version": done.version,
            "url": dg.MetadataValue.url(object_store.url) if "://" in object_store.url else object_store.url,
            "objects_uploaded": len(done.uploaded),
            "latest_moved": done.latest_moved,
        }
    )
