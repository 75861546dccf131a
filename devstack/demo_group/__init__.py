"""Seeds the demo group's company databases with invented but realistic people.

A rights-request product cannot be judged on empty databases: collection, review and
redaction only show their worth when one person is spread over several companies and
systems, and when their records quote other people (a colleague's phone number in a
support ticket, someone else's personnummer in a payroll question). So this package fills
one PostgreSQL database per company of the registry (`demo_<code>`) with a few hundred
people whose rows follow the categories of the group's privacy notice.

Everything is derived from `random.Random(seed)` and a fixed "as of" date, so two runs
produce the same rows and the same ids; tests and the README can rely on the well-known
people in `DEMO_PEOPLE`, whose rows are generated apart from the random crowd so that
changing the crowd's size or seed never moves them.

No real person is meant to be in here: e-mail domains are the reserved example.* ones,
Swedish and UK phone numbers come from the ranges the regulators (PTS, Ofcom) set aside
for fiction, IP addresses from the documentation ranges, card numbers are the payment
industry's public test numbers and national insurance numbers use the specimen prefix QQ.

The parts, in the order the data is made: `people` (the well-known people), `schemas`,
`identifiers`, `names`, `persons`, `locales`, `texts`, `dataset`, the generators
(`gen_sales`, `gen_service`, `gen_digital`), `build` and `databases` (seeding).
"""

from devstack.demo_group.databases import company_database, company_dsn, seed_demo_group
from devstack.demo_group.people import DEMO_PEOPLE, DemoPerson, demo_person

__all__ = [
    "DEMO_PEOPLE",
    "DemoPerson",
    "company_database",
    "company_dsn",
    "demo_person",
    "seed_demo_group",
]
