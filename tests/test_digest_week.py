"""The digest week: ISO weeks in the digest time zone, Monday 00:00 to Monday 00:00 local."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newsmon.digests.week import last_complete_week, parse_week, week_of, weeks_ending

BAKU = ZoneInfo("Asia/Baku")


def test_parse_week_and_its_bounds_in_baku_time() -> None:
    w = parse_week("2025-W36", BAKU)
    assert (w.label, w.span, w.long_span) == ("2025-W36", "1–7 Sep", "1–7 Sep 2025")
    assert w.start == datetime(2025, 9, 1, tzinfo=timezone(timedelta(hours=4)))
    assert w.end - w.start == timedelta(days=7)
    assert w.start.astimezone(UTC) == datetime(2025, 8, 31, 20, 0, tzinfo=UTC)
    assert parse_week("2025w36", BAKU) == w and parse_week(" 2025-w36 ", BAKU) == w


def test_boundaries_sunday_2359_in_monday_0000_out() -> None:
    w = parse_week("2025-W36", BAKU)
    baku = timezone(timedelta(hours=4))
    assert w.contains(datetime(2025, 9, 7, 23, 59, 59, tzinfo=baku))
    assert not w.contains(datetime(2025, 9, 8, 0, 0, tzinfo=baku))
    assert w.contains(datetime(2025, 9, 1, 0, 0, tzinfo=baku))
    assert not w.contains(datetime(2025, 8, 31, 23, 59, tzinfo=baku))
    # an instant given in UTC is judged in Baku time: Sun 20:00 UTC is Monday 00:00 in Baku
    assert not w.contains(datetime(2025, 9, 7, 20, 0, tzinfo=UTC))
    assert week_of(datetime(2025, 9, 7, 20, 0, tzinfo=UTC), BAKU).label == "2025-W37"


def test_spans_across_months_and_years() -> None:
    assert parse_week("2025-W40", BAKU).span == "29 Sep–5 Oct"
    assert parse_week("2026-W01", BAKU).span == "29 Dec–4 Jan"
    assert parse_week("2026-W01", BAKU).long_span == "29 Dec–4 Jan 2026"
    assert parse_week("2020-W53", BAKU).label == "2020-W53"


@pytest.mark.parametrize("text", ["2025-36", "W36", "2025-W54", "2025-W00", "2025-W53", "next week"])
def test_bad_weeks_are_refused_with_a_readable_message(text: str) -> None:
    with pytest.raises(ValueError, match="ISO week"):
        parse_week(text, BAKU)


def test_default_is_the_last_complete_week() -> None:
    # Monday 08:00 Baku (the default send_at): the week that ended eight hours ago
    assert last_complete_week(datetime(2025, 9, 8, 4, 0, tzinfo=UTC), BAKU).label == "2025-W36"
    # Sunday 23:59 Baku: the current week is not over yet
    assert last_complete_week(datetime(2025, 9, 7, 19, 59, tzinfo=UTC), BAKU).label == "2025-W35"
    # across a year boundary
    assert last_complete_week(datetime(2026, 1, 5, 6, 0, tzinfo=UTC), BAKU).label == "2026-W01"
    assert last_complete_week(datetime(2026, 1, 4, 6, 0, tzinfo=UTC), BAKU).label == "2025-W52"


def test_weeks_ending_and_summer_time_zones() -> None:
    weeks = weeks_ending(parse_week("2026-W02", BAKU), 8)
    assert [w.label for w in weeks][:2] == ["2025-W47", "2025-W48"] and weeks[-1].label == "2026-W02"
    berlin = ZoneInfo("Europe/Berlin")  # the week holding the switch to summer time is 167 hours long
    w = parse_week("2026-W13", berlin)
    assert w.end - w.start == timedelta(days=7) and (w.end.astimezone(UTC) - w.start.astimezone(UTC)).total_seconds() \
        == 167 * 3600
