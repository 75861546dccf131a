"""The one jinja2 environment for letters, e-mails and reports.

HTML templates (`*.html.j2`) are autoescaped, so a name or a free-text record can never
become markup. Plain-text e-mails (`*.txt.j2`) are not escaped, since entities would show
as-is in a text mail; their subject lines are stripped of line breaks so no value can
inject a header.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from dsar.config import PROJECT_ROOT
from dsar.package.locale_format import format_date

TEMPLATES_DIR = PROJECT_ROOT / "templates"


# Plain-text e-mail bodies are wrapped at this width (RFC 3676's advice, and what mail
# programs show without reflowing).
MAIL_WIDTH = 72


@pass_context
def _day(context: Context, value: date) -> str:
    """`{{ received_on | day }}`: a date as the person writes it, in the template's `lang`."""
    return format_date(value, str(context.get("lang", "en")))


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2", "html"), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["day"] = _day
    return env


def wrap_body(text: str, width: int = MAIL_WIDTH) -> str:
    """Every line at most `width` columns, whatever the values in it, and even.

    A plain line too long for the width was soft-wrapped by the template's author at a
    wider measure: it is joined with the plain lines that follow it (up to a blank line,
    an indented line or a list item) and the paragraph is wrapped again, so no short
    remainder is left between two full lines. An indented line is wrapped under its own
    indent (under the text of a "- " item). A word longer than the width (a link) stays
    whole on a line of its own."""
    lines = text.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        numbered = _NUMBERED.match(line)
        if (len(line) > width or _soft_break(line, width)) and (_plain(line) or numbered):
            # A numbered item's continuation lines stand under its text.
            under = " " * len(numbered.group(0)) if numbered else ""
            while index + 1 < len(lines) and _continues(lines[index + 1], under):
                index += 1
                line = f"{line.rstrip()} {lines[index].strip()}"
        out.extend(_wrapped(line, width))
        index += 1
    return "\n".join(out)


_NUMBERED = re.compile(r"^\d{1,2}\. ")


def _plain(line: str) -> bool:
    return (
        bool(line.strip())
        and not line[:1].isspace()
        and not line.startswith("- ")
        and not _NUMBERED.match(line)
    )


def _soft_break(line: str, width: int) -> bool:
    """A long-ish line that stops mid-sentence: the template's author wrapped it by hand,
    and the values put into it have since made it shorter or longer."""
    return len(line) >= width // 2 and not line.rstrip().endswith((".", ":", "!", "?", ","))


def _continues(line: str, under: str) -> bool:
    if not under:
        return _plain(line)
    return line.startswith(under) and not line[len(under) :][:1].isspace() and _plain(line[len(under) :])


def _wrapped(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    stripped = line.lstrip(" ")
    indent = line[: len(line) - len(stripped)]
    numbered = _NUMBERED.match(stripped)
    hanging = indent + (
        "  " if stripped.startswith("- ") else " " * len(numbered.group(0)) if numbered else ""
    )
    return textwrap.wrap(
        stripped,
        width=width,
        initial_indent=indent,
        subsequent_indent=hanging,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [line]


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


def render_mail(kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
    """E-mail templates set `subject` with `{% set %}`; the rendered body is the rest."""
    template = environment().get_template(f"email/{kind}.{language}.txt.j2")
    module = template.make_module({"lang": language, **context})
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"template email/{kind}.{language}.txt.j2 sets no subject")
    return RenderedMail(subject=subject, body=wrap_body(str(module).strip()) + "\n")


def render_html(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)


@dataclass(frozen=True)
class AuthorityView:
    name: str
    address: str
    website: str
    email: str | None
    # The name as it stands in a sentence: "the Swedish Authority for Privacy Protection
    # (IMY)" in English, the name itself in Swedish.
    in_sentence: str = ""


def authority_view(jurisdiction_code: str, language: str) -> AuthorityView:
    """The supervisory authority as letters and reports name it, in the person's language."""
    from dsar.clock import get_jurisdiction

    authority = get_jurisdiction(jurisdiction_code).authority
    name = authority.name_sv if language == "sv" else authority.name_en
    return AuthorityView(
        name=name,
        address=", ".join(authority.address),
        website=authority.website,
        email=authority.email,
        in_sentence=name if language == "sv" or name.lower().startswith("the ") else f"the {name}",
    )
