"""The well-known demo people: those tests and the README can name, generated apart from
the random crowd so that changing the crowd's size or seed never moves them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPerson:
    """A person tests and the README can name, with where the seeder put their data."""

    full_name: str
    email: str
    phone: str
    customer_number: str | None
    companies: tuple[str, ...]


DEMO_PEOPLE: list[DemoPerson] = [
    # A customer of three companies and nine systems; her support tickets quote Johan
    # Berg, Emma Clarke and her colleague Lars Ek (phone and personnummer).
    DemoPerson(
        "Astrid Lindqvist",
        "astrid.lindqvist@example.se",
        "+46701740605",
        "C-100001",
        ("gb01", "se01", "dk01"),
    ),
    # Only the controller knows him.
    DemoPerson("Oliver Bennett", "oliver.bennett@example.com", "+442079460123", "C-100002", ("gb01",)),
    # Only one affiliate knows her.
    DemoPerson("Sanne de Vries", "sanne.devries@example.org", "+31612345678", "C-100003", ("nl01",)),
    # Nobody knows her: the "no data found" case.
    DemoPerson("Karin Ödmark", "karin.odmark@example.net", "+46701740606", None, ()),
    # Customers of one company each, quoted in Astrid's tickets.
    DemoPerson("Johan Berg", "johan.berg@example.com", "+46701740607", "C-100004", ("se01",)),
    DemoPerson("Emma Clarke", "emma.clarke@example.org", "+441134960001", "C-100005", ("gb01",)),
]
# Astrid's colleague: never a data subject of his own, only quoted in her tickets.
COLLEAGUE_NAME = "Lars Ek"
COLLEAGUE_PHONE = "+46701740608"


def demo_person(email: str) -> DemoPerson:
    """Look a well-known person up the way a request arrives: by e-mail, in any case."""
    wanted = email.strip().lower()
    for person in DEMO_PEOPLE:
        if person.email == wanted:
            return person
    raise KeyError(email)
