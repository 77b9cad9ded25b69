"""An exact money column that behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY_PLACES = 4
_SCALE = Decimal(10) ** MONEY_PLACES


def money_to_units(value: Decimal) -> int:
    """``Decimal("9.90")`` -> 99000; refuses a value with more places than the column keeps (never rounds)."""
    units = value * _SCALE
    if units != units.to_integral_value():
        raise ValueError(f"{value} has more than {MONEY_PLACES} decimal places")
    return int(units)


class MoneyField(models.BigIntegerField):
    """A ``Decimal`` amount stored as an integer count of 1/10^4 units.

    SQLite has no decimal type: a ``DecimalField`` is stored and summed there as a binary float. Integers are
    exact on every database, so a ``Sum`` over a million orders is exact too; Python sees only ``Decimal``.
    """

    description = _("Amount of money (exact)")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-MONEY_PLACES)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise ValidationError(_("Money must not be a float."), code="invalid")
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError(_("Enter an amount."), code="invalid") from exc

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, never a float")
        return money_to_units(value if isinstance(value, Decimal) else Decimal(str(value)))

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        # Skip BigIntegerField's integer bounds: the form edits the Decimal, not the stored units.
        return models.Field.formfield(
            self, **{"form_class": forms.DecimalField, "decimal_places": MONEY_PLACES, **kwargs}
        )
