from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from django import forms


@lru_cache(maxsize=1)
def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone name (read once: listing them walks the zone files)."""
    return [(zone, zone) for zone in sorted(available_timezones())]


class ZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=zone_choices,
        help_text="Times on every page, and the days you pick in filters, are in this zone.",
    )
