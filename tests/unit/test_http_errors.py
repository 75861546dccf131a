"""The one rule every HTTP client follows when an endpoint outside the product answers."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from dsar.http_errors import TRANSIENT, check_answer, retry_after


def answer(status: int, retry: str | None = None) -> httpx.Response:
    return httpx.Response(status, headers={"Retry-After": retry} if retry is not None else {})


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_a_2xx_answer_is_success(status: int) -> None:
    assert check_answer(answer(status), source="dk01", permanent_type="Permanent") is True


def test_a_404_is_gone_only_where_the_caller_says_so() -> None:
    assert check_answer(answer(404), source="dk01", permanent_type="Permanent", gone_ok=True) is False
    with pytest.raises(ApplicationError) as caught:
        check_answer(answer(404), source="dk01", permanent_type="Permanent")
    assert caught.value.non_retryable and caught.value.type == "Permanent"


@pytest.mark.parametrize(
    ("status", "retry", "delay"),
    [(429, "1", 1.0), (500, None, 5.0), (503, "120", 120.0), (502, "0", 0.5), (429, "86400", 600.0)],
)
def test_throttling_and_server_errors_are_retried_after_the_servers_delay(
    status: int, retry: str | None, delay: float
) -> None:
    with pytest.raises(ApplicationError) as caught:
        check_answer(answer(status, retry), source="dk01", permanent_type="Permanent", gone_ok=True)
    assert not caught.value.non_retryable and caught.value.type == TRANSIENT
    assert caught.value.next_retry_delay == timedelta(seconds=delay)
    assert caught.value.message == f"HTTP {status} from dk01"


@pytest.mark.parametrize(
    ("status", "hint", "message"),
    [
        (401, True, "HTTP 401 from dk01: check the system's token"),
        (403, True, "HTTP 403 from dk01: check the system's token"),
        (401, False, "HTTP 401 from dk01"),
        (400, True, "HTTP 400 from dk01"),
        (302, True, "HTTP 302 from dk01"),
    ],
)
def test_other_refusals_are_permanent(status: int, hint: bool, message: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        check_answer(answer(status), source="dk01", permanent_type="Permanent", token_hint=hint)
    assert caught.value.non_retryable and caught.value.type == "Permanent"
    assert caught.value.message == message


def test_a_retry_after_date_or_nonsense_gets_the_default_delay() -> None:
    assert retry_after(answer(429, "Wed, 21 Oct 2026 07:28:00 GMT")) == 5.0
    assert retry_after(answer(429)) == 5.0
