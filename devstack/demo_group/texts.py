"""Free text (tickets, notes, campaigns, user agents, ...), some of it quoting other
people, so review and redaction have something to find.
"""

from __future__ import annotations

from devstack.demo_group.identifiers import words

# (subject, body, country of the person quoted: their national id is used)
TICKETS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "en": (
        (
            "Cannot log in to the portal",
            "Hi, since the last update I can't log in to the customer portal. My colleague "
            "{name} ({email}) has the same problem - could you reset both accounts?",
            None,
        ),
        (
            "New user for accounts",
            "Please add a new user for our accounts team: {name}, {email}, mobile {phone}.",
            None,
        ),
        (
            "Payroll export fails",
            "Our payroll export stops at one employee, {name}, NI number {national_id}. The error "
            "says the record is locked. Can you unlock it?",
            "GB",
        ),
        (
            "Charged twice",
            "We were charged twice for invoice {invoice}. The card used was {card} - please refund "
            "one of the payments.",
            None,
        ),
        (
            "Change of bank account",
            "Please change our direct debit to account {iban} (account holder {name}) from next month.",
            None,
        ),
        (
            "Remove leaver",
            "{name} has left the company, please remove their access. Their old address {email} "
            "should no longer receive anything from you.",
            None,
        ),
    ),
    "sv": (
        (
            "Kan inte logga in",
            "Hej! Sedan senaste uppdateringen kan jag inte logga in i kundportalen. Min kollega "
            "{name} ({email}) har samma problem, kan ni återställa båda kontona?",
            None,
        ),
        (
            "Ny användare",
            "Lägg gärna upp en ny användare åt vår ekonomiavdelning: {name}, {email}, mobil {phone}.",
            None,
        ),
        (
            "Lönekörningen stoppar",
            "Lönekörningen stoppar på en anställd, {name}, personnummer {national_id}. Felet säger "
            "att posten är låst. Kan ni låsa upp den?",
            "SE",
        ),
        (
            "Dubbeldragning",
            "Vi har blivit dragna två gånger för faktura {invoice}. Kortet som användes var {card}, "
            "kan ni återbetala en av dragningarna?",
            None,
        ),
        (
            "Nytt konto för autogiro",
            "Vi vill byta konto för autogiro till {iban} (kontoinnehavare {name}) från och med nästa månad.",
            None,
        ),
        (
            "Sluta skicka till tidigare anställd",
            "{name} har slutat hos oss, ta bort behörigheten. Adressen {email} ska inte längre få "
            "några utskick.",
            None,
        ),
    ),
}
PLAIN_TICKETS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        (
            "Negative stock",
            "The stock report shows negative quantities for several items since yesterday's stocktake.",
        ),
        ("VAT report", "How do I export the VAT report for the last quarter?"),
        ("App crash", "The mobile app crashes when I open a service job with photos attached."),
        ("Contract copy", "Could you send me a copy of our contract and the price list for next year?"),
        ("Quote for licences", "We'd like a quote for five more user licences."),
        ("Invoice layout", "Our logo is missing from the invoices since the upgrade."),
    ),
    "sv": (
        ("Negativt lagersaldo", "Lagerrapporten visar negativa saldon sedan inventeringen igår."),
        ("Momsrapport", "Hur tar jag ut momsrapporten för förra kvartalet?"),
        ("Appen kraschar", "Appen kraschar när jag öppnar en serviceorder med bilder."),
        ("Kopia på avtal", "Kan ni skicka en kopia av vårt avtal och prislistan för nästa år?"),
        ("Offert på licenser", "Vi vill ha en offert på fem licenser till."),
        ("Fakturamallen", "Vår logga saknas på fakturorna sedan uppgraderingen."),
    ),
}
NOTES: dict[str, tuple[str, ...]] = {
    "en": (
        "Met at {event}. Mentioned that {name} ({email}) is their new IT manager and should be "
        "invited to the next webinar.",
        "Called about the renewal; {name} answered and asked us to call back on {phone}.",
        "New bank details received by phone: {iban}. Verify in writing before changing the mandate.",
        "Their partner {name} ({email}) runs a similar business and may be interested.",
    ),
    "sv": (
        "Träffades på {event}. Nämnde att {name} ({email}) är ny IT-ansvarig och ska bjudas in "
        "till nästa webbinarium.",
        "Ringde om förlängningen; {name} svarade och bad oss ringa tillbaka på {phone}.",
        "Nya kontouppgifter lämnade per telefon: {iban}. Kontrollera skriftligt innan medgivandet ändras.",
        "Sambon {name} ({email}) driver ett liknande företag och kan vara intresserad.",
    ),
}
PLAIN_NOTES: dict[str, tuple[str, ...]] = {
    "en": (
        "Customer asked us to contact them by e-mail only, not by phone.",
        "Interested in the field-service app; send a demo invite.",
        "Discussed late payments. Agreed a payment plan for the next three invoices.",
        "Reference customer - happy to take calls from prospects.",
        "Complained about response times in support; escalated to the service manager.",
    ),
    "sv": (
        "Kunden vill bara bli kontaktad via e-post, inte telefon.",
        "Intresserad av serviceappen; skicka inbjudan till demo.",
        "Pratade om sena betalningar. Avbetalningsplan för de tre nästa fakturorna.",
        "Referenskund - tar gärna samtal från nya kunder.",
        "Klagade på svarstiderna i supporten; lyft till servicechefen.",
    ),
}
ATTENDEE_NOTES = (
    "Travelling with {name} ({email}); please seat us together at dinner.",
    "Bringing my colleague {name}, mobile {phone}.",
)
PLAIN_ATTENDEE_NOTES = (
    "Wheelchair access needed.",
    "Please invoice the ticket to our accounts team.",
    "Arriving late, after 11:00.",
    "Will only attend the morning sessions.",
)
CAMPAIGNS = ("Product news", "Webinar invite", "Event invite", "Customer newsletter", "Spring release")
DIETARY = ("vegetarian", "vegan", "gluten-free", "nut allergy", "halal", "lactose intolerance")
PRODUCTS = words("Business ERP, Payroll, Field Service, Web Shop Connect, Stock & Orders, Customer Portal")
SEARCHES = words(
    "pump service manual, boiler fault E119, order status, spare parts filter, heat pump reset, "
    "service history, invoice copy, safety checklist, gas valve torque, warranty terms"
)
USER_AGENTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/128.0.0.0 Safari/537.36",
        "Chrome",
        "128.0",
        "Windows 10",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
        "Safari",
        "17.5",
        "macOS 14.5",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
        "Firefox",
        "131.0",
        "Windows 10",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "17.6",
        "iOS 17.6",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/129.0.0.0 Mobile Safari/537.36",
        "Chrome Mobile",
        "129.0",
        "Android 14",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
        "Edge",
        "126.0",
        "Windows 11",
    ),
)
SCREENS = ("1920x1080", "2560x1440", "1366x768", "1536x864", "390x844", "412x915")
PATHS = words(
    "/ /products/erp /products/field-service /products/payroll /pricing /support /support/downloads "
    "/events /contact /login /portal/invoices /portal/tickets /blog/vat-changes /careers",
    " ",
)
REFERRERS = (
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://www.linkedin.com/",
    "https://newsletter.example.com/",
    None,
    None,
)
BROKERS: dict[str, tuple[str, ...]] = {
    "SE": ("Nordlys Data AB", "EuroProspect GmbH"),
    "GB": ("LeadHarbour Ltd", "EuroProspect GmbH"),
    "DK": ("Fyrtårn Leads ApS", "EuroProspect GmbH"),
}
DEFAULT_BROKERS = ("Datavolt B.V.", "EuroProspect GmbH")
CREDIT_AGENCIES = {"SE": "UC", "GB": "Experian", "DK": "Experian", "NL": "Creditsafe"}
DEBIT_PROVIDERS = {"SE": "Autogiro (Bankgirot)", "GB": "GoCardless", "DK": "Betalingsservice"}
