"""The pipeline benchmark's own arithmetic: the shape counted from the recorded histories,
the goals it checks (a miss must fail the run) and the table it prints."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.client import WorkflowHistory

from bench.pipeline.figures import Batch, Figures, busiest, goals, percentile, table
from bench.pipeline.histories import recorded_sizes, task_waits
from bench.pipeline.shape import HISTORIES, Shape, recorded_shape
from bench.pipeline.storm import Storm

SHAPE = Shape(before=18, children=4, child_activities=11, after=15)


def figures(**changes: object) -> Figures:
    f = Figures(
        requests=20,
        pipeline_s=60.0,  # 20/min
        ceiling_s=40.0,  # 30/min: ratio 0.67
        shape=SHAPE,
        latencies_s=[float(n) for n in range(1, 21)],
        rss_start_mb=100.0,
        rss_first_mb=200.0,
        rss_end_mb=210.0,
        cli_s={"dsar list --overdue": 0.5, "dsar report": 2.5},
        startup_s=0.25,
    )
    for name, value in changes.items():
        setattr(f, name, value)
    return f


def test_the_shape_is_counted_from_the_recorded_access_request() -> None:
    shape = recorded_shape()
    assert shape.children == 4
    assert shape.before > 0 and shape.after > 0 and shape.child_activities > 0
    assert shape.activities == shape.before + shape.after + 4 * shape.child_activities


def test_nearest_rank_percentiles() -> None:
    values = [float(n) for n in range(1, 21)]
    assert percentile(values, 0.5) == 10.0
    assert percentile(values, 0.95) == 19.0
    assert percentile([3.0], 0.95) == 3.0


def test_each_missed_goal_is_named_and_the_met_ones_pass() -> None:
    by_name = {g.name: g.met for g in goals(figures())}
    assert by_name == {
        "throughput vs ceiling": False,  # 0.67 < 0.7
        "approval -> link e-mail p95": False,  # 19 s
        "dsar list --overdue": True,
        "dsar report": False,  # 2.5 s
        "dsar --help start-up": True,
        "control worker memory growth": True,  # +5%
    }
    fast = figures(ceiling_s=42.0, latencies_s=[1.0, 2.0], cli_s={}, rss_end_mb=230.0, startup_s=0.3)
    assert {g.name: g.met for g in goals(fast)} == {
        "throughput vs ceiling": True,
        "approval -> link e-mail p95": True,
        "dsar --help start-up": False,  # not under 0.3 s
        "control worker memory growth": False,  # +15%
    }


def test_the_table_shows_the_rates_the_ratio_and_a_line_per_goal() -> None:
    lines = table(figures(stages_s={"approve -> link e-mail": [1.0, 3.0]}, cpu_s={"control": 30.0}))
    text = "\n".join(lines)
    assert "20 in 60.0 s = 20.0/min" in text and "30.0/min" in text
    assert "ratio" in text and "0.67" in text
    assert "p50 10.0 s, p95 19.0 s, max 20.0 s" in text
    assert "CPU while driving: control" in text and "50% of one core" in text
    assert sum(line.startswith(("PASS", "MISS")) for line in lines) == len(goals(figures()))
    assert "MISS  dsar report: 2.50 s (goal <= 2 s)" in lines


def test_recorded_history_sizes_per_shape() -> None:
    sizes = {h.shape: h for h in recorded_sizes()}
    assert set(sizes) == {
        "access (recorded)",
        "access + erasure (recorded)",
        "restriction lifted (recorded)",
    }
    assert all(h.bytes > 10_000 and h.events > 100 for h in sizes.values())
    assert sizes["restriction lifted (recorded)"].events > sizes["access (recorded)"].events


def test_the_busiest_window_of_cpu_samples() -> None:
    # 1 s samples: idle, then a full core for 5 s, then half a core.
    used = [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 5.5, 6.0]
    samples = [(float(t), cpu) for t, cpu in enumerate(used)]
    assert busiest(samples) == 1.0
    assert busiest(samples[:4]) == 0.0  # no 5-second window yet


def test_task_waits_from_a_recorded_history() -> None:
    text = (HISTORIES / "rights_request_access.json").read_text(encoding="utf-8")
    waits = task_waits([WorkflowHistory.from_json("access", json.loads(text))])
    # The request workflow's own activities run on the control queue and (the identity
    # search) on the companies' queues.
    assert set(waits) == {
        "activity wait, control queue",
        "activity wait, company queue",
        "workflow task wait, request workflow",
        # What approval -> e-mail is made of, counted again on its own.
        "activity wait, control queue after approval",
        "activity run, control queue after approval",
        "workflow task wait, request workflow after approval",
    }
    after = waits["activity wait, control queue after approval"]
    assert 0 < len(after) < len(waits["activity wait, control queue"])
    assert len(waits["activity run, control queue after approval"]) == len(after)
    activities = len(waits["activity wait, control queue"]) + len(waits["activity wait, company queue"])
    assert activities == recorded_shape().before + recorded_shape().after
    assert all(0 <= w < 60 for values in waits.values() for w in values)


def test_memory_is_judged_from_the_delivery_that_filled_the_workflow_cache() -> None:
    # 300 deliveries with a cache of 100: growth counts from delivery 100 (250 MB) to the end.
    rss = [200.0 + n * 0.5 for n in range(100)] + [250.0] * 200
    steady = figures(rss_by_delivery_mb=rss, workflow_cache=100, rss_end_mb=260.0)
    assert steady.rss_cache_full_mb == rss[99]
    assert {g.name: g.met for g in goals(steady)}["control worker memory growth"] is True  # +4.4%
    leaking = figures(rss_by_delivery_mb=rss, workflow_cache=100, rss_end_mb=300.0)
    assert {g.name: g.met for g in goals(leaking)}["control worker memory growth"] is False  # +20%
    # Fewer deliveries than the cache holds: not judged, and not passed.
    few = figures(rss_by_delivery_mb=rss[:50], workflow_cache=100)
    [goal] = [g for g in goals(few) if g.name == "control worker memory growth"]
    assert not goal.met and goal.value.startswith("not judged: 50 delivered")


def test_each_batch_has_its_own_ratio_and_p95_goal() -> None:
    small = Batch(requests=10, pipeline_s=30.0, ceiling_s=24.0, latencies_s=[2.0] * 10)  # 0.8
    found = {g.name: g.met for g in goals(figures(batches=[small]))}
    assert found["throughput vs ceiling (10)"] is True
    assert found["approval -> link e-mail p95 (10)"] is True
    assert "batch of 10: delivered / ceiling" in "\n".join(table(figures(batches=[small])))


def test_the_ratio_is_against_the_mean_of_the_ceilings_before_and_after_the_batch() -> None:
    # Delivered 20/min; the ceiling 30/min before (40 s) and 20/min after (60 s): mean 25/min.
    f = figures(ceiling_after_s=60.0)
    assert f.ceiling_per_minute == 25.0 and f.ratio == 0.8
    assert {g.name: g.met for g in goals(f)}["throughput vs ceiling"] is True  # 0.67 before it alone
    text = "\n".join(table(f))
    assert "20 in 40.0 s before and 60.0 s after = 25.0/min" in text
    assert "0.80 (against the ceiling before it 0.67, after it 1.00)" in text
    small = Batch(requests=10, pipeline_s=30.0, ceiling_s=20.0, latencies_s=[2.0], ceiling_after_s=30.0)
    assert small.ratio == 0.8  # 20/min against the mean of 30 and 20
    assert "20.0/min / 25.0/min (mean of 30.0 before, 20.0 after), ratio 0.80" in small.rates_text()
    # Without an after-ceiling, the one before is the ceiling (as runs 1-20 measured it).
    assert figures().ratio == 20 / 30 and "ratio" in "\n".join(table(figures()))


def test_the_temporal_store_per_request_is_its_growth_while_driving() -> None:
    f = figures(temporal_db_driven_mb=2.0, rss_by_delivery_mb=[200.0] * 20)
    assert f.costs().temporal_kb == 100.0  # 2 MB over 20 delivered, the ceilings not counted


def test_the_storm_fails_on_lag_on_a_missing_and_on_a_doubled_reminder() -> None:
    def storm_goal(**changes: object) -> bool:
        storm = Storm(requests=3, reminder_time="10:15", due=0.0, opened_s=5.0, lags_s=[1.0, 2.0, 30.0])
        for name, value in changes.items():
            setattr(storm, name, value)
        [goal] = [g for g in goals(figures(storm=storm)) if g.name == "reminder storm"]
        return goal.met

    assert storm_goal() is True
    assert storm_goal(lags_s=[1.0, 61.0]) is False
    assert storm_goal(missing=1) is False
    assert storm_goal(doubled=1) is False
    lines = table(figures(storm=Storm(2, "10:15", 0.0, 5.0, [1.0, 3.0])))
    assert any(
        "reminder storm: 2 due at 10:15" in line and "missing 0, sent twice 0" in line for line in lines
    )


def test_the_storms_received_dates_put_a_team_reminder_on_the_day_for_several_deadlines() -> None:
    from datetime import date, timedelta

    from bench.pipeline.storm import received_for_reminders_on
    from dsar import clock

    sweden = clock.get_jurisdiction("SE")
    for offset in range(0, 40, 3):  # across weekends, Christmas and the new year
        day = date(2026, 12, 2) + timedelta(days=offset)
        received = received_for_reminders_on(day, (14, 7, 3, 1))
        deadlines = [clock.compute_deadline(r, sweden) for r in received]
        for r, deadline in zip(received, deadlines, strict=True):
            assert day in clock.reminder_dates(deadline, (14, 7, 3, 1))
            assert r < day
        due = [d.due_on for d in deadlines if d.due_on is not None]
        assert len(due) == len(deadlines) and due == sorted(set(due)), "one per deadline, soonest first"
    # On a Wednesday: due the next day, in a week and in two (three days ahead is a Saturday,
    # when no deadline falls), so some are within `dsar list --due-within 7d` and some not.
    received = received_for_reminders_on(date(2026, 12, 2), (14, 7, 3, 1))
    on_wednesday = [clock.compute_deadline(r, sweden).due_on for r in received]
    assert on_wednesday == [date(2026, 12, 3), date(2026, 12, 9), date(2026, 12, 16)]


def test_the_storms_minute_is_set_once_all_are_open_on_the_day_they_were_opened_for() -> None:
    from datetime import datetime, timedelta

    import pytest

    from bench.pipeline.storm import minute_passed, storm_minute
    from dsar import clock

    zone = clock.get_jurisdiction("SE").zone
    now = datetime.now(zone)
    # While they open, the morning's list waits a day: its minute has just passed.
    passed = minute_passed()
    assert now - timedelta(minutes=2) <= passed < now and passed.second == 0
    # The requests were opened for a later day (the opening was expected past midnight): its
    # first minute, not one today, which would find no reminders due.
    later = now.date() + timedelta(days=2)
    assert storm_minute(later) == datetime.combine(later, datetime.min.time(), zone) + timedelta(minutes=1)
    # Their day has passed: said, not a storm of nothing.
    with pytest.raises(RuntimeError, match="has passed"):
        storm_minute(now.date() - timedelta(days=1))


def test_the_years_sizing_follows_from_the_measured_costs() -> None:
    from bench.pipeline.capacity import Costs, size, sizing_rows

    costs = Costs(
        control_cpu_s=0.9,
        packaging_cpu_s=0.7,
        company_cpu_s=0.4,
        temporal_cpu_s=0.8,
        postgres_cpu_s=0.2,
        temporal_kb=150.0,
        case_store_kb=400.0,
        cached_kb=150.0,
        reminders_per_s=20.0,
    )
    s = size(costs, 100_000)
    # 100,000 over 250 days, 3x on the busiest, in 8 hours: 150 an hour.
    assert s.busy_hour_requests == 150.0
    assert s.busy_hour_cores["control workers"] == 150 * 0.9 / 3600
    assert round(s.open_requests) == 16712  # 61 days open of 365
    assert s.control_workers == 2 and s.packaging_workers == 2  # availability, not load
    assert s.case_store_gb_per_year == 40.0
    assert round(s.case_store_steady_gb, 1) == 10.0  # 91 days of a year's copies
    assert any("held with the purge" in value for _, value in sizing_rows(s))
    assert s.reminders_per_morning == 1600.0 and s.reminder_minutes == 1600 / 20 / 60
    heavy = size(costs, 10_000_000)
    assert heavy.control_workers > 2  # load: 15,000 an hour at 0.9 CPU-s


def test_activity_waits_are_told_apart_by_queue() -> None:
    from bench.pipeline.histories import queue_kind

    assert queue_kind("dsar-control") == "control"
    assert queue_kind("dsar-packaging") == "packaging"
    assert queue_kind("dsar-packaging-test-1a2b") == "packaging"
    assert queue_kind("dsar-company-se01") == "company"


def test_the_storm_watch_reads_the_morning_list_and_a_requests_own_reminder(tmp_path: Path) -> None:
    """A reference named in the morning's list and again in a request's own reminder counts
    as doubled; one named nowhere stays missing; other kinds and days are not counted."""
    from bench.pipeline.storm import ReminderWatch

    def mail(name: str, headers: dict[str, str], body: str) -> None:
        lines = [f"{k}: {v}" for k, v in headers.items()]
        (tmp_path / f"{name}.eml").write_text("\r\n".join([*lines, "", body]), encoding="ascii")

    today = {"X-DSAR-Kind": "team_reminder", "X-DSAR-Occasion": "2026-12-07"}
    mail("list", today, "Due 2026-12-08\r\n  DSAR-2026-000001  access\r\n  DSAR-2026-000002  access\r\n")
    mail("own", today | {"X-DSAR-Reference": "DSAR-2026-000002"}, "Request DSAR-2026-000002 is due")
    mail("other-day", today | {"X-DSAR-Occasion": "2026-12-06"}, "  DSAR-2026-000003  access")
    mail("other-kind", {"X-DSAR-Kind": "escalation", "X-DSAR-Occasion": "2026-12-07"}, "DSAR-2026-000003")
    references = {"DSAR-2026-000001", "DSAR-2026-000002", "DSAR-2026-000003"}
    watch = ReminderWatch(tmp_path, references, "2026-12-07")
    watch.scan()
    watch.scan()  # a second scan reads no file twice
    assert {r: len(t) for r, t in watch.arrivals.items()} == {"DSAR-2026-000001": 1, "DSAR-2026-000002": 2}
    assert not watch.complete()
