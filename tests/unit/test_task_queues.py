"""The packaging queue beside a control queue: the production name, and the tests' suffixed ones."""

from __future__ import annotations

from dsar.task_queues import CONTROL_TASK_QUEUE, PACKAGING_TASK_QUEUE, packaging_task_queue


def test_the_control_queue_has_the_packaging_queue_beside_it() -> None:
    assert packaging_task_queue(CONTROL_TASK_QUEUE) == PACKAGING_TASK_QUEUE == "dsar-packaging"


def test_a_suffixed_control_queue_gets_the_packaging_queue_with_the_same_suffix() -> None:
    assert packaging_task_queue(CONTROL_TASK_QUEUE + "-t1a2b3c4d") == "dsar-packaging-t1a2b3c4d"
    one, two = (packaging_task_queue(CONTROL_TASK_QUEUE + s) for s in ("-t1", "-t2"))
    assert one != two
