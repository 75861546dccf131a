"""Row generators for the app and web families."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

from devstack.demo_group.base import AS_OF, EPOCH
from devstack.demo_group.dataset import Context, documentation_ip, random_between, random_uuid
from devstack.demo_group.names import TIMEZONES
from devstack.demo_group.texts import PATHS, REFERRERS, SCREENS, SEARCHES, USER_AGENTS


def gen_app(ctx: Context) -> None:
    rng, p, m = ctx.rng, ctx.person, ctx.membership
    device = random_uuid(rng)
    platform = rng.choice(("iOS", "Android"))
    version = f"4.{rng.randint(2, 9)}.{rng.randint(0, 12)}"
    consent = rng.random() < 0.9
    start = max(m.since, AS_OF - timedelta(days=730))
    pings = rng.randint(20, 300) if consent else rng.randint(5, 30)
    while pings > 0:
        call = f"SC-{rng.randrange(10**6):06d}"
        at = random_between(rng, start, AS_OF - timedelta(hours=8))
        lat = p.latitude + rng.uniform(-0.15, 0.15)
        lon = p.longitude + rng.uniform(-0.25, 0.25)
        for _ in range(min(pings, rng.randint(3, 12))):
            pings -= 1
            at += timedelta(minutes=rng.randint(2, 30))
            ctx.data.add(
                ctx.company,
                "app_location_pings",
                user_email=p.email,
                device_id=device,
                recorded_at=at,
                latitude=Decimal(f"{lat + rng.uniform(-0.002, 0.002):.6f}") if consent else None,
                longitude=Decimal(f"{lon + rng.uniform(-0.002, 0.002):.6f}") if consent else None,
                accuracy_m=rng.randint(3, 60) if consent else None,
                service_call_ref=call,
                location_consent=consent,
            )
    for _ in range(rng.randint(10, 200)):
        kind = rng.choices(
            ("screen_view", "search", "open_result", "suggestion_shown", "suggestion_accepted"),
            (40, 25, 15, 12, 8),
        )[0]
        query = rng.choice(SEARCHES) if kind in ("search", "open_result") else None
        ctx.data.add(
            ctx.company,
            "app_usage_events",
            user_email=p.email,
            device_id=device,
            platform=platform,
            app_version=version,
            event_type=kind,
            search_query=query,
            result_count=rng.randint(0, 40) if kind == "search" else None,
            suggestion=rng.choice(SEARCHES) if kind.startswith("suggestion") else None,
            occurred_at=random_between(rng, start, AS_OF),
        )


def page_views(
    ctx: Context,
    cookie: str,
    email: str | None,
    agent: tuple[str, str, str, str],
    count: int,
    first: datetime,
    country: str,
) -> datetime:
    rng, loc = ctx.rng, ctx.locale
    ua, browser, version, os_name = agent
    ip = documentation_ip(rng)
    screen = rng.choice(SCREENS)
    plugins = json.dumps(["PDF Viewer"] if "Mobile" in browser else ["PDF Viewer", "Widevine"])
    at = first
    referrer = rng.choice(REFERRERS)
    for index in range(count):
        at += timedelta(seconds=rng.randint(3, 240))
        kind = (
            "page_view"
            if index == 0
            else rng.choices(("page_view", "click", "scroll", "download_error", "exit"), (50, 25, 18, 2, 5))[
                0
            ]
        )
        ctx.data.add(
            ctx.company,
            "web_page_views",
            cookie_id=cookie,
            user_email=email,
            ip=ip,
            user_agent=ua,
            browser=browser,
            browser_version=version,
            os=os_name,
            screen_resolution=screen,
            timezone=TIMEZONES.get(country, "Europe/London"),
            plugins=plugins,
            url=f"https://www.example.com{loc.web_prefix}{rng.choice(PATHS)}",
            referrer=referrer if index == 0 else None,
            event_type=kind,
            response_ms=rng.randint(40, 2400),
            visit_seconds=rng.randint(2, 600),
            occurred_at=at,
        )
    return at


def gen_web(ctx: Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    cookies = []
    for _ in range(rng.randint(1, 3)):
        cookie = f"{rng.getrandbits(128):032x}"
        agent = rng.choice(USER_AGENTS)
        first_seen = random_between(rng, max(m.since - timedelta(days=60), EPOCH), AS_OF)
        cookies.append((cookie, agent, first_seen))
    views = rng.randint(150, 350) if rng.random() < 0.12 else rng.randint(10, 80)
    last_seen: dict[str, datetime] = {}
    session = 0
    while views > 0:
        cookie, agent, first_seen = rng.choice(cookies)
        size = min(views, rng.randint(3, 15))
        views -= size
        logged_in = session == 0 or rng.random() < (0.8 if m.customer else 0.4)
        start = random_between(rng, first_seen, AS_OF - timedelta(hours=2))
        end = page_views(ctx, cookie, p.email if logged_in else None, agent, size, start, p.country)
        last_seen[cookie] = max(last_seen.get(cookie, end), end)
        session += 1
    for cookie, agent, first_seen in cookies:
        analytics = rng.random() < 0.7
        ctx.data.add(
            ctx.company,
            "web_cookies",
            cookie_id=cookie,
            user_email=p.email,
            first_seen=first_seen,
            last_seen=last_seen.get(cookie, first_seen),
            consent=json.dumps(
                {"necessary": True, "analytics": analytics, "marketing": analytics and rng.random() < 0.5}
            ),
            user_agent=agent[0],
        )
    calls = rng.choices((0, 1, 2, 3), (50, 30, 12, 8))[0] if m.customer else 0
    for _ in range(calls):
        ctx.data.add(
            ctx.company,
            "web_call_log",
            caller_phone=p.phone,
            called_number=loc.service_phone,
            started_at=random_between(rng, m.since, AS_OF),
            duration_seconds=rng.randint(30, 1800),
            last_page_url=f"https://www.example.com{loc.web_prefix}{rng.choice(PATHS)}",
            agent=rng.choice(loc.staff),
        )
