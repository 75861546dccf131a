"""Task queue names. One queue for the control plane; one per group company, so only that
company's workers, running inside the company, ever read its systems; and one for building
response packages, CPU-bound work served by its own worker processes, so a morning of
approvals neither stalls the control worker's requests nor waits on its single core."""

from dsar.group import company_task_queue

CONTROL_TASK_QUEUE = "dsar-control"
PACKAGING_TASK_QUEUE = "dsar-packaging"


def packaging_task_queue(control_queue: str) -> str:
    """The packaging queue beside `control_queue`: a control queue with a suffix (tests run
    each on a fresh queue, `CONTROL_TASK_QUEUE + suffix`) gets the packaging queue with the
    same suffix, so a request's packages are built by the workers started with its own."""
    return PACKAGING_TASK_QUEUE + control_queue.removeprefix(CONTROL_TASK_QUEUE)


__all__ = ["CONTROL_TASK_QUEUE", "PACKAGING_TASK_QUEUE", "company_task_queue", "packaging_task_queue"]
