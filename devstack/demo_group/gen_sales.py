"""Row generators for the CRM, billing and events families."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from devstack.demo_group.base import AS_OF
from devstack.demo_group.dataset import Context, add_months, at_hour, money, random_between
from devstack.demo_group.identifiers import TEST_CARDS
from devstack.demo_group.persons import language_of
from devstack.demo_group.texts import (
    ATTENDEE_NOTES,
    CREDIT_AGENCIES,
    DEBIT_PROVIDERS,
    DIETARY,
    NOTES,
    PLAIN_ATTENDEE_NOTES,
    PLAIN_NOTES,
    PRODUCTS,
)


def gen_crm(ctx: Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    assert p.customer_number is not None
    churned = rng.random() < 0.1
    ctx.data.add(
        ctx.company,
        "crm_customers",
        customer_number=p.customer_number,
        full_name=p.full_name,
        email=p.email,
        phone=p.phone if rng.random() < 0.9 else None,
        company_name=p.employer,
        job_title=p.job_title,
        industry=p.industry,
        street=p.street,
        postcode=p.postcode,
        city=p.city,
        country=p.country,
        preferred_language=language_of(p.country),
        customer_since=m.since.date(),
        status="churned" if churned else "active",
        credit_limit=money(rng.choice((5000, 10000, 25000, 50000)) * loc.price_factor),
        created_at=m.since,
        updated_at=random_between(rng, m.since, AS_OF),
    )
    count = rng.choices((0, 1, 2, 3, 5, 8), (30, 25, 17, 12, 10, 6))[0]
    for _ in range(count):
        mention = ctx.mention()
        if mention is not None:
            event = rng.choice(loc.events).name
            body = rng.choice(NOTES[loc.language]).format(event=event, **mention)
        else:
            body = rng.choice(PLAIN_NOTES[loc.language])
        ctx.data.add(
            ctx.company,
            "crm_notes",
            customer_number=p.customer_number,
            author=rng.choice(loc.staff),
            channel=rng.choice(("phone", "meeting", "email")),
            body=body,
            created_at=random_between(rng, m.since, AS_OF),
        )


def gen_billing(ctx: Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    assert p.customer_number is not None
    plan = rng.choices(("annual", "quarterly", "monthly"), (50, 35, 15))[0]
    step = {"annual": 12, "quarterly": 3, "monthly": 1}[plan]
    start = m.since.date()
    if plan == "monthly" and start < date(2022, 1, 1):
        start = date(2022, 1, 1) + timedelta(days=rng.randrange(365))
    base = {
        "annual": rng.uniform(1200, 24000),
        "quarterly": rng.uniform(300, 6000),
        "monthly": rng.uniform(100, 2000),
    }[plan] * loc.price_factor
    method = rng.choices(("card", "direct_debit", "bank_transfer"), (40, 35, 25))[0]
    brand, card = rng.choice(TEST_CARDS)
    risk_checked = False
    issued, period = start, 0
    while issued <= AS_OF.date():
        growth = 1 + 0.04 * (issued.year - start.year)
        products = rng.sample(PRODUCTS, rng.randint(1, 3))
        shares = [rng.uniform(0.2, 1.0) for _ in products]
        net_total = money(base * growth)
        lines, allotted = [], Decimal("0.00")
        for index, product in enumerate(products):
            if index == len(products) - 1:
                amount = net_total - allotted
            else:
                amount = money(float(net_total) * shares[index] / sum(shares))
                allotted += amount
            lines.append({"product": product, "quantity": 1, "unit_price": str(amount), "period": plan})
        vat = (net_total * loc.vat_rate).quantize(Decimal("0.01"))
        age = (AS_OF.date() - issued).days
        paid_on: date | None = None
        if age > 45:
            status = rng.choices(("paid", "credited", "overdue"), (95, 2, 3))[0]
        elif age > 30:
            status = rng.choices(("paid", "overdue"), (80, 20))[0]
        else:
            status = rng.choices(("paid", "open"), (40, 60))[0]
        if status == "paid":
            paid_on = issued + timedelta(days=rng.randint(2, min(40, max(age, 2))))
            if paid_on > AS_OF.date():
                paid_on = AS_OF.date()
        sequence = ctx.data.next_number(ctx.company, "inv")
        number = f"{ctx.company.upper()}-{issued.year}-{sequence:06d}"
        ctx.data.add(
            ctx.company,
            "billing_invoices",
            invoice_number=number,
            customer_number=p.customer_number,
            billing_name=f"{p.employer}, att. {p.full_name}",
            billing_email=p.email,
            billing_address=f"{p.employer}\n{p.address}",
            issued_on=issued,
            due_on=issued + timedelta(days=30),
            currency=loc.currency,
            net_amount=net_total,
            vat_amount=vat,
            total_amount=net_total + vat,
            status=status,
            paid_on=paid_on,
            lines=json.dumps(lines, ensure_ascii=False),
        )
        if paid_on is not None:
            risk: str | None = None
            if not risk_checked:
                risk_checked = True
                risk = json.dumps(
                    {
                        "agency": CREDIT_AGENCIES.get(p.country, "Creditsafe"),
                        "score": rng.randint(40, 99),
                        "decision": "approved",
                        "checked_on": (issued - timedelta(days=3)).isoformat(),
                    }
                )
            if method == "card":
                provider = rng.choice(("Stripe", "Adyen"))
            elif method == "direct_debit":
                provider = DEBIT_PROVIDERS.get(p.country, "SEPA direct debit")
            else:
                provider = "bank transfer"
            ctx.data.add(
                ctx.company,
                "billing_payments",
                invoice_number=number,
                customer_number=p.customer_number,
                payer_name=p.full_name if method == "card" else p.employer,
                method=method,
                card_brand=brand if method == "card" else None,
                card_last4=card[-4:] if method == "card" else None,
                iban=p.iban if method != "card" else None,
                provider=provider,
                provider_reference=f"pay_{rng.getrandbits(64):016x}",
                amount=net_total + vat,
                currency=loc.currency,
                paid_at=at_hour(paid_on, rng.randint(6, 20), rng.randrange(60)),
                risk_check=risk,
            )
        period += 1
        issued = add_months(start, step * period)


def gen_events(ctx: Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    # Nobody registers for an event long before they first dealt with the company.
    eligible = [e for e in loc.events if e.day >= m.since.date() - timedelta(days=365)]
    eligible = eligible or [loc.events[-1]]
    count = min(len(eligible), rng.choices((1, 2, 3), (70, 22, 8))[0])
    for event in sorted(rng.sample(eligible, count), key=lambda e: e.day):
        registered = at_hour(event.day, 9) - timedelta(days=rng.randint(7, 90), minutes=rng.randrange(600))
        registered = min(registered, AS_OF - timedelta(hours=rng.randint(1, 240)))
        price = (
            Decimal("0.00")
            if m.customer and rng.random() < 0.6
            else money(rng.choice((95, 195, 295, 495)) * loc.price_factor)
        )
        mention = ctx.mention(chance=0.25)
        if mention is not None:
            note: str | None = rng.choice(ATTENDEE_NOTES).format(**mention)
        else:
            note = rng.choice(PLAIN_ATTENDEE_NOTES) if rng.random() < 0.25 else None
        _, card = rng.choice(TEST_CARDS)
        share = rng.random() < 0.6
        past = event.day < AS_OF.date()
        ctx.data.add(
            ctx.company,
            "events_registrations",
            event_code=event.code,
            event_name=event.name,
            event_date=event.day,
            venue=event.venue,
            city=event.city,
            full_name=p.full_name,
            email=p.email,
            phone=p.phone if rng.random() < 0.8 else None,
            company_name=p.employer,
            industry=p.industry,
            ticket_price=price,
            currency=loc.currency,
            paid=price > 0,
            card_last4=card[-4:] if price > 0 else None,
            dietary_requirements=rng.choice(DIETARY) if rng.random() < 0.2 else None,
            attendee_note=note,
            share_on_attendee_list=share,
            photo_consent=rng.random() < 0.7,
            registered_at=registered,
            checked_in_at=at_hour(event.day, 8, rng.randrange(60)) if past and rng.random() < 0.85 else None,
        )
        if share and past:
            ctx.data.add(
                ctx.company,
                "events_attendee_lists",
                event_code=event.code,
                full_name=p.full_name,
                job_title=p.job_title,
                company_name=p.employer,
                email=p.email,
                shared_with="all attendees and exhibiting partners",
                shared_at=at_hour(event.day - timedelta(days=2), 9),
            )
