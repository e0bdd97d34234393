"""Sources, their discovery URLs and runs: what each run did, per source and per discovery URL.

`newsmon status`, source health and the alerts read what is written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from newsmon.storage.bulk import insert_ignore
from newsmon.storage.models import DiscoveryURL, Run, RunSource, Source


def source_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """name -> id of each source, registered on first use."""
    names = list(names)
    insert_ignore(session, Source, [{"name": n} for n in names])
    return dict(session.execute(select(Source.name, Source.id).where(Source.name.in_(names))).all())


def discovery_url(session: Session, source_id: int, url: str, kind: str) -> DiscoveryURL:
    """The row of a feed or listing page of a source, registered on first use: its validators and health."""
    insert_ignore(session, DiscoveryURL, [{"source_id": source_id, "url": url, "kind": kind,
                                          "consecutive_failures": 0}])
    return session.execute(select(DiscoveryURL).where(DiscoveryURL.source_id == source_id,
                                                      DiscoveryURL.url == url)).scalar_one()


def record_discovery_result(session: Session, du_id: int, now: datetime, *, status: int | None,
                            error: str | None, item_count: int | None = None, etag: str | None = None,
                            last_modified: str | None = None, keep_validators: bool = True) -> None:
    """What reading a discovery URL gave: an error, or success with its item count and validators (dropped
    when `keep_validators` is false, so that the next run reads it whole)."""
    du = session.get(DiscoveryURL, du_id)
    assert du is not None
    du.last_checked_at = now
    du.last_status = status
    if error is None:
        du.last_success_at = now
        du.consecutive_failures = 0
        if item_count is not None:
            du.last_item_count = item_count
        if keep_validators:
            if etag is not None or last_modified is not None:
                du.etag, du.last_modified = etag, last_modified
        else:
            du.etag = du.last_modified = None
    else:
        du.last_error = error
        du.last_error_at = now
        du.consecutive_failures = (du.consecutive_failures or 0) + 1


def start_run(session: Session, command: str, now: datetime) -> int:
    run = Run(command=command, started_at=now, status="running")
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, now: datetime) -> None:
    session.execute(update(Run).where(Run.id == run_id).values(status=status, finished_at=now))


def save_run_source(session: Session, run_id: int, source_id: int, *, new: int, updated: int, unchanged: int,
                    failed: int, errors: Sequence[str]) -> None:
    session.merge(RunSource(run_id=run_id, source_id=source_id, new=new, updated=updated, unchanged=unchanged,
                            failed=failed, errors="\n".join(errors)))


def recent_runs(session: Session, limit: int = 5) -> list[tuple[Run, list[tuple[str, RunSource]]]]:
    """The latest runs, newest first, each with its per-source record."""
    runs = session.execute(select(Run).order_by(Run.id.desc()).limit(limit)).scalars().all()
    return [(run, list(session.execute(select(Source.name, RunSource).join(Source, Source.id == RunSource.source_id)
                                       .where(RunSource.run_id == run.id).order_by(Source.name)).all()))
            for run in runs]


def first_run_started(session: Session) -> datetime | None:
    """When newsmon first ran `run` on this database: it was not watching before."""
    return session.scalar(select(func.min(Run.started_at)).where(Run.command == "run"))
