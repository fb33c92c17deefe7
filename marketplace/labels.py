"""Enums that carry their own translated label, declared next to each value.

Usage: declare ``class Role(LabelledEnum): member = "member", _l("Member")``;
read ``Role.member.label`` (a lazy string, translated when shown); build form choices with
``forms.choices(Role.choices())`` or ``Role.choices(exclude={Role.admin})``.
"""

import enum
from collections.abc import Iterable


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members are declared as ``name = "value", _l("Label")``.

    The value stays the plain string (stored in the database, compared, sent by the API); the
    label is kept beside it, so no separate dictionary can fall out of step with the enum.
    """

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self):
        """The member's label, a lazy string translated in the current locale when shown."""
        return self._label

    @classmethod
    def choices(cls, exclude: Iterable = ()) -> list[tuple[str, object]]:
        """(value, label) pairs in declaration order, for a select field."""
        skipped = {cls(x) for x in exclude}
        return [(member.value, member.label) for member in cls if member not in skipped]

    @classmethod
    def labels(cls) -> dict:
        """{member: label}, for templates that look a label up by value."""
        return {member: member.label for member in cls}


def label_of(attribute: str) -> property:
    """A read-only property: the label of the enum member held in `attribute`."""
    return property(lambda self: getattr(self, attribute).label)
