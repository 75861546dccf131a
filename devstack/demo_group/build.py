"""The whole dataset: the well-known people first, then the crowd, then anonymous web
traffic; built whole so each company's rows never depend on which others were empty.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from devstack.demo_group.base import AS_OF, EPOCH
from devstack.demo_group.dataset import Context, Dataset, Mentions, random_between
from devstack.demo_group.gen_digital import gen_app, gen_web, page_views
from devstack.demo_group.gen_sales import gen_billing, gen_crm, gen_events
from devstack.demo_group.gen_service import add_ticket, gen_marketing, gen_support
from devstack.demo_group.identifiers import PhoneBook, make_personnummer, national_format
from devstack.demo_group.locales import Locale, company_locale
from devstack.demo_group.people import COLLEAGUE_NAME, COLLEAGUE_PHONE, DEMO_PEOPLE
from devstack.demo_group.persons import Membership, Person, random_person, well_known
from devstack.demo_group.schemas import FAMILIES, company_tables, table_family
from devstack.demo_group.texts import USER_AGENTS
from dsar.group import Company, GroupRegistry

_GENERATORS = {
    "crm": gen_crm,
    "billing": gen_billing,
    "events": gen_events,
    "support": gen_support,
    "marketing": gen_marketing,
    "app": gen_app,
    "web": gen_web,
}


def _anonymous_web(data: Dataset, rng: random.Random, company: str, locale: Locale, country: str) -> None:
    """Visitors who never logged in: analytics rows no request can ever be matched to."""
    anonymous = Person(
        "", "", country, "", "", None, date(2000, 1, 1), None, "", "", "", "", "", "", "", 0.0, 0.0
    )
    membership = Membership(company, False, EPOCH, ("web",))
    ctx = Context(data, rng, anonymous, membership, locale, company, None)
    for _ in range(60):
        cookie = f"{rng.getrandbits(128):032x}"
        agent = rng.choice(USER_AGENTS)
        first = random_between(rng, EPOCH, AS_OF - timedelta(days=1))
        last = page_views(ctx, cookie, None, agent, rng.randint(2, 20), first, country)
        data.add(
            company,
            "web_cookies",
            cookie_id=cookie,
            user_email=None,
            first_seen=first,
            last_seen=last,
            consent=json.dumps({"necessary": True, "analytics": True, "marketing": False}),
            user_agent=agent[0],
        )


def _home_company(registry: GroupRegistry, country: str) -> Company:
    nearest = {"NO": ("NO", "DK", "SE"), "DE": ("DE", "NL", "DK")}.get(country, (country,))
    for wanted in nearest:
        for company in registry.companies:
            if company.country == wanted:
                return company
    return next(c for c in registry.companies if c.role == "controller")


def _assign(
    rng: random.Random,
    person: Person,
    registry: GroupRegistry,
    families: Mapping[str, tuple[str, ...]],
    next_customer: list[int],
) -> None:
    """Decide where a random person is known, and as what."""
    home = _home_company(registry, person.country)
    codes = [home.code]
    others = [c for c in registry.companies if c.code != home.code and families.get(c.code)]
    if others and rng.random() < 0.34:
        weights = [3 if c.role == "controller" else 1 for c in others]
        for _ in range(1 if rng.random() < 0.8 else 2):
            pick = rng.choices(others, weights)[0]
            if pick.code not in codes:
                codes.append(pick.code)
    for code in codes:
        available = families.get(code, ())
        if not available:
            continue
        customer = rng.random() < (0.65 if code == home.code else 0.45)
        if customer:
            odds = {
                "crm": 1.0,
                "billing": 0.85,
                "support": 0.55,
                "events": 0.35,
                "marketing": 0.75,
                "app": 0.5,
                "web": 0.7,
            }
        else:
            odds = {"events": 0.35, "marketing": 0.65, "web": 0.55, "support": 0.15}
        chosen = tuple(f for f in available if rng.random() < odds.get(f, 0.0))
        if not chosen:
            fallback = [f for f in available if f in odds] or list(available)
            chosen = (rng.choice(fallback),)
        customer = customer or any(f in ("crm", "billing") for f in chosen)
        if customer and person.customer_number is None:
            next_customer[0] += rng.randint(1, 40)
            person.customer_number = f"C-{next_customer[0]}"
        since = random_between(rng, EPOCH, AS_OF - timedelta(days=90))
        person.memberships.append(Membership(code, customer, since, chosen))


def _astrid_tickets(
    data: Dataset, locales: Mapping[str, Locale], astrid: Person, families: Mapping[str, tuple[str, ...]]
) -> None:
    """The tickets the README walks through: other people's data inside Astrid's records."""
    rng = random.Random("astrid-tickets")
    colleague_pnr = make_personnummer(date(1978, 4, 12), 123)
    colleague_phone = national_format(COLLEAGUE_PHONE)
    by_code = {m.company: m for m in astrid.memberships}
    if "support" in families.get("se01", ()) and "se01" in by_code:
        body = (
            "Hej!\n\nSedan uppdateringen i måndags kommer varken jag eller min kollega "
            f"{COLLEAGUE_NAME} ({colleague_phone}, personnummer {colleague_pnr}) åt "
            "lönemodulen. Johan Berg på Berg Bygg & Montage AB (johan.berg@example.com) sa på "
            "kundträffen att de har samma problem, så det verkar inte bara vara vi.\n\n"
            f"Ring mig gärna på {national_format(astrid.phone)}.\n\nHälsningar\n{astrid.full_name}\n"
            f"{astrid.employer}"
        )
        ctx = Context(data, rng, astrid, by_code["se01"], locales["se01"], "se01", None)
        add_ticket(
            ctx,
            "Kommer inte åt lönemodulen",
            body,
            datetime(2026, 10, 14, 8, 12, tzinfo=UTC),
            "email",
            [
                f"Hej Astrid! Vi har återställt behörigheterna för dig och {COLLEAGUE_NAME}. /Leila",
                "Tack, nu fungerar det!",
            ],
        )
    if "support" in families.get("gb01", ()) and "gb01" in by_code:
        body = (
            "Hello,\n\nOn the attendee list from the Nordic ERP Forum in Copenhagen, Emma Clarke "
            "(emma.clarke@example.org) is listed under my company, "
            f"{astrid.employer}, instead of her own. Could you correct this before the list is "
            "sent out again? Please also send the workshop slides to me and to Johan Berg "
            "(johan.berg@example.com), who missed the afternoon session.\n\n"
            f"My colleague {COLLEAGUE_NAME} will attend the next event in my place; his mobile "
            f"is {COLLEAGUE_PHONE}.\n\nKind regards,\n{astrid.full_name}"
        )
        ctx = Context(data, rng, astrid, by_code["gb01"], locales["gb01"], "gb01", None)
        add_ticket(
            ctx,
            "Wrong company on the attendee list",
            body,
            datetime(2026, 10, 21, 13, 40, tzinfo=UTC),
            "web",
            ["Hi Astrid, thanks - we have corrected the list and sent the slides. Fiona"],
        )


def build_dataset(registry: GroupRegistry, people: int, seed: int) -> Dataset:
    """All rows of all companies; built whole so each company's rows never depend on which
    other companies happened to be empty."""
    data = Dataset()
    companies = {c.code: c for c in registry.companies}
    families = {
        code: tuple(f for f in FAMILIES if any(table_family(t) == f for t in company_tables(company)))
        for code, company in companies.items()
    }
    locales = {code: company_locale(company) for code, company in companies.items()}

    # The well-known people first, each from their own generator: their rows and numbers
    # stay put whatever the crowd's size or seed.
    known = well_known()
    for person in known:
        rng = random.Random(f"demo-person:{person.email}")
        for membership in person.memberships:
            if membership.company not in companies:
                continue
            for family in membership.families:
                if family in families[membership.company]:
                    ctx = Context(
                        data, rng, person, membership, locales[membership.company], membership.company, None
                    )
                    _GENERATORS[family](ctx)
    _astrid_tickets(data, locales, known[0], families)

    rng = random.Random(seed)
    reserved_phones = {p.phone for p in DEMO_PEOPLE} | {COLLEAGUE_PHONE}
    reserved_phones |= {loc.service_phone for loc in locales.values()}
    phonebook = PhoneBook(rng, reserved_phones)
    used_emails = {p.email for p in DEMO_PEOPLE}
    reserved_names = {p.full_name for p in DEMO_PEOPLE} | {COLLEAGUE_NAME}
    crowd = [random_person(rng, phonebook, used_emails, reserved_names) for _ in range(people)]
    next_customer = [200000]
    for person in crowd:
        _assign(rng, person, registry, families, next_customer)
    mentions = Mentions(crowd)
    for person in crowd:
        for membership in person.memberships:
            for family in membership.families:
                ctx = Context(
                    data, rng, person, membership, locales[membership.company], membership.company, mentions
                )
                _GENERATORS[family](ctx)
    for code, company in companies.items():
        if "web" in families[code]:
            _anonymous_web(data, rng, code, locales[code], company.country)
    return data
