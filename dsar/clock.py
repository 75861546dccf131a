"""The statutory clock: when a request is due, per jurisdiction.

Art. 12(3) GDPR gives the controller "one month of receipt of the request", extendable
"by two further months". How a month is counted is not in the GDPR itself: for EU law it
is Regulation (EEC, Euratom) No 1182/71 on periods, dates and time limits, and the UK
ICO's guidance on the right of access gives the same result. The rules, in one place:

* the period runs from the day of receipt and ends on the same date in the following
  month (1182/71 Art. 3(1) and 3(2)(c); ICO: "the corresponding calendar date");
* a month without that date ends the period on its last day (1182/71 Art. 3(2)(c);
  ICO: "the last day of the following month");
* an end date on a Saturday, Sunday or public holiday moves to the next working day
  (1182/71 Art. 3(4); ICO: "until the next working day"). Which days are holidays is
  each jurisdiction's own law, so it lives in configuration (``infra/jurisdictions.toml``),
  drawn from the maintained ``holidays`` library plus any days the law adds;
* an extension counts three months from the same start, not one month plus two, so the
  end-of-month and working-day rules apply once, to the final date;
* where the controller asks for identity evidence or clarification, the ICO lets the
  clock stop and start again, from the day the answer arrives.

Everything here is deterministic: no clock reads, no I/O at import. Reading the
configuration file happens only when :func:`load_jurisdictions` is called, so Temporal
workflows can import this module and replay it.
"""

from __future__ import annotations

import calendar
import functools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

# 1182/71 Art. 3(4) and the ICO both name Saturday and Sunday; no jurisdiction we serve
# has another weekend, so it is not configuration (yet).
_WEEKEND = frozenset({5, 6})

_WEEKDAYS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.day_name)}

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class StopClockPolicy(StrEnum):
    """Whether asking the person for something restarts the period when they answer.

    The clock itself treats both "stop" values alike: a recorded :class:`ClockStop`
    restarts the period. The difference is for whoever records stops: under
    ``WHEN_IDENTITY_IN_DOUBT`` (the group's default for EU requests) a stop may only be
    recorded when identity is genuinely in doubt, so routine checks never buy time.
    """

    ALWAYS = "always"  # ICO: the clock stops for ID, a fee or clarification.
    WHEN_IDENTITY_IN_DOUBT = "when_identity_in_doubt"
    NEVER = "never"  # Stops are recorded for the file but never move the due date.


_MONTH_DAY = re.compile(r"^(\d\d)-(\d\d)$")


def _month_day(value: str) -> tuple[int, int]:
    """Parse "MM-DD"; checked against a leap year so "02-29" is accepted."""
    match = _MONTH_DAY.match(value)
    try:
        if match is None:
            raise ValueError
        parsed = date(2000, int(match[1]), int(match[2]))
    except ValueError:
        raise ValueError(f"{value!r} is not a month-day like '12-24'") from None
    return parsed.month, parsed.day


class _Config(BaseModel):
    # Frozen so jurisdictions are hashable (they key caches) and cannot drift after
    # loading; extra keys are refused so a misspelt key in the TOML is an error, not a
    # silently ignored rule.
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExtraNonWorkingDay(_Config):
    """A day the jurisdiction's law treats as a holiday but the holiday library does not.

    Either a fixed ``date`` ("12-24"), or a ``weekday`` within the window ``first`` ..
    ``last`` (midsummer eve: the Friday from "06-19" to "06-25"). Two shapes cover the
    Swedish eves of Lag (1930:173) om beräkning av lagstadgad tid and, as far as we know,
    every similar rule, so a new jurisdiction needs no new code.
    """

    # Also accepts "fixed_date", so a dumped model (e.g. through Temporal) validates again.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1)
    # "date" in the TOML; named otherwise here so it does not shadow the ``date`` type.
    fixed_date: str | None = Field(default=None, alias="date")
    weekday: Weekday | None = None
    first: str | None = None
    last: str | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        window = (self.weekday, self.first, self.last)
        if self.fixed_date is not None:
            if any(v is not None for v in window):
                raise ValueError("give either 'date' or 'weekday'/'first'/'last', not both")
            _month_day(self.fixed_date)
        elif all(v is not None for v in window):
            assert self.first is not None and self.last is not None
            if _month_day(self.first) > _month_day(self.last):
                raise ValueError("'first' must not be after 'last' (windows cannot span New Year)")
        else:
            raise ValueError("give 'date' (\"MM-DD\") or all of 'weekday', 'first' and 'last'")
        return self

    def matches(self, d: date) -> bool:
        md = (d.month, d.day)
        if self.fixed_date is not None:
            return md == _month_day(self.fixed_date)
        assert self.weekday is not None and self.first is not None and self.last is not None
        in_window = _month_day(self.first) <= md <= _month_day(self.last)
        return in_window and d.weekday() == _WEEKDAYS[self.weekday]


class HolidayCalendar(_Config):
    """Which calendar of the ``holidays`` library holds the jurisdiction's public holidays.

    The library is maintained against each country's law (including the UK's substitute
    days), which a hand-written list in this repository would not be.
    """

    country: str = Field(min_length=2)
    subdiv: str | None = None
    categories: tuple[str, ...] = ("public",)

    @model_validator(mode="after")
    def _known_to_library(self) -> Self:
        # Asking the library now turns a typo into a load-time error instead of a
        # deadline silently computed without holidays.
        try:
            holidays.country_holidays(self.country, subdiv=self.subdiv, years=(), categories=self.categories)
        except (NotImplementedError, ValueError) as exc:
            raise ValueError(f"not known to the holidays library: {exc}") from None
        return self


class Authority(_Config):
    """The supervisory authority a person may complain to (Art. 77); letters must name it."""

    name_sv: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    address: tuple[str, ...] = Field(min_length=1)
    website: str = Field(pattern=r"^https://\S+$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Jurisdiction(_Config):
    """One jurisdiction's rule set: everything that differs between countries is here."""

    code: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    name_en: str = Field(min_length=1)
    name_sv: str = Field(min_length=1)
    timezone: str
    holidays: HolidayCalendar
    extra_non_working_days: tuple[ExtraNonWorkingDay, ...] = ()
    months: StrictInt | None = Field(default=None, gt=0)
    days: StrictInt | None = Field(default=None, gt=0)
    extension_months: StrictInt | None = Field(default=None, gt=0)
    extension_days: StrictInt | None = Field(default=None, gt=0)
    stop_clock: StopClockPolicy
    authority: Authority

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one_period(self) -> Self:
        if (self.months is None) == (self.days is None):
            raise ValueError("give exactly one of 'months' or 'days' for the response period")
        if self.extension_months is not None and self.extension_days is not None:
            raise ValueError("give at most one of 'extension_months' or 'extension_days'")
        if (
            self.extension_months is not None
            and self.months is not None
            and self.extension_months <= self.months
        ):
            # extension_months counts from the same start, so it must exceed the period.
            raise ValueError("'extension_months' counts from receipt and must exceed 'months'")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def can_extend(self) -> bool:
        return self.extension_months is not None or self.extension_days is not None

    def is_working_day(self, d: date) -> bool:
        """Whether a period may end on ``d`` (1182/71 Art. 3(4); the ICO's "working day")."""
        if d.weekday() in _WEEKEND:
            return False
        cal = self.holidays
        if d in _library_holidays(cal.country, cal.subdiv, cal.categories, d.year):
            return False
        return not any(extra.matches(d) for extra in self.extra_non_working_days)


@functools.cache
def _library_holidays(
    country: str, subdiv: str | None, categories: tuple[str, ...], year: int
) -> frozenset[date]:
    # Memoised per year: the library computes a whole year at a time, and a frozenset
    # cannot be mutated by a caller the way a shared HolidayBase could be expanded.
    cal = holidays.country_holidays(country, subdiv=subdiv, years=year, categories=categories)
    return frozenset(cal.keys())


def _format_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(entry)"
        parts.append(f"field '{field}': {err['msg']}")
    return "; ".join(parts)


def _parse(text: str, source: str) -> dict[str, Jurisdiction]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"jurisdiction"})
    if unknown:
        raise ValueError(f"{source}: unknown top-level keys {unknown}; expected [[jurisdiction]]")
    entries = data.get("jurisdiction", [])
    if not isinstance(entries, list):
        raise ValueError(f"{source}: 'jurisdiction' must be an array of tables ([[jurisdiction]])")
    result: dict[str, Jurisdiction] = {}
    for index, entry in enumerate(entries, start=1):
        code = entry.get("code") if isinstance(entry, dict) else None
        label = f"jurisdiction {code!r}" if isinstance(code, str) else "jurisdiction"
        where = f"{source}: {label} (entry {index})"
        try:
            jurisdiction = Jurisdiction.model_validate(entry)
        except ValidationError as exc:
            raise ValueError(f"{where}: {_format_errors(exc)}") from None
        if jurisdiction.code in result:
            raise ValueError(f"{where}: field 'code': {jurisdiction.code!r} is defined twice")
        result[jurisdiction.code] = jurisdiction
    if not result:
        raise ValueError(f"{source}: no [[jurisdiction]] entries")
    return result


def parse_jurisdictions(text: str) -> dict[str, Jurisdiction]:
    """Parse jurisdictions from TOML text, so a rule set can be tested without a file."""
    return _parse(text, "<string>")


def default_config_path() -> Path:
    """The shipped ``infra/jurisdictions.toml``.

    A function, not a constant, because resolving the path touches the file system,
    which the Temporal workflow sandbox forbids at import time.
    """
    return Path(__file__).resolve().parent.parent / "infra" / "jurisdictions.toml"


@functools.cache
def _load_default() -> dict[str, Jurisdiction]:
    path = default_config_path()
    return _parse(path.read_text(encoding="utf-8"), str(path))


def load_jurisdictions(path: Path | None = None) -> dict[str, Jurisdiction]:
    """Read the jurisdictions file; the shipped one is read once per process.

    A copy is returned so one caller cannot change another's rules.
    """
    if path is None:
        return dict(_load_default())
    return _parse(path.read_text(encoding="utf-8"), str(path))


def get_jurisdiction(code: str) -> Jurisdiction:
    known = load_jurisdictions()
    try:
        return known[code]
    except KeyError:
        raise ValueError(f"unknown jurisdiction {code!r}; known: {', '.join(sorted(known))}") from None


@dataclass(frozen=True)
class ClockStop:
    """The controller asked the person for identity evidence or clarification.

    ``resumed_on`` is the day the answer arrived; ``None`` while still waiting.
    """

    started_on: date
    resumed_on: date | None = None


@dataclass(frozen=True)
class Deadline:
    """When the answer is due; ``None`` dates mean the clock is stopped, not "no deadline"."""

    start_on: date
    due_on: date | None
    due_at: datetime | None
    extension_notice_by: date | None
    extended: bool
    clock_stopped: bool


def add_months(start: date, months: int) -> date:
    """The same date ``months`` later, or that month's last day if it has no such date.

    1182/71 Art. 3(2)(c) and the ICO: received 31 January, due 28 (or 29) February.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def next_working_day(d: date, jurisdiction: Jurisdiction) -> date:
    """A period ending on a non-working day ends on the next working day (1182/71 Art. 3(4))."""
    while not jurisdiction.is_working_day(d):
        d += timedelta(days=1)
    return d


def _raw_end(start: date, jurisdiction: Jurisdiction) -> date:
    if jurisdiction.months is not None:
        return add_months(start, jurisdiction.months)
    assert jurisdiction.days is not None
    # 1182/71 Art. 3(1): the day of the event is not counted, so N days end on start + N.
    return start + timedelta(days=jurisdiction.days)


def _raw_extended_end(start: date, jurisdiction: Jurisdiction) -> date:
    if jurisdiction.extension_months is not None:
        # From the same start: received 30 November, extended to 28 February, not to
        # 30 December plus two months.
        return add_months(start, jurisdiction.extension_months)
    assert jurisdiction.extension_days is not None
    # "N more days" counts from the unrolled end, so the total is period + N days from
    # receipt (e.g. 45 + 45 = 90 calendar days); only the final date is rolled forward.
    return _raw_end(start, jurisdiction) + timedelta(days=jurisdiction.extension_days)


def _end_of_day_utc(d: date, jurisdiction: Jurisdiction) -> datetime:
    # The answer is due at the end of the due date where the jurisdiction is; stored in
    # UTC so timers and comparisons do not depend on the server's zone.
    return datetime.combine(d, time.max, tzinfo=jurisdiction.zone).astimezone(UTC)


def compute_deadline(
    received_on: date,
    jurisdiction: Jurisdiction,
    *,
    stops: Sequence[ClockStop] = (),
    extended: bool = False,
) -> Deadline:
    """The due date of a request, from the facts of the case rather than stored state.

    Recomputing from receipt, stops and the extension flag each time means a corrected
    fact (a misdated stop, say) corrects the deadline with it.

    A stop that has ended restarts the period from the day the answer arrived (the ICO's
    "stop the clock": the time limit starts from receipt of the requested information);
    with several, the latest answer counts. An open stop leaves no due date at all.
    Under a ``never`` policy stops are ignored.
    """
    for stop in stops:
        if stop.started_on < received_on:
            raise ValueError(f"clock stop starting {stop.started_on} is before receipt on {received_on}")
        if stop.resumed_on is not None and stop.resumed_on < stop.started_on:
            raise ValueError(
                f"clock stop resumed on {stop.resumed_on} before it started on {stop.started_on}"
            )
    if extended and not jurisdiction.can_extend:
        raise ValueError(f"jurisdiction {jurisdiction.code!r} allows no extension")

    start = received_on
    stopped = False
    if jurisdiction.stop_clock is not StopClockPolicy.NEVER:
        stopped = any(stop.resumed_on is None for stop in stops)
        resumed = [stop.resumed_on for stop in stops if stop.resumed_on is not None]
        if resumed:
            start = max(start, *resumed)

    if stopped:
        return Deadline(
            start_on=start,
            due_on=None,
            due_at=None,
            extension_notice_by=None,
            extended=extended,
            clock_stopped=True,
        )

    original = next_working_day(_raw_end(start, jurisdiction), jurisdiction)
    due = next_working_day(_raw_extended_end(start, jurisdiction), jurisdiction) if extended else original
    return Deadline(
        start_on=start,
        due_on=due,
        due_at=_end_of_day_utc(due, jurisdiction),
        # Art. 12(3): the person must hear of an extension within the original period.
        extension_notice_by=original if jurisdiction.can_extend else None,
        extended=extended,
        clock_stopped=False,
    )


def days_left(deadline: Deadline, today: date) -> int | None:
    """Calendar days until the due date; negative once overdue, ``None`` while stopped.

    ``today`` is a parameter because reading the clock here would make workflows
    non-deterministic; callers pass the date in the jurisdiction's time zone.
    """
    if deadline.due_on is None:
        return None
    return (deadline.due_on - today).days


def reminder_dates(deadline: Deadline, offsets_days: Sequence[int] = (14, 7, 3, 1)) -> list[date]:
    """Dates to nudge the privacy team, earliest first.

    Reminders before the period began would fire for a clock that was not yet running
    (e.g. right after a restart), so they are dropped.
    """
    if deadline.due_on is None:
        return []
    if any(offset < 0 for offset in offsets_days):
        raise ValueError("reminder offsets are days before the due date and must be >= 0")
    candidates = {deadline.due_on - timedelta(days=offset) for offset in offsets_days}
    return sorted(d for d in candidates if d >= deadline.start_on)


def escalation_dates(deadline: Deadline, jurisdiction: Jurisdiction, until: date) -> list[date]:
    """The due date and each working day after it up to ``until``: one escalation per day
    the request is late, without paging anyone on days nobody is at work.
    """
    if deadline.due_on is None:
        return []
    result: list[date] = []
    d = deadline.due_on
    while d <= until:
        if jurisdiction.is_working_day(d) or d == deadline.due_on:
            result.append(d)
        d += timedelta(days=1)
    return result
