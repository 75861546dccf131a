"""Row generators for the support and marketing families."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from devstack.demo_group.base import AS_OF, EPOCH
from devstack.demo_group.dataset import Context, random_between
from devstack.demo_group.texts import (
    BROKERS,
    CAMPAIGNS,
    DEFAULT_BROKERS,
    PATHS,
    PLAIN_TICKETS,
    PRODUCTS,
    TICKETS,
)


def add_ticket(
    ctx: Context,
    subject: str,
    body: str,
    opened: datetime,
    channel: str,
    replies: Sequence[str],
) -> None:
    rng, p, loc = ctx.rng, ctx.person, ctx.locale
    number = f"{ctx.company.upper()}-T{ctx.data.next_number(ctx.company, 'ticket'):06d}"
    recent = (AS_OF - opened).days < 14
    status = rng.choice(("open", "pending")) if recent and rng.random() < 0.7 else "closed"
    closed = None if status != "closed" else min(AS_OF, opened + timedelta(hours=rng.randint(1, 24 * 12)))
    ctx.data.add(
        ctx.company,
        "support_tickets",
        ticket_number=number,
        customer_number=p.customer_number if ctx.membership.customer else None,
        requester_name=p.full_name,
        requester_email=p.email,
        requester_phone=p.phone if channel == "phone" or rng.random() < 0.4 else None,
        channel=channel,
        product=rng.choice(PRODUCTS),
        subject=subject,
        body=body,
        status=status,
        priority=rng.choices(("low", "normal", "high"), (25, 60, 15))[0],
        opened_at=opened,
        closed_at=closed,
    )
    agent = rng.choice(loc.staff)
    sent = opened
    ctx.data.add(
        ctx.company,
        "support_messages",
        ticket_number=number,
        direction="inbound",
        author_name=p.full_name,
        author_email=p.email,
        body=body,
        sent_at=sent,
    )
    for index, reply in enumerate(replies):
        sent += timedelta(minutes=rng.randint(20, 60 * 30))
        inbound = index % 2 == 1
        ctx.data.add(
            ctx.company,
            "support_messages",
            ticket_number=number,
            direction="inbound" if inbound else "outbound",
            author_name=p.full_name if inbound else f"{agent} ({loc.brand} support)",
            author_email=p.email if inbound else f"support.{ctx.company}@example.com",
            body=reply,
            sent_at=sent,
        )


def gen_support(ctx: Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    count = rng.choices((1, 2, 3, 5, 8), (45, 25, 15, 10, 5))[0]
    for _ in range(count):
        subject, body, wants = rng.choice(TICKETS[loc.language])
        mention = ctx.mention(country=wants, chance=0.45)
        if mention is not None:
            invoice = f"{ctx.company.upper()}-{rng.randint(2017, 2026)}-{rng.randrange(10**6):06d}"
            body = body.format(invoice=invoice, **mention)
        else:
            subject, body = rng.choice(PLAIN_TICKETS[loc.language])
        agent = rng.choice(loc.staff).split()[0]
        if loc.language == "sv":
            replies = [
                f"Hej {p.first}! Tack för ditt meddelande, vi tittar på det. /{agent}",
                "Tack, nu fungerar det!",
                f"Vad bra! Vi stänger ärendet. /{agent}",
            ]
        else:
            replies = [
                f"Hi {p.first}, thanks for getting in touch - we're looking into it. {agent}",
                "Thanks, that's sorted it.",
                f"Great, we'll close the ticket. {agent}",
            ]
        add_ticket(
            ctx,
            subject,
            body,
            random_between(rng, m.since, AS_OF),
            rng.choice(("email", "web", "phone", "chat")),
            replies[: rng.randint(0, 3)],
        )


def gen_marketing(ctx: Context) -> None:
    rng, p, m, loc = ctx.rng, ctx.person, ctx.membership, ctx.locale
    from_broker = not m.customer and rng.random() < 0.5
    if m.customer:
        basis = rng.choices(("legitimate_interest", "consent"), (60, 40))[0]
        source = "customer"
    elif from_broker:
        basis, source = "legitimate_interest", "data broker"
    else:
        basis, source = "consent", rng.choice(("website form", "event", "webinar"))
    opt_in_at = random_between(rng, m.since, AS_OF) if basis == "consent" else None
    unsubscribed = random_between(rng, m.since, AS_OF) if rng.random() < 0.12 else None
    sms = rng.random() < 0.2
    post = rng.random() < 0.3
    ctx.data.add(
        ctx.company,
        "marketing_preferences",
        email=p.email,
        phone=p.phone if sms or rng.random() < 0.4 else None,
        full_name=p.full_name,
        postal_address=f"{p.employer}\n{p.address}" if post else None,
        email_opt_in=basis == "consent" and unsubscribed is None,
        email_opt_in_at=opt_in_at,
        sms_opt_in=sms,
        sms_opt_in_at=random_between(rng, m.since, AS_OF) if sms else None,
        post_opt_in=post,
        legal_basis=basis,
        source=source,
        unsubscribed_at=unsubscribed,
        updated_at=unsubscribed or opt_in_at or m.since,
    )
    first_send = max(opt_in_at or m.since, EPOCH)
    last_send = unsubscribed or AS_OF
    campaigns = rng.randint(0, 14)
    for _ in range(campaigns):
        sent = random_between(rng, first_send, last_send)
        campaign = f"{sent:%Y-%m} {rng.choice(CAMPAIGNS)}"
        ctx.data.add(
            ctx.company,
            "marketing_email_events",
            email=p.email,
            campaign=campaign,
            event="sent",
            link_url=None,
            occurred_at=sent,
        )
        if rng.random() < 0.45:
            opened = sent + timedelta(minutes=rng.randint(5, 60 * 48))
            ctx.data.add(
                ctx.company,
                "marketing_email_events",
                email=p.email,
                campaign=campaign,
                event="opened",
                link_url=None,
                occurred_at=opened,
            )
            if rng.random() < 0.3:
                ctx.data.add(
                    ctx.company,
                    "marketing_email_events",
                    email=p.email,
                    campaign=campaign,
                    event="clicked",
                    link_url=f"https://www.example.com{loc.web_prefix}"
                    f"{rng.choice(PATHS)}?utm_source=newsletter",
                    occurred_at=opened + timedelta(seconds=rng.randint(5, 300)),
                )
    if unsubscribed is not None:
        ctx.data.add(
            ctx.company,
            "marketing_email_events",
            email=p.email,
            campaign="unsubscribe link",
            event="unsubscribed",
            link_url=None,
            occurred_at=unsubscribed,
        )
    leads = rng.randint(1, 2) if from_broker else (1 if rng.random() < 0.15 else 0)
    for _ in range(leads):
        broker = rng.choice(BROKERS.get(p.country, DEFAULT_BROKERS))
        acquired = random_between(rng, max(m.since - timedelta(days=400), EPOCH), m.since)
        ctx.data.add(
            ctx.company,
            "marketing_broker_leads",
            broker=broker,
            broker_record_id=f"{broker.split()[0][:3].upper()}-{rng.randrange(10**8):08d}",
            full_name=p.full_name,
            job_title=p.job_title,
            company_name=p.employer,
            company_size=rng.choice(("1-9", "10-49", "50-249")),
            industry=p.industry,
            email=p.email,
            phone=p.phone if rng.random() < 0.6 else None,
            acquired_at=acquired,
            licence_expires_on=(acquired + timedelta(days=rng.choice((365, 730)))).date(),
            attributes=json.dumps(
                {
                    "seniority": rng.choice(("owner", "manager", "staff")),
                    "list": f"{p.industry.title()} decision makers {acquired.year}",
                    "employees_band": rng.choice(("1-9", "10-49", "50-249")),
                    "city": p.city,
                },
                ensure_ascii=False,
            ),
        )
