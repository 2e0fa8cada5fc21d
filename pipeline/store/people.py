"""One person, one identity: the holder behind a token, compared as people, not spellings.

Reviews, appeal decisions and the audit log record who acted by token name, and
separation of duties asks whether two acts were one person's. Names that differ only in
width (ｓｕｐｈａ), case (SUPHA), spaces (`supha  `, a leading tab) or invisible
characters (a zero-width space) are one person: `person` folds them into one holder.
A token names its holder (`token create --holder`, default: its own name), so one person
may hold a supervisor token and a province token and still be one person to every rule.
Names that merely look alike across scripts (a Cyrillic `а` in `supha`) are refused when
a token is issued (`lookalike`): they would read as one person to people and as two to
the rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.store import models as m

#: characters that show as nothing: format characters (zero-width spaces and joiners,
#: bidi marks, the BOM, soft hyphens) and controls are dropped by category; these show
#: as blank space though they are letters or symbols
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_SPACES = re.compile(r"\s+")
#: letters of other scripts (and digits) that read as Latin letters, for `lookalike`
_CONFUSABLE = str.maketrans(
    {
        **dict(zip("авеһіјкӏмнорсԛтуѕԝхᴦ", "abehijklmhopcqtyswxr", strict=True)),  # Cyrillic
        **dict(zip("αβεηικνορτυχ", "abeniknoptux", strict=True)),  # Greek
        "0": "o",
        "1": "l",
    }
)


def _visible(text: str) -> str:
    """`text` in NFKC, every run of whitespace one space, nothing invisible, trimmed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or (unicodedata.category(ch)[0] != "C" and ch not in _BLANK_LETTERS)
    )
    return _SPACES.sub(" ", text).strip()


def display_name(name: str) -> str:
    """A token's name as stored and shown: `_visible`, its case kept."""
    return _visible(name)


def person(name: str) -> str:
    """The holder a name stands for: NFKC, case folded, whitespace collapsed and trimmed,
    invisible characters gone. Two names are one person exactly when these are equal."""
    return _visible(unicodedata.normalize("NFKC", _visible(name).casefold()))


def lookalike(name: str) -> str:
    """What a name looks like: its person with letters of other scripts read as the Latin
    ones they resemble, and `-`, `_` and `.` as spaces."""
    return re.sub(r"[\s\-_.]+", " ", person(name).translate(_CONFUSABLE)).strip()


def holders(session: Session, names: Iterable[str]) -> dict[str, str]:
    """The person behind each token name (the token's holder; a name no token has, such
    as a night's fixture reviewer: its own person)."""
    names = set(names)
    rows = session.execute(
        select(m.ApiToken.name, m.ApiToken.holder).where(m.ApiToken.name.in_(names))
    ).all()
    known = {name: person(holder or name) for name, holder in rows}
    return {name: known.get(name, person(name)) for name in names}
