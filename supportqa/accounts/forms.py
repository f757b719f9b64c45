from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from django import forms

# Names kept in the zone database for old systems, not places people pick.
LEGACY = ("Etc/", "SystemV/", "US/", "posix/", "right/", "Brazil/", "Canada/", "Chile/", "Mexico/")


@lru_cache(maxsize=1)
def zone_choices() -> list[tuple[str, str]]:
    """UTC and the IANA zones named Region/City (read once: listing them walks the zone
    files), without the legacy aliases."""
    zones = {"UTC"} | {
        zone for zone in available_timezones() if "/" in zone and not zone.startswith(LEGACY)
    }
    return [(zone, zone.replace("_", " ")) for zone in sorted(zones)]


class ZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=zone_choices,
        help_text="Times on every page, and the days you pick in filters, are in this zone.",
    )
