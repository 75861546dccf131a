"""The one jinja2 environment for letters, e-mails and reports.

HTML templates (`*.html.j2`) are autoescaped, so a name or a free-text record can never
become markup. Plain-text e-mails (`*.txt.j2`) are not escaped, since entities would show
as-is in a text mail; their subject lines are stripped of line breaks so no value can
inject a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dsar.config import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2", "html"), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


def render_mail(kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
    """E-mail templates set `subject` with `{% set %}`; the rendered body is the rest."""
    template = environment().get_template(f"email/{kind}.{language}.txt.j2")
    module = template.make_module(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"template email/{kind}.{language}.txt.j2 sets no subject")
    return RenderedMail(subject=subject, body=str(module).strip() + "\n")


def render_html(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)


@dataclass(frozen=True)
class AuthorityView:
    name: str
    address: str
    website: str
    email: str | None


def authority_view(jurisdiction_code: str, language: str) -> AuthorityView:
    """The supervisory authority as letters and reports name it, in the person's language."""
    from dsar.clock import get_jurisdiction

    authority = get_jurisdiction(jurisdiction_code).authority
    return AuthorityView(
        name=authority.name_sv if language == "sv" else authority.name_en,
        address=", ".join(authority.address),
        website=authority.website,
        email=authority.email,
    )
