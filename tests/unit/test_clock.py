"""The statutory clock, case by case.

Each case's id names the rule it checks: "1182/71 3(2)(c)" (month periods and short
months), "1182/71 3(4)" (end on a non-working day), "Lag 1930:173 2 §" (Swedish eves),
"ICO" (UK guidance: bank holidays, stop the clock), "Art. 12(3)" (extension). Every
expected date was checked against a printed calendar; weekdays are noted beside them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import holidays
import pytest

from dsar.clock import (
    ClockStop,
    Deadline,
    Jurisdiction,
    StopClockPolicy,
    add_months,
    compute_deadline,
    days_left,
    default_config_path,
    escalation_dates,
    get_jurisdiction,
    load_jurisdictions,
    next_working_day,
    parse_jurisdictions,
    reminder_dates,
)

D = date

SE = get_jurisdiction("SE")
GB = get_jurisdiction("GB")

# A jurisdiction that exists only here, to prove a new one is configuration, not code:
# a US-state-style 45-day clock with one 45-day extension and no stop-the-clock.
US_STYLE_TOML = """
[[jurisdiction]]
code = "US-XT"
name_en = "Testland"
name_sv = "Testland"
timezone = "America/Los_Angeles"
days = 45
extension_days = 45
stop_clock = "never"
holidays = { country = "US", subdiv = "CA" }

[jurisdiction.authority]
name_sv = "Testland Privacy Agency"
name_en = "Testland Privacy Agency"
address = ["1 Test Street", "Testville"]
website = "https://privacy.test.example"
"""
US = parse_jurisdictions(US_STYLE_TOML)["US-XT"]


def _jurisdictions() -> dict[str, Jurisdiction]:
    return {"SE": SE, "GB": GB, "US-XT": US}


# --- add_months --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(D(2025, 9, 3), 1, D(2025, 10, 3), id="1182/71 3(2)(c) same date: 3 Sep->3 Oct"),
        pytest.param(D(2026, 1, 31), 1, D(2026, 2, 28), id="1182/71 3(2)(c) 31 Jan->28 Feb common"),
        pytest.param(D(2028, 1, 31), 1, D(2028, 2, 29), id="1182/71 3(2)(c) 31 Jan->29 Feb leap"),
        pytest.param(D(2100, 1, 31), 1, D(2100, 2, 28), id="1182/71 3(2)(c) 2100 is not leap"),
        pytest.param(D(2026, 3, 29), 1, D(2026, 4, 29), id="1182/71 3(2)(c) 29 Mar->29 Apr"),
        pytest.param(D(2026, 3, 30), 1, D(2026, 4, 30), id="1182/71 3(2)(c) 30 Mar->30 Apr"),
        pytest.param(D(2026, 3, 31), 1, D(2026, 4, 30), id="1182/71 3(2)(c) 31 Mar->30 Apr"),
        pytest.param(D(2026, 12, 15), 1, D(2027, 1, 15), id="1182/71 3(2)(c) across year end"),
        pytest.param(D(2026, 11, 30), 3, D(2027, 2, 28), id="Art. 12(3) 3 months from same start"),
        pytest.param(D(2027, 11, 30), 3, D(2028, 2, 29), id="Art. 12(3) 3 months into leap Feb"),
        pytest.param(D(2026, 1, 31), 0, D(2026, 1, 31), id="zero months is the same day"),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# --- working days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "day", "working"),
    [
        # 1182/71 3(4): weekends never count.
        pytest.param("SE", D(2026, 6, 13), False, id="1182/71 3(4) Saturday"),
        pytest.param("SE", D(2026, 6, 14), False, id="1182/71 3(4) Sunday"),
        pytest.param("SE", D(2026, 6, 15), True, id="ordinary Monday"),
        # Lag (1930:173) 2 §: the three eves count like holidays in Sweden.
        pytest.param("SE", D(2026, 6, 19), False, id="Lag 1930:173 midsommarafton 2026 Fri 19 Jun"),
        pytest.param("SE", D(2027, 6, 25), False, id="Lag 1930:173 midsommarafton 2027 Fri 25 Jun"),
        pytest.param("SE", D(2028, 6, 23), False, id="Lag 1930:173 midsommarafton 2028 Fri 23 Jun"),
        pytest.param("SE", D(2027, 6, 18), True, id="Lag 1930:173 Fri 18 Jun 2027 is no eve"),
        pytest.param("SE", D(2026, 12, 24), False, id="Lag 1930:173 julafton Thu 2026"),
        pytest.param("SE", D(2026, 12, 31), False, id="Lag 1930:173 nyarsafton Thu 2026"),
        pytest.param("SE", D(2026, 12, 30), True, id="SE 30 Dec is a working day"),
        # Swedish public holidays from the library.
        pytest.param("SE", D(2028, 6, 6), False, id="SE nationaldagen Tue 2028"),
        pytest.param("SE", D(2026, 1, 6), False, id="SE trettondedag jul Tue 2026"),
        pytest.param("SE", D(2026, 5, 14), False, id="SE Kristi himmelsfard Thu 2026"),
        pytest.param("SE", D(2026, 4, 30), True, id="SE valborgsmassoafton is a working day"),
        # ICO: bank holidays of England and Wales, substitute days included.
        pytest.param("GB", D(2026, 8, 31), False, id="ICO summer bank holiday Mon 31 Aug 2026"),
        pytest.param("GB", D(2026, 12, 28), False, id="ICO substitute Boxing Day Mon 28 Dec 2026"),
        pytest.param("GB", D(2027, 12, 27), False, id="ICO substitute Christmas Mon 27 Dec 2027"),
        pytest.param("GB", D(2027, 12, 28), False, id="ICO substitute Boxing Day Tue 28 Dec 2027"),
        pytest.param("GB", D(2028, 1, 3), False, id="ICO substitute New Year Mon 3 Jan 2028"),
        pytest.param("GB", D(2026, 12, 24), True, id="GB Christmas eve is a working day"),
        pytest.param("GB", D(2026, 12, 31), True, id="GB New Year's eve is a working day"),
        pytest.param("GB", D(2026, 6, 19), True, id="GB has no midsummer eve"),
        pytest.param("GB", D(2028, 6, 6), True, id="GB has no Swedish national day"),
        pytest.param("GB", D(2026, 1, 6), True, id="GB has no Epiphany"),
        pytest.param("GB", D(2027, 3, 17), True, id="GB ENG excludes St Patrick's Day (NI only)"),
    ],
)
def test_is_working_day(code: str, day: date, working: bool) -> None:
    assert _jurisdictions()[code].is_working_day(day) is working


@pytest.mark.parametrize("year", range(2020, 2041))
def test_swedish_eves_agree_with_library_de_facto_calendar(year: int) -> None:
    # Lag 1930:173 2 §: the configured eves should be exactly the library's "de facto"
    # Swedish holidays, a cross-check of the midsummer-eve window rule.
    de_facto = holidays.country_holidays("SE", years=year, categories=("de_facto",))
    first = D(year, 1, 1)
    year_days = [first + timedelta(days=n) for n in range((D(year + 1, 1, 1) - first).days)]
    configured = {d for d in year_days if any(e.matches(d) for e in SE.extra_non_working_days)}
    assert configured == set(de_facto)


def test_swedish_library_calendar_does_not_list_every_sunday() -> None:
    # If the library ever listed each Sunday it would be harmless (Sundays never count),
    # but the eves would then need checking again; this pins today's behaviour.
    se = holidays.country_holidays("SE", years=2026)
    assert D(2026, 6, 14) not in se  # an ordinary Sunday
    assert D(2026, 6, 19) not in se  # the eve is configuration, not library


@pytest.mark.parametrize(
    ("code", "day", "expected"),
    [
        pytest.param("SE", D(2026, 6, 15), D(2026, 6, 15), id="working day is itself"),
        pytest.param("SE", D(2026, 6, 19), D(2026, 6, 22), id="Lag 1930:173 midsommar Fri->Mon"),
        pytest.param("GB", D(2027, 12, 25), D(2027, 12, 29), id="ICO Xmas Sat + 2 substitutes"),
        pytest.param("SE", D(2027, 12, 25), D(2027, 12, 27), id="SE no substitute days"),
    ],
)
def test_next_working_day(code: str, day: date, expected: date) -> None:
    assert next_working_day(day, _jurisdictions()[code]) == expected


# --- the due date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "received", "due"),
    [
        # 1182/71 3(2)(c): same date next month.
        pytest.param("SE", D(2025, 9, 3), D(2025, 10, 3), id="1182/71 3(2)(c) SE 3 Sep->Fri 3 Oct"),
        pytest.param("GB", D(2026, 9, 2), D(2026, 10, 2), id="ICO GB Wed 2 Sep->Fri 2 Oct"),
        # 1182/71 3(2)(c) short months, then 3(4) working days.
        pytest.param(
            "SE",
            D(2026, 1, 31),
            D(2026, 3, 2),
            id="1182/71 3(2)(c)+3(4) 31 Jan->Sat 28 Feb->Mon 2 Mar",
        ),
        pytest.param("GB", D(2027, 1, 31), D(2027, 3, 1), id="ICO 31 Jan 2027->Sun 28 Feb->Mon 1 Mar"),
        pytest.param("SE", D(2028, 1, 31), D(2028, 2, 29), id="1182/71 3(2)(c) leap: Tue 29 Feb 2028"),
        pytest.param("GB", D(2028, 1, 31), D(2028, 2, 29), id="ICO leap: Tue 29 Feb 2028"),
        pytest.param("SE", D(2026, 3, 29), D(2026, 4, 29), id="1182/71 3(2)(c) 29 Mar->Wed 29 Apr"),
        pytest.param("SE", D(2026, 3, 30), D(2026, 4, 30), id="1182/71 3(2)(c) 30 Mar->Thu 30 Apr"),
        pytest.param("SE", D(2026, 3, 31), D(2026, 4, 30), id="1182/71 3(2)(c) 31 Mar->Thu 30 Apr"),
        pytest.param("GB", D(2026, 3, 31), D(2026, 4, 30), id="ICO 31 Mar->Thu 30 Apr"),
        # 1182/71 3(4): weekends.
        pytest.param("SE", D(2026, 9, 3), D(2026, 10, 5), id="1182/71 3(4) Sat 3 Oct->Mon 5 Oct"),
        pytest.param("GB", D(2026, 9, 4), D(2026, 10, 5), id="ICO Sun 4 Oct->Mon 5 Oct"),
        # Lag 1930:173 2 § and Swedish public holidays.
        pytest.param(
            "SE",
            D(2026, 5, 19),
            D(2026, 6, 22),
            id="Lag 1930:173 midsommarafton Fri 19 Jun->Mon 22",
        ),
        pytest.param("GB", D(2026, 5, 19), D(2026, 6, 19), id="ICO GB works on Fri 19 Jun 2026"),
        pytest.param("SE", D(2028, 5, 6), D(2028, 6, 7), id="1182/71 3(4) nationaldagen Tue->Wed"),
        pytest.param("GB", D(2028, 5, 6), D(2028, 6, 6), id="ICO GB works on Tue 6 Jun 2028"),
        pytest.param("SE", D(2026, 11, 24), D(2026, 12, 28), id="Lag 1930:173 julafton Thu->jul->Mon 28 Dec"),
        pytest.param("SE", D(2029, 11, 24), D(2029, 12, 27), id="Lag 1930:173 julafton Mon 2029->Thu 27 Dec"),
        pytest.param("GB", D(2029, 11, 24), D(2029, 12, 24), id="ICO GB works on Mon 24 Dec 2029"),
        pytest.param(
            "SE",
            D(2029, 11, 30),
            D(2030, 1, 2),
            id="Lag 1930:173 Sun 30 Dec->nyarsafton Mon->New Year Tue->Wed 2 Jan 2030",
        ),
        pytest.param("GB", D(2029, 11, 30), D(2029, 12, 31), id="ICO GB Sun 30 Dec->Mon 31 Dec"),
        pytest.param("SE", D(2027, 2, 26), D(2027, 3, 30), id="1182/71 3(4) SE Easter: Fri 26->Tue 30"),
        # ICO: bank holidays of England and Wales, including substitute days.
        pytest.param("GB", D(2026, 7, 31), D(2026, 9, 1), id="ICO summer bank hol Mon 31 Aug->Tue"),
        pytest.param("SE", D(2026, 7, 31), D(2026, 8, 31), id="SE works on Mon 31 Aug 2026"),
        pytest.param("GB", D(2027, 11, 27), D(2027, 12, 29), id="ICO substitutes Mon 27+Tue 28 Dec->Wed 29"),
        pytest.param("GB", D(2027, 11, 28), D(2027, 12, 29), id="ICO substitute Tue 28 Dec->Wed 29"),
        pytest.param("SE", D(2027, 11, 27), D(2027, 12, 27), id="SE has no substitute Mon 27 Dec"),
        pytest.param("GB", D(2026, 11, 28), D(2026, 12, 29), id="ICO substitute Mon 28 Dec 2026"),
        pytest.param("GB", D(2027, 12, 3), D(2028, 1, 4), id="ICO substitute New Year Mon 3 Jan 2028"),
        # A days-based jurisdiction (configuration only): 1182/71 3(1) excludes the day of
        # receipt, so 45 days from Fri 2 Jan 2026 is Mon 16 Feb, Presidents' Day -> Tue 17.
        pytest.param("US-XT", D(2026, 1, 2), D(2026, 2, 17), id="config-only 45 days+holiday"),
        pytest.param("US-XT", D(2026, 1, 5), D(2026, 2, 19), id="config-only 45 days Thu 19 Feb"),
    ],
)
def test_due_date(code: str, received: date, due: date) -> None:
    j = _jurisdictions()[code]
    deadline = compute_deadline(received, j)
    assert deadline.due_on == due
    assert deadline.start_on == received
    assert deadline.extension_notice_by == due
    assert not deadline.extended
    assert not deadline.clock_stopped


@pytest.mark.parametrize(
    ("code", "received", "due_at"),
    [
        # The request is due at the end of the due date in the jurisdiction's zone.
        pytest.param("SE", D(2026, 3, 16), datetime(2026, 4, 16, 21, 59, 59, 999999, UTC), id="CEST +2"),
        pytest.param("SE", D(2026, 1, 30), datetime(2026, 3, 2, 22, 59, 59, 999999, UTC), id="CET +1"),
        pytest.param("GB", D(2026, 3, 16), datetime(2026, 4, 16, 22, 59, 59, 999999, UTC), id="BST +1"),
        pytest.param("GB", D(2026, 11, 28), datetime(2026, 12, 29, 23, 59, 59, 999999, UTC), id="GMT +0"),
        pytest.param("US-XT", D(2026, 1, 5), datetime(2026, 2, 20, 7, 59, 59, 999999, UTC), id="PST -8"),
    ],
)
def test_due_at_is_end_of_local_day_in_utc(code: str, received: date, due_at: datetime) -> None:
    deadline = compute_deadline(received, _jurisdictions()[code])
    assert deadline.due_at == due_at
    assert deadline.due_at is not None and deadline.due_at.utcoffset() is not None


# --- extension ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "received", "notice_by", "extended_due"),
    [
        # Art. 12(3) + 1182/71: three months from the same start, across a year end;
        # Sun 28 Feb 2027 moves to Mon 1 Mar. The notice is due by Wed 30 Dec 2026.
        pytest.param("SE", D(2026, 11, 30), D(2026, 12, 30), D(2027, 3, 1), id="Art. 12(3) SE across year"),
        pytest.param("GB", D(2026, 11, 30), D(2026, 12, 30), D(2027, 3, 1), id="Art. 12(3) GB across year"),
        # Not one month plus two: 31 Jan -> Thu 30 Apr, not 28 Feb + 2 months = 28 Apr
        # (nor the rolled Mon 2 Mar + 2 months = 2 May).
        pytest.param("SE", D(2026, 1, 31), D(2026, 3, 2), D(2026, 4, 30), id="Art. 12(3) not 1+2 months"),
        # Into a leap February: Tue 29 Feb 2028.
        pytest.param("GB", D(2027, 11, 30), D(2027, 12, 30), D(2028, 2, 29), id="Art. 12(3) leap Feb"),
        # Config-only 45 + 45 days: 90 days from Fri 2 Jan 2026 is Thu 2 Apr 2026.
        pytest.param("US-XT", D(2026, 1, 2), D(2026, 2, 17), D(2026, 4, 2), id="config-only 45+45 days"),
    ],
)
def test_extension(code: str, received: date, notice_by: date, extended_due: date) -> None:
    deadline = compute_deadline(received, _jurisdictions()[code], extended=True)
    assert deadline.extended
    assert deadline.due_on == extended_due
    assert deadline.extension_notice_by == notice_by


def test_extension_refused_where_none_is_configured() -> None:
    no_ext = parse_jurisdictions(US_STYLE_TOML.replace("extension_days = 45\n", ""))["US-XT"]
    assert not no_ext.can_extend
    assert compute_deadline(D(2026, 1, 2), no_ext).extension_notice_by is None
    with pytest.raises(ValueError, match="allows no extension"):
        compute_deadline(D(2026, 1, 2), no_ext, extended=True)


# --- stop the clock ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "received", "stops", "start", "due"),
    [
        # ICO: the period restarts on the day the requested evidence arrives.
        pytest.param(
            "SE",
            D(2026, 3, 2),
            [ClockStop(D(2026, 3, 4), D(2026, 3, 16))],
            D(2026, 3, 16),
            D(2026, 4, 16),
            id="ICO/SE policy restart from resume: Thu 16 Apr",
        ),
        pytest.param(
            "GB",
            D(2026, 3, 2),
            [ClockStop(D(2026, 3, 4), D(2026, 3, 16))],
            D(2026, 3, 16),
            D(2026, 4, 16),
            id="ICO restart from resume: Thu 16 Apr",
        ),
        pytest.param(
            "GB",
            D(2027, 2, 1),
            [ClockStop(D(2027, 2, 2), D(2027, 2, 26))],
            D(2027, 2, 26),
            D(2027, 3, 30),
            id="ICO restart lands on Good Friday -> Easter Monday -> Tue 30 Mar",
        ),
        pytest.param(
            "SE",
            D(2026, 3, 2),
            [ClockStop(D(2026, 3, 12), D(2026, 3, 16)), ClockStop(D(2026, 3, 4), D(2026, 3, 10))],
            D(2026, 3, 16),
            D(2026, 4, 16),
            id="ICO latest resumed stop counts, whatever the order given",
        ),
        pytest.param(
            "SE",
            D(2026, 1, 30),
            [ClockStop(D(2026, 1, 30), D(2026, 1, 31))],
            D(2026, 1, 31),
            D(2026, 3, 2),
            id="ICO restart on 31 Jan -> 1182/71 3(2)(c) Sat 28 Feb -> Mon 2 Mar",
        ),
        # Policy "never": stops are ignored, even an open one.
        pytest.param(
            "US-XT",
            D(2026, 1, 5),
            [ClockStop(D(2026, 1, 6), D(2026, 1, 20))],
            D(2026, 1, 5),
            D(2026, 2, 19),
            id="policy never ignores a resumed stop",
        ),
        pytest.param(
            "US-XT",
            D(2026, 1, 5),
            [ClockStop(D(2026, 1, 6), None)],
            D(2026, 1, 5),
            D(2026, 2, 19),
            id="policy never ignores an open stop",
        ),
    ],
)
def test_stop_clock_restarts(
    code: str, received: date, stops: list[ClockStop], start: date, due: date
) -> None:
    deadline = compute_deadline(received, _jurisdictions()[code], stops=stops)
    assert deadline.start_on == start
    assert deadline.due_on == due
    assert not deadline.clock_stopped


@pytest.mark.parametrize(
    ("code", "stops", "start"),
    [
        pytest.param("GB", [ClockStop(D(2026, 3, 4))], D(2026, 3, 2), id="ICO open stop"),
        pytest.param("SE", [ClockStop(D(2026, 3, 4), None)], D(2026, 3, 2), id="SE open stop"),
        pytest.param(
            "GB",
            [ClockStop(D(2026, 3, 4), D(2026, 3, 10)), ClockStop(D(2026, 3, 20))],
            D(2026, 3, 10),
            id="ICO second stop still open after a first resumed",
        ),
    ],
)
def test_open_stop_leaves_no_due_date(code: str, stops: list[ClockStop], start: date) -> None:
    deadline = compute_deadline(D(2026, 3, 2), _jurisdictions()[code], stops=stops, extended=True)
    assert deadline == Deadline(
        start_on=start,
        due_on=None,
        due_at=None,
        extension_notice_by=None,
        extended=True,
        clock_stopped=True,
    )
    assert days_left(deadline, D(2026, 3, 5)) is None
    assert reminder_dates(deadline) == []
    assert escalation_dates(deadline, GB, D(2026, 12, 31)) == []


def test_restart_with_extension_counts_three_months_from_resume() -> None:
    # Art. 12(3) + ICO: resumed Mon 16 Mar 2026 -> extended Tue 16 Jun 2026.
    deadline = compute_deadline(
        D(2026, 3, 2), GB, stops=[ClockStop(D(2026, 3, 4), D(2026, 3, 16))], extended=True
    )
    assert deadline.due_on == D(2026, 6, 16)
    assert deadline.extension_notice_by == D(2026, 4, 16)


@pytest.mark.parametrize(
    ("stop", "message"),
    [
        pytest.param(ClockStop(D(2026, 3, 1), D(2026, 3, 5)), "before receipt", id="before receipt"),
        pytest.param(ClockStop(D(2026, 3, 5), D(2026, 3, 4)), "before it started", id="backwards"),
    ],
)
def test_impossible_stops_are_refused(stop: ClockStop, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_deadline(D(2026, 3, 2), SE, stops=[stop])


# --- days left, reminders, escalations ---------------------------------------------------

# SE, received Mon 16 Mar 2026: due Thu 16 Apr 2026.
SE_APRIL = compute_deadline(D(2026, 3, 16), SE)


@pytest.mark.parametrize(
    ("today", "left"),
    [
        pytest.param(D(2026, 4, 10), 6, id="before"),
        pytest.param(D(2026, 4, 16), 0, id="due today"),
        pytest.param(D(2026, 4, 20), -4, id="overdue"),
    ],
)
def test_days_left(today: date, left: int) -> None:
    assert days_left(SE_APRIL, today) == left


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [
        pytest.param(
            (14, 7, 3, 1),
            [D(2026, 4, 2), D(2026, 4, 9), D(2026, 4, 13), D(2026, 4, 15)],
            id="default offsets, earliest first",
        ),
        pytest.param((1, 14, 1), [D(2026, 4, 2), D(2026, 4, 15)], id="unsorted, duplicate"),
        pytest.param((31, 40), [D(2026, 3, 16)], id="only dates on or after the start"),
        pytest.param((0,), [D(2026, 4, 16)], id="on the day"),
    ],
)
def test_reminder_dates(offsets: tuple[int, ...], expected: list[date]) -> None:
    assert reminder_dates(SE_APRIL, offsets) == expected


def test_reminders_after_restart_skip_dates_before_the_new_start() -> None:
    # Restarted Wed 1 Apr 2026 (ICO), due Fri 1 May is Swedish May Day -> Mon 4 May;
    # 14 days before is Mon 20 Apr, after the restart, but 40 days before is not.
    deadline = compute_deadline(D(2026, 3, 2), SE, stops=[ClockStop(D(2026, 3, 3), D(2026, 4, 1))])
    assert deadline.due_on == D(2026, 5, 4)
    assert reminder_dates(deadline, (40, 14)) == [D(2026, 4, 20)]


def test_negative_reminder_offset_is_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        reminder_dates(SE_APRIL, (-1,))


@pytest.mark.parametrize(
    ("code", "until", "expected"),
    [
        # Due Thu 30 Apr 2026 (received 31 Mar). SE: Fri 1 May is a holiday; GB: Mon 4 May
        # is the early May bank holiday.
        pytest.param(
            "SE",
            D(2026, 5, 6),
            [D(2026, 4, 30), D(2026, 5, 4), D(2026, 5, 5), D(2026, 5, 6)],
            id="SE skips weekend and May Day",
        ),
        pytest.param(
            "GB",
            D(2026, 5, 6),
            [D(2026, 4, 30), D(2026, 5, 1), D(2026, 5, 5), D(2026, 5, 6)],
            id="ICO skips weekend and early May bank holiday",
        ),
        pytest.param("GB", D(2026, 4, 30), [D(2026, 4, 30)], id="until the due date"),
        pytest.param("GB", D(2026, 4, 29), [], id="until before the due date"),
    ],
)
def test_escalation_dates(code: str, until: date, expected: list[date]) -> None:
    j = _jurisdictions()[code]
    deadline = compute_deadline(D(2026, 3, 31), j)
    assert deadline.due_on == D(2026, 4, 30)
    assert escalation_dates(deadline, j, until) == expected


# --- configuration -----------------------------------------------------------------------


def test_shipped_configuration() -> None:
    known = load_jurisdictions()
    assert sorted(known) == ["GB", "SE"]
    assert SE.timezone == "Europe/Stockholm"
    assert SE.stop_clock is StopClockPolicy.WHEN_IDENTITY_IN_DOUBT
    assert SE.months == 1 and SE.extension_months == 3
    assert SE.authority.email == "imy@imy.se"
    assert SE.authority.name_sv.startswith("Integritetsskyddsmyndigheten")
    assert GB.timezone == "Europe/London"
    assert GB.stop_clock is StopClockPolicy.ALWAYS
    assert GB.holidays.country == "GB" and GB.holidays.subdiv == "ENG"
    assert "SK9 5AF" in GB.authority.address
    assert GB.authority.website == "https://ico.org.uk"


def test_load_from_path_and_default_are_equal(tmp_path: Path) -> None:
    copy = tmp_path / "j.toml"
    copy.write_text(default_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert load_jurisdictions(copy) == load_jurisdictions()


def test_default_load_returns_a_copy() -> None:
    load_jurisdictions().pop("SE")
    assert "SE" in load_jurisdictions()


def test_unknown_jurisdiction_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"^unknown jurisdiction 'XX'; known: GB, SE$"):
        get_jurisdiction("XX")


def test_jurisdiction_survives_a_dump_and_validate_round_trip() -> None:
    # Workflows carry jurisdictions through Temporal's pydantic converter.
    assert Jurisdiction.model_validate(SE.model_dump()) == SE
    assert Jurisdiction.model_validate_json(SE.model_dump_json(by_alias=True)) == SE


def _entry(**overrides: str) -> str:
    """The test-only entry with some lines replaced (key -> full replacement line)."""
    lines = US_STYLE_TOML.splitlines()
    for key, line in overrides.items():
        lines = [line if ln.startswith(f"{key} =") else ln for ln in lines]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        pytest.param(
            _entry(timezone='timezone = "Mars/Olympus"'),
            r"'US-XT'.*field 'timezone'.*unknown time zone",
            id="bad timezone",
        ),
        pytest.param(
            _entry(holidays='holidays = { country = "XX" }'),
            r"'US-XT'.*field 'holidays'.*holidays library",
            id="unknown holiday country",
        ),
        pytest.param(
            _entry(holidays='holidays = { country = "GB", subdiv = "XYZ" }'),
            r"'US-XT'.*field 'holidays'.*subdivision",
            id="unknown holiday subdivision",
        ),
        pytest.param(
            _entry(days="days = 45\nmonths = 1"),
            r"'US-XT'.*exactly one of 'months' or 'days'",
            id="both months and days",
        ),
        pytest.param(_entry(days="#"), r"'US-XT'.*exactly one of 'months' or 'days'", id="no period"),
        pytest.param(_entry(days='days = "45"'), r"'US-XT'.*field 'days'", id="period is not an integer"),
        pytest.param(_entry(days="days = 0"), r"'US-XT'.*field 'days'", id="period not positive"),
        pytest.param(
            _entry(days="months = 3", extension_days="extension_months = 3"),
            r"'US-XT'.*must exceed 'months'",
            id="extension_months not beyond the period",
        ),
        pytest.param(
            _entry(stop_clock='stop_clock = "sometimes"'),
            r"'US-XT'.*field 'stop_clock'",
            id="unknown stop-clock policy",
        ),
        pytest.param(
            _entry(days="days = 45\nperiod = 1"),
            r"'US-XT'.*field 'period'.*Extra inputs",
            id="misspelt key",
        ),
        pytest.param(
            _entry(days='days = 45\nextra_non_working_days = [{ name = "X", date = "13-01" }]'),
            r"'US-XT'.*field 'extra_non_working_days.0'.*'13-01'",
            id="bad month-day",
        ),
        pytest.param(
            _entry(days='days = 45\nextra_non_working_days = [{ name = "X", weekday = "friday" }]'),
            r"'US-XT'.*field 'extra_non_working_days.0'.*'weekday', 'first' and 'last'",
            id="incomplete weekday rule",
        ),
        pytest.param(
            _entry(
                days='days = 45\nextra_non_working_days = [{ name = "X", weekday = "fri",'
                ' first = "06-19", last = "06-25" }]'
            ),
            r"'US-XT'.*field 'extra_non_working_days.0.weekday'",
            id="unknown weekday",
        ),
        pytest.param(_entry(code='code = "us-xt"'), r"jurisdiction 'us-xt'.*field 'code'", id="bad code"),
        pytest.param(
            _entry(website='website = "http://insecure.example"'),
            r"'US-XT'.*field 'authority.website'",
            id="authority website not https",
        ),
        pytest.param(
            US_STYLE_TOML + US_STYLE_TOML, r"entry 2.*'US-XT' is defined twice", id="duplicate code"
        ),
        pytest.param("[[jurisdiction]\n", r"not valid TOML", id="not TOML"),
        pytest.param("", r"no \[\[jurisdiction\]\] entries", id="empty"),
        pytest.param("[jurisdictions]\nx = 1\n", r"unknown top-level keys", id="wrong top key"),
    ],
)
def test_bad_configuration_names_entry_and_field(text: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        parse_jurisdictions(text)


def test_new_jurisdiction_is_configuration_only() -> None:
    # The whole rule set of the test-only jurisdiction came from the TOML string above.
    assert US.code == "US-XT"
    assert US.days == 45 and US.extension_days == 45
    assert US.stop_clock is StopClockPolicy.NEVER
    assert not US.is_working_day(D(2026, 2, 16))  # Presidents' Day, from the library
    assert US.is_working_day(D(2026, 2, 17))
