"""One way to read a TOML configuration file into a pydantic model.

The group registry, the privacy notice and the roles file all refuse bad content the
same way: the source, the dotted path of the field and the rule it breaks.
"""

from __future__ import annotations

import tomllib
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def describe(exc: ValidationError, root: str = "(file)") -> str:
    # A rule raised by our own validators already reads as "field: rule"; pydantic's
    # "Value error, " prefix only gets in the way of that.
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or root}: {err['msg'].removeprefix('Value error, ')}"
        for err in exc.errors()
    )


def parse_toml_model(model: type[M], text: str, source: str, error: type[ValueError] = ValueError) -> M:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"{source}: {describe(exc)}") from None
