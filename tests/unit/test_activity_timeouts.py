"""Every activity the workflows schedule has timeouts that fit its work.

Issue #14: a control worker killed during `build_package` left the request stuck for
twelve minutes, because long activities ran with a start-to-close timeout of an hour and
no heartbeat timeout; a case store down for 30 s failed seven systems, because their
retry policy counted five attempts. The workflows take timeouts and retries only from the
typed references (`workflows/calls.py`, checked by test_activity_refs), so walking every
reference walks every activity the workflows schedule.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from dsar import activity_refs
from dsar.activity_refs import ActivityRef, Timeouts

REFS = activity_refs.all_refs()
ONE_MINUTE = timedelta(minutes=1)
MAX_HEARTBEAT = timedelta(seconds=30)


def problems(ref: ActivityRef[Any, Any]) -> list[str]:
    """What is wrong with one reference's timeouts and retries; empty when all is well."""
    found: list[str] = []
    if ref.start_to_close > ONE_MINUTE and (ref.heartbeat is None or ref.heartbeat > MAX_HEARTBEAT):
        found.append(f"{ref.name} may run {ref.start_to_close} without a heartbeat timeout of <= 30 s")
    if ref.heartbeat is not None and ref.heartbeat >= ref.start_to_close:
        found.append(f"{ref.name}: the heartbeat timeout never fires before start-to-close")
    policy = ref.retry_policy
    if policy.maximum_attempts != 0:
        found.append(f"{ref.name} gives up after {policy.maximum_attempts} attempts, not on a time budget")
    if policy.maximum_interval is None or policy.maximum_interval > timedelta(minutes=1):
        found.append(f"{ref.name}: retries further apart than a minute keep an outage's end waiting")
    if ref.budget is not None and ref.budget < timedelta(minutes=10):
        found.append(f"{ref.name}: a time budget of {ref.budget} does not outlast a database restart")
    return found


def test_there_are_references_to_walk() -> None:
    assert len(REFS) >= 25


@pytest.mark.parametrize("ref", REFS, ids=lambda r: r.name)
def test_activity_timeouts_fit_the_work(ref: ActivityRef[object, object]) -> None:
    assert problems(ref) == []


@pytest.mark.parametrize(
    "ref",
    [activity_refs.SEND_NOTIFICATION, activity_refs.RECORD_STATUS, activity_refs.LOAD_ROLES],
    ids=lambda r: r.name,
)
def test_short_steps_answer_in_seconds(ref: ActivityRef[object, object]) -> None:
    assert ref.start_to_close <= timedelta(minutes=2)


@pytest.mark.parametrize(
    "ref",
    [
        activity_refs.BUILD_PACKAGE,
        activity_refs.SCAN_REDACTIONS,
        activity_refs.COLLECT_POSTGRES,
        activity_refs.EXECUTE_POSTGRES,
        activity_refs.TRANSMIT_PORTABLE_DATA,
    ],
    ids=lambda r: r.name,
)
def test_long_work_heartbeats(ref: ActivityRef[object, object]) -> None:
    assert ref.heartbeat is not None and ref.heartbeat <= MAX_HEARTBEAT


def test_per_system_work_is_retried_for_hours() -> None:
    for ref in (activity_refs.COLLECT_POSTGRES, activity_refs.COLLECT_S3, activity_refs.EXECUTE_HTTP):
        assert ref.budget is not None and ref.budget >= timedelta(hours=2)


def test_the_walk_catches_an_hour_without_heartbeat_and_a_count_of_attempts() -> None:
    """The test above can fail: the two faults of issue #14, put back on a copy of a reference."""
    build = activity_refs.BUILD_PACKAGE
    no_heartbeat = dataclasses.replace(build, timeouts=Timeouts(start_to_close=timedelta(hours=1)))
    assert any("without a heartbeat" in p for p in problems(no_heartbeat))

    class Counted(ActivityRef[object, object]):
        @property
        def retry_policy(self):  # type: ignore[no-untyped-def]
            return dataclasses.replace(activity_refs.RETRY, maximum_attempts=5)

    counted = Counted(build.name, object, object, build.timeouts)
    assert any("after 5 attempts" in p for p in problems(counted))
    assert problems(build) == []
