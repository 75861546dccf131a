"""The figures of one run, the issue's goals checked against them (PASS/MISS) and the table.

Pure: no I/O, so the table and the goals are unit-tested (tests/unit/test_pipeline_figures.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.pipeline.capacity import Costs, size, sizing_rows
from bench.pipeline.histories import HistorySize
from bench.pipeline.shape import Shape
from bench.pipeline.storm import Storm

# The goals (#16, "What to build").
RATIO_GOAL = 0.7
P95_GOAL_S = 10.0
LISTING_GOAL_S = 2.0
STARTUP_GOAL_S = 0.3
# "Does not grow with delivered requests": from the delivery that filled the workflow cache
# (a delivered request keeps running while its package is kept, so the cache holds it) to the
# last delivery, at most this share. Before the cache is full, memory grows by design: up to
# the cache size times the memory per cached request (the open-requests figure).
MEMORY_GROWTH_GOAL = 0.10
STORM_LAG_GOAL_S = 60.0


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def busiest(samples: list[tuple[float, float]], window: float = 5.0) -> float:
    """The highest CPU rate (cores) over any `window` seconds of (time, CPU seconds) samples."""
    best = 0.0
    for i, (start, used) in enumerate(samples):
        for end, used_then in samples[i + 1 :]:
            if end - start >= window:
                best = max(best, (used_then - used) / (end - start))
                break
    return best


def ceiling_per_minute(requests: int, before_s: float, after_s: float | None) -> float:
    """The ceiling's rate while a batch ran: the mean of the rates measured just before the
    batch and just after it, when both were. The server's store grows with the batch (run 4's
    ceiling, taken after its batch of 500, ran at 26.0/min; runs 7-20 took it before theirs,
    at 30-59/min), so a ceiling taken only before is the server as the batch began, one taken
    only after as it ended; the batch ran across the whole stretch between them."""
    rates = [requests / before_s * 60]
    if after_s is not None:
        rates.append(requests / after_s * 60)
    return sum(rates) / len(rates)


@dataclass(frozen=True)
class Batch:
    """A batch of the run (e.g. 100 before 1,000): its rate, its own ceiling (before it and,
    when measured, after it) and its latencies."""

    requests: int
    pipeline_s: float
    ceiling_s: float  # the ceiling just before the batch
    latencies_s: list[float]
    ceiling_after_s: float | None = None  # the ceiling just after it

    @property
    def per_minute(self) -> float:
        return self.requests / self.pipeline_s * 60

    @property
    def ceiling_per_minute(self) -> float:
        return ceiling_per_minute(self.requests, self.ceiling_s, self.ceiling_after_s)

    @property
    def ratio(self) -> float:
        """Against the ceiling's mean rate over the batch (`ceiling_per_minute`)."""
        return self.per_minute / self.ceiling_per_minute

    def ratio_text(self) -> str:
        """The ratio, and beside it those against each ceiling alone when both were measured."""
        if self.ceiling_after_s is None:
            return f"{self.ratio:.2f}"
        before = self.per_minute * self.ceiling_s / self.requests / 60
        after = self.per_minute * self.ceiling_after_s / self.requests / 60
        return f"{self.ratio:.2f} (against the ceiling before it {before:.2f}, after it {after:.2f})"

    def rates_text(self) -> str:
        """Delivered / ceiling per minute, the ceiling's two measurements and the ratio."""
        ceiling = f"{self.ceiling_per_minute:.1f}/min"
        if self.ceiling_after_s is not None:
            before, after = (self.requests / s * 60 for s in (self.ceiling_s, self.ceiling_after_s))
            ceiling += f" (mean of {before:.1f} before, {after:.1f} after)"
        return f"{self.per_minute:.1f}/min / {ceiling}, ratio {self.ratio_text()}"


@dataclass
class Figures:
    requests: int
    pipeline_s: float  # first submission to last delivery
    ceiling_s: float  # the same number of ceiling workflows, started at once, all done (before)
    shape: Shape
    latencies_s: list[float]  # approval -> link e-mail saved by the mail catcher
    rss_start_mb: float  # control worker before any request
    rss_first_mb: float  # ... at the first delivery
    rss_end_mb: float  # ... after the last delivery
    open_requests: int = 0
    # Of them, those opened since the control workers last started (all of them when they
    # were not restarted): what the memory per open request is counted over.
    open_cached: int = 0
    rss_before_open_mb: float = 0.0
    # The control workers' workflow cache (per worker) after the restart for the storm, when
    # `--open-cache` set one other than the batches' (0: the same).
    open_cache: int = 0
    # Decisions taken up by their workflow after the signature's window, signed again.
    signed_again: int = 0
    rss_open_mb: float = 0.0
    temporal_db_before_open_mb: float = 0.0
    temporal_db_open_mb: float = 0.0
    cli_s: dict[str, float] = field(default_factory=dict)
    startup_s: float = 0.0
    histories: list[HistorySize] = field(default_factory=list)
    # Where the time went: seconds per request in each stage, CPU seconds per process.
    stages_s: dict[str, list[float]] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    control_peak_cpu: float = 0.0  # the control worker's busiest window, in cores
    waits_s: dict[str, list[float]] = field(default_factory=dict)  # scheduled -> started
    batches: list[Batch] = field(default_factory=list)  # the smaller batches before this one
    # The control workers' RSS at each delivery, all batches, in order; the cache's size
    # (per worker times workers: requests are sticky to one worker's cache).
    rss_by_delivery_mb: list[float] = field(default_factory=list)
    workflow_cache: int = 0
    # The case store's size before the first batch and after the last (delivered requests).
    case_store_start_mb: float = 0.0
    case_store_end_mb: float = 0.0
    # How much Temporal's file grew while the batches were driven (not while the ceilings ran).
    temporal_db_driven_mb: float = 0.0
    per_year: int = 100_000  # the year the sizing is computed for
    control_workers: int = 1
    packaging_workers: int = 1
    storm: Storm | None = None
    # CPU seconds while the ceiling ran: Temporal's and its worker's (this process).
    ceiling_cpu_s: dict[str, float] = field(default_factory=dict)
    # The ceiling again after the last batch, and its CPU (None, {}: not measured).
    ceiling_after_s: float | None = None
    ceiling_after_cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def last(self) -> Batch:
        """The last batch, as the earlier ones are kept: one ratio for both."""
        return Batch(self.requests, self.pipeline_s, self.ceiling_s, self.latencies_s, self.ceiling_after_s)

    @property
    def per_minute(self) -> float:
        return self.last.per_minute

    @property
    def ceiling_per_minute(self) -> float:
        return self.last.ceiling_per_minute

    @property
    def ratio(self) -> float:
        return self.last.ratio

    def costs(self) -> Costs:
        """Per delivered request, from the last batch's CPU and the run's sizes."""

        def cpu(prefix: str) -> float:
            return sum(v for part, v in self.cpu_s.items() if part.startswith(prefix)) / self.requests

        delivered = len(self.rss_by_delivery_mb) or self.requests
        storm = self.storm
        return Costs(
            control_cpu_s=cpu("control"),
            packaging_cpu_s=cpu("packaging"),
            company_cpu_s=cpu("company"),
            temporal_cpu_s=cpu("temporal"),
            postgres_cpu_s=cpu("postgres"),
            temporal_kb=self.temporal_db_driven_mb * 1000 / delivered,
            case_store_kb=self.case_store_kb_per_request,
            cached_kb=self.kb_per_open_request if self.open_requests else math.nan,
            reminders_per_s=storm.requests / max(storm.lags_s)
            if storm and storm.lags_s and max(storm.lags_s) > 0
            else 0.0,
        )

    @property
    def case_store_kb_per_request(self) -> float:
        delivered = len(self.rss_by_delivery_mb) or self.requests
        return (self.case_store_end_mb - self.case_store_start_mb) * 1000 / delivered

    @property
    def rss_cache_full_mb(self) -> float | None:
        """RSS at the delivery that filled the workflow cache (the first delivery when there
        is no cache); None when fewer requests were delivered than the cache holds."""
        if not self.workflow_cache:
            return self.rss_first_mb
        if len(self.rss_by_delivery_mb) <= self.workflow_cache:
            return None
        return self.rss_by_delivery_mb[self.workflow_cache - 1]

    @property
    def memory_growth(self) -> float:
        base = self.rss_cache_full_mb
        return math.nan if base is None else (self.rss_end_mb - base) / base

    @property
    def kb_per_open_request(self) -> float:
        if not self.open_requests:
            return math.nan
        return (self.rss_open_mb - self.rss_before_open_mb) * 1024 / (self.open_cached or self.open_requests)


@dataclass(frozen=True)
class Goal:
    name: str
    target: str
    value: str
    met: bool


def goals(f: Figures) -> list[Goal]:
    """Every goal of the issue this run measured, met or missed."""
    p95 = percentile(f.latencies_s, 0.95)
    found = []
    for b in f.batches:
        b95 = percentile(b.latencies_s, 0.95)
        found += [
            Goal(
                f"throughput vs ceiling ({b.requests})",
                f">= {RATIO_GOAL}",
                f"{b.ratio:.2f}",
                b.ratio >= RATIO_GOAL,
            ),
            Goal(
                f"approval -> link e-mail p95 ({b.requests})",
                f"<= {P95_GOAL_S:g} s",
                f"{b95:.1f} s",
                b95 <= P95_GOAL_S,
            ),
        ]
    found += [
        Goal("throughput vs ceiling", f">= {RATIO_GOAL}", f"{f.ratio:.2f}", f.ratio >= RATIO_GOAL),
        Goal("approval -> link e-mail p95", f"<= {P95_GOAL_S:g} s", f"{p95:.1f} s", p95 <= P95_GOAL_S),
    ]
    for command, seconds in f.cli_s.items():
        found.append(Goal(command, f"<= {LISTING_GOAL_S:g} s", f"{seconds:.2f} s", seconds <= LISTING_GOAL_S))
    found.append(
        Goal(
            "dsar --help start-up",
            f"< {STARTUP_GOAL_S} s",
            f"{f.startup_s:.2f} s",
            f.startup_s < STARTUP_GOAL_S,
        )
    )
    judged = f.rss_cache_full_mb is not None
    found.append(
        Goal(
            "control worker memory growth",
            f"<= {MEMORY_GROWTH_GOAL:.0%} from a full workflow cache to the last delivery",
            f"{f.memory_growth:+.1%}"
            if judged
            else f"not judged: {len(f.rss_by_delivery_mb)} delivered, the cache holds {f.workflow_cache}",
            judged and f.memory_growth <= MEMORY_GROWTH_GOAL,
        )
    )
    if f.storm is not None:
        worst = max(f.storm.lags_s, default=math.inf)
        met = worst <= STORM_LAG_GOAL_S and f.storm.missing == 0 and f.storm.doubled == 0
        value = f"max lag {worst:.1f} s, {f.storm.missing} missing, {f.storm.doubled} sent twice"
        found.append(
            Goal("reminder storm", f"max lag <= {STORM_LAG_GOAL_S:g} s, none missing or doubled", value, met)
        )
    return found


def storm_rows(storm: Storm) -> list[tuple[str, str]]:
    lags = storm.lags_s
    return [
        (
            f"reminder storm: {storm.requests} due at {storm.reminder_time}",
            f"lag p50 {percentile(lags, 0.5):.1f} s, p99 {percentile(lags, 0.99):.1f} s,"
            f" max {max(lags, default=math.nan):.1f} s; missing {storm.missing},"
            f" sent twice {storm.doubled} (submitted in {storm.opened_s:.0f} s)",
        )
    ]


def cpu_comparison(f: Figures) -> list[tuple[str, str]]:
    """CPU seconds per delivered request beside those per ceiling workflow: what the ratio
    costs, and how much of it is Temporal's own work."""
    if not f.cpu_s or not f.ceiling_cpu_s:
        return []
    ours = sum(f.cpu_s.values()) / f.requests
    rows = []
    for when, ceiling_cpu in (("before", f.ceiling_cpu_s), ("after", f.ceiling_after_cpu_s)):
        if ceiling_cpu:
            rows.append(
                (
                    f"CPU per request vs per ceiling workflow {when}",
                    f"{ours:.2f} s vs {sum(ceiling_cpu.values()) / f.requests:.2f} s"
                    f" (Temporal {f.cpu_s.get('temporal', 0.0) / f.requests:.2f}"
                    f" vs {ceiling_cpu.get('temporal', 0.0) / f.requests:.2f} s)",
                )
            )
    return rows


def table(f: Figures) -> list[str]:
    """The run's figures as aligned lines, then one PASS/MISS line per goal."""
    s = f.shape
    rows = [("workers", f"{f.control_workers} control, {f.packaging_workers} packaging, one per company")]
    for b in f.batches:
        rows += [
            (f"batch of {b.requests}: delivered / ceiling", b.rates_text()),
            (
                f"batch of {b.requests}: approval -> link e-mail",
                f"p50 {percentile(b.latencies_s, 0.5):.1f} s, p95 {percentile(b.latencies_s, 0.95):.1f} s,"
                f" max {max(b.latencies_s, default=math.nan):.1f} s",
            ),
        ]
    rows += [
        ("access requests delivered", f"{f.requests} in {f.pipeline_s:.1f} s = {f.per_minute:.1f}/min"),
        (
            "ceiling (no-I/O workflow, same shape)",
            f"{f.requests} in {f.ceiling_s:.1f} s before"
            + (f" and {f.ceiling_after_s:.1f} s after" if f.ceiling_after_s is not None else "")
            + f" = {f.ceiling_per_minute:.1f}/min"
            f" ({s.before}+{s.after} activities, {s.children} children x {s.child_activities})",
        ),
        ("ratio", f.last.ratio_text()),
        *cpu_comparison(f),
        (
            "approval -> link e-mail",
            f"p50 {percentile(f.latencies_s, 0.5):.1f} s, p95 {percentile(f.latencies_s, 0.95):.1f} s,"
            f" max {max(f.latencies_s, default=math.nan):.1f} s",
        ),
        *(
            (f"stage: {stage}", f"p50 {percentile(v, 0.5):.1f} s, max {max(v, default=math.nan):.1f} s")
            for stage, v in f.stages_s.items()
        ),
        *(
            (f"CPU while driving: {part}", f"{cpu:.1f} s ({cpu / f.pipeline_s:.0%} of one core)")
            for part, cpu in sorted(f.cpu_s.items(), key=lambda item: -item[1])
        ),
        *(
            (
                wait,
                f"p50 {percentile(v, 0.5):.2f} s, p95 {percentile(v, 0.95):.2f} s,"
                f" max {max(v, default=math.nan):.1f} s ({len(v)} tasks)",
            )
            for wait, v in sorted(f.waits_s.items())
        ),
        ("control worker CPU, busiest 5 s", f"{f.control_peak_cpu:.0%} of one core"),
        (
            "control worker RSS",
            f"{f.rss_start_mb:.0f} MB at start, {f.rss_first_mb:.0f} MB at first delivery,"
            + (
                f" {f.rss_cache_full_mb:.0f} MB with the cache full ({f.workflow_cache}),"
                if f.workflow_cache and f.rss_cache_full_mb is not None
                else ""
            )
            + f" {f.rss_end_mb:.0f} MB after {len(f.rss_by_delivery_mb) or f.requests}",
        ),
        (
            "case store (PostgreSQL) per delivered request",
            f"{f.case_store_kb_per_request:.0f} kB"
            f" ({f.case_store_start_mb:.1f} -> {f.case_store_end_mb:.1f} MB)",
        ),
        (
            f"{f.open_requests} open requests (identity)",
            f"control RSS {f.rss_before_open_mb:.0f} -> {f.rss_open_mb:.0f} MB"
            f" ({f.kb_per_open_request:.0f} kB each"
            + (
                f", over the {f.open_cached} opened after the restart"
                if f.open_cached and f.open_cached != f.open_requests
                else ""
            )
            + (f", workflow cache {f.open_cache} per worker" if f.open_cache else "")
            + "); Temporal DB"
            f" {f.temporal_db_before_open_mb:.1f} -> {f.temporal_db_open_mb:.1f} MB",
        ),
    ]
    rows += [
        (f"{command} ({f.open_requests} open)", f"{seconds:.2f} s") for command, seconds in f.cli_s.items()
    ]
    rows.append(("dsar --help", f"{f.startup_s:.2f} s"))
    rows.append(("decisions signed again (queued past the window)", str(f.signed_again)))
    if f.storm is not None:
        rows += storm_rows(f.storm)
    if f.cpu_s:
        rows += sizing_rows(size(f.costs(), f.per_year))
    for h in f.histories:
        scope = "with children" if h.children_included else "request workflow only"
        rows.append((f"history: {h.shape}", f"{h.bytes / 1024:.0f} kB, {h.events} events ({scope})"))
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    lines.append("")
    for goal in goals(f):
        mark = "PASS" if goal.met else "MISS"
        lines.append(f"{mark}  {goal.name}: {goal.value} (goal {goal.target})")
    return lines
