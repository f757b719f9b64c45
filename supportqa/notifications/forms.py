from __future__ import annotations

from typing import Any

from django import forms

from supportqa.notifications.models import Delivery, Kind


class DeliveryForm(forms.Form):
    """One choice per kind of notification."""

    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        """`current`: the person's delivery of each kind they can receive (one row each)."""
        super().__init__(*args, **kwargs)
        for kind, delivery in current.items():
            self.fields[kind] = forms.ChoiceField(
                label=Kind(kind).label,
                choices=Delivery.choices,
                initial=delivery,
                widget=forms.RadioSelect,
            )

    def rows(self) -> list[Any]:
        return list(self)
