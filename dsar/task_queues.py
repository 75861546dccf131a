"""Task queue names. One queue for the control plane; one per group company, so only that
company's workers, running inside the company, ever read its systems."""

from dsar.group import company_task_queue

CONTROL_TASK_QUEUE = "dsar-control"

__all__ = ["CONTROL_TASK_QUEUE", "company_task_queue"]
