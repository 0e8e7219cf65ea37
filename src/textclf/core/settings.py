"""Settings declared once: type, default, allowed values, help text and search domain.

A :class:`Setting` says everything about one setting; a :class:`Settings` subclass lists
its settings as class attributes, in order::

    class FeatureSettings(Settings):
        ngrams = Setting(int, 2, "1 = unigrams, 2 = uni+bigrams, ...", minimum=1)

From the declaration come: validation (``FeatureSettings(ngrams=0)`` names the setting and
its allowed values), the command-line options, ``TextClassifier``'s arguments, the
scikit-learn parameters and the tuner's search space. (scikit-learn's
``_parameter_constraints`` is the same idea.)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from textclf.errors import SettingsError


def is_finite(value: numbers.Real) -> bool:
    """Whether ``value`` is a finite float, or an integer a float can hold (10⁴⁰⁰ is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


class Setting:
    """One setting. ``kind`` is int, float, str or bool; ``parse`` turns other accepted
    forms (e.g. the command line's strings) into the value; ``check`` adds a test of its own
    and returns the value. ``argument`` is the name users pass (default: the attribute's);
    ``search`` is what the tuner may try (a tuple of values, or a domain object); ``words``
    are strings allowed besides values of ``kind`` (e.g. ``"auto"`` for a number);
    ``renamed_from`` is an older name of the argument, still accepted with a warning."""

    def __init__(self, kind: type, default: Any, help: str, *,  # noqa: A002 (argparse's word)
                 choices: Iterable | None = None, minimum: float | None = None,
                 maximum: float | None = None, above: float | None = None,
                 below: float | None = None, optional: bool = False,
                 argument: str | None = None, flag: str | None = None,
                 aliases: tuple[str, ...] = (), metavar: str | None = None,
                 parse: Callable[[Any], Any] | None = None,
                 check: Callable[[Any], Any] | None = None, search: Any = None,
                 stored: bool = True, words: tuple[str, ...] = (),
                 renamed_from: str | None = None):
        self.kind, self.default, self.help = kind, default, help
        self.choices = tuple(choices) if choices is not None else None
        self.minimum, self.maximum, self.above, self.below = minimum, maximum, above, below
        self.optional = optional or default is None
        self.argument, self.flag, self.aliases, self.metavar = argument, flag, aliases, metavar
        self.parse, self.extra_check, self.search, self.stored = parse, check, search, stored
        self.words = tuple(words)
        self.renamed_from = renamed_from
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.argument = self.argument or name
        self.flag = self.flag or "--" + self.argument.replace("_", "-")

    def __repr__(self) -> str:
        return f"Setting({self.argument!r}, default={self.default!r})"

    # what is allowed ----------------------------------------------------------------------
    def allowed(self) -> str:
        """The allowed values in words, e.g. 'an integer ≥ 1' or 'one of count, tfidf'."""
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        noun = {int: "an integer", float: "a number", bool: "true or false",
                str: "a string"}.get(self.kind, self.kind.__name__)
        if self.words:
            noun = " or ".join(map(repr, self.words)) + " or " + noun
        bounds = []
        shown = (lambda b: f"{b:,}") if self.kind is int else (lambda b: f"{b:g}")
        if self.minimum is not None:
            bounds.append(f"≥ {shown(self.minimum)}")
        if self.above is not None:
            bounds.append(f"> {shown(self.above)}")
        if self.below is not None:
            bounds.append(f"< {shown(self.below)}")
        if self.maximum is not None:
            bounds.append(f"≤ {shown(self.maximum)}")
        return noun + (" " + " and ".join(bounds) if bounds else "")

    def _refuse(self, value: Any, why: str | None = None) -> SettingsError:
        return SettingsError(f"{self.argument} must be {why or self.allowed()}, got {value!r}")

    def check(self, value: Any) -> Any:
        """``value`` checked against the declaration and normalised (e.g. numpy integers to
        int); a :class:`SettingsError` naming the setting otherwise."""
        if value is None:
            if self.optional:
                return None
            raise self._refuse(value)
        if isinstance(value, str) and self.words:
            if value in self.words:
                return value
            try:  # a number given as text (the command line's form)
                value = self.kind(value)
            except ValueError:
                raise self._refuse(value) from None
        if self.parse is not None:  # it accepts the parsed form too
            value = self.parse(value)
        if self.kind is bool:
            if not isinstance(value, bool | np.bool_):
                raise self._refuse(value)
            value = bool(value)
        elif self.kind is int:
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise self._refuse(value)
            value = int(value)
        elif self.kind is float:
            if not isinstance(value, numbers.Real) or isinstance(value, bool) \
                    or not is_finite(value):
                raise self._refuse(value)
            value = float(value)
        elif self.kind is str and not isinstance(value, str):
            raise self._refuse(value)
        if self.choices is not None and value not in self.choices:
            raise self._refuse(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and not (
                (self.minimum is None or value >= self.minimum)
                and (self.maximum is None or value <= self.maximum)
                and (self.above is None or value > self.above)
                and (self.below is None or value < self.below)):
            raise self._refuse(value)
        if self.extra_check is not None:
            value = self.extra_check(value)
        return value

    def to_json(self, value: Any) -> Any:
        """The value as JSON holds it (tuples become lists)."""
        return list(value) if isinstance(value, tuple) else value


class Settings:
    """A group of declared settings (see the module docstring); instances hold values.

    ``Cls(**values)`` checks each value; values not given take their defaults. Assigning an
    attribute later is not checked until :meth:`validate`.
    """

    declared: ClassVar[dict[str, Setting]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Setting] = {}
        for klass in reversed(cls.__mro__):
            declared.update({name: value for name, value in vars(klass).items()
                             if isinstance(value, Setting)})
        cls.declared = declared

    def __init__(self, **values: Any):
        unknown = sorted(set(values) - set(self.declared))
        if unknown:
            raise SettingsError(f"unknown setting(s) for {type(self).__name__}: "
                                f"{', '.join(unknown)}")
        for name, setting in self.declared.items():
            setattr(self, name, setting.check(values.get(name, setting.default)))

    @classmethod
    def by_argument(cls) -> dict[str, Setting]:
        """The declarations keyed by the names users pass (``argument``)."""
        return {setting.argument: setting for setting in cls.declared.values()}

    def validate(self) -> None:
        """Check every value again (after attributes were assigned directly)."""
        for name, setting in self.declared.items():
            setattr(self, name, setting.check(getattr(self, name)))

    def as_dict(self) -> dict[str, Any]:
        """The stored settings as JSON-able values, by attribute name."""
        return {name: setting.to_json(getattr(self, name))
                for name, setting in self.declared.items() if setting.stored}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]):
        """Settings from a model file; keys of other versions are ignored."""
        return cls(**{k: v for k, v in values.items() if k in cls.declared})

    def replace(self, **changes: Any):
        """A copy with ``changes`` (checked)."""
        return type(self)(**{**{name: getattr(self, name) for name in self.declared}, **changes})

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.declared)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        values = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.declared)
        return f"{type(self).__name__}({values})"
