"""Crisis lines by country: what a member who writes as if at risk is shown, privately.

Each country lists its national suicide or crisis line first and its emergency number last;
a country not listed gets an international directory of helplines. Every number cites the
public page it was taken from, so it can be checked again. `tel` and `sms` are RFC 3966 /
RFC 5724 URIs a phone opens with one tap; `url` is the service's own page.

A member's country is the one they chose, else the one their IANA time zone belongs to
(the tz database's `zone.tab`, shipped with the `tzdata` package), else none (the
directory).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources as package_files


@dataclass(frozen=True)
class Line:
    name: str
    how: str
    detail: str
    tel: str | None = None
    sms: str | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {key: value for key, value in asdict(self).items() if value is not None}


FREE_24_7 = "Free and confidential, 24/7."
IN_DANGER = "If you or someone else is in immediate danger."


def _emergency(number: str) -> Line:
    return Line(name="Emergency services", how=f"Call {number}", detail=IN_DANGER, tel=f"tel:{number}")


LINES: dict[str, tuple[Line, ...]] = {
    "US": (
        # https://988lifeline.org/ (call or text 988, chat on the site)
        Line(
            name="988 Suicide & Crisis Lifeline",
            how="Call or text 988",
            detail=f"{FREE_24_7} You can also chat at 988lifeline.org.",
            tel="tel:988",
            sms="sms:988",
            url="https://988lifeline.org/",
        ),
        # https://www.crisistextline.org/ ("Text HOME to 741741")
        Line(
            name="Crisis Text Line",
            how="Text HOME to 741741",
            detail="Free, 24/7 support by text from a trained crisis counselor.",
            sms="sms:741741?body=HOME",
            url="https://www.crisistextline.org/",
        ),
        _emergency("911"),  # https://www.911.gov/
    ),
    "CA": (
        # https://988.ca/ (9-8-8 Suicide Crisis Helpline: call or text 9-8-8)
        Line(
            name="9-8-8 Suicide Crisis Helpline",
            how="Call or text 988",
            detail=f"{FREE_24_7} In English and French.",
            tel="tel:988",
            sms="sms:988",
            url="https://988.ca/",
        ),
        # https://kidshelpphone.ca/ (call 1-800-668-6868, text CONNECT to 686868)
        Line(
            name="Kids Help Phone",
            how="Call 1-800-668-6868 or text CONNECT to 686868",
            detail="For young people, 24/7.",
            tel="tel:+18006686868",
            sms="sms:686868?body=CONNECT",
            url="https://kidshelpphone.ca/",
        ),
        _emergency("911"),  # https://www.canada.ca/en/services/health/emergencies.html
    ),
    "GB": (
        # https://www.samaritans.org/how-we-can-help/contact-samaritan/ (call 116 123, free)
        Line(
            name="Samaritans",
            how="Call 116 123",
            detail=f"{FREE_24_7} Someone to talk to, about anything.",
            tel="tel:116123",
            url="https://www.samaritans.org/",
        ),
        # https://giveusashout.org/get-help/ (text SHOUT to 85258)
        Line(
            name="Shout",
            how="Text SHOUT to 85258",
            detail="Free, 24/7 support by text.",
            sms="sms:85258?body=SHOUT",
            url="https://giveusashout.org/",
        ),
        _emergency("999"),  # https://www.nhs.uk/nhs-services/urgent-and-emergency-care-services/
    ),
    "IE": (
        # https://www.samaritans.org/ireland/how-we-can-help/contact-samaritan/ (call 116 123, free)
        Line(
            name="Samaritans Ireland",
            how="Call 116 123",
            detail=FREE_24_7,
            tel="tel:116123",
            url="https://www.samaritans.org/ireland/",
        ),
        # https://text50808.ie/ (text HELLO to 50808)
        Line(
            name="50808",
            how="Text HELLO to 50808",
            detail="Free, 24/7 support by text.",
            sms="sms:50808?body=HELLO",
            url="https://text50808.ie/",
        ),
        _emergency("112"),  # https://www.gov.ie/en/service/emergency-services/ (112 or 999)
    ),
    "AU": (
        # https://www.lifeline.org.au/ (call 13 11 14, text 0477 13 11 14)
        Line(
            name="Lifeline",
            how="Call 13 11 14 or text 0477 13 11 14",
            detail=FREE_24_7,
            tel="tel:131114",
            sms="sms:+61477131114",
            url="https://www.lifeline.org.au/",
        ),
        # https://www.suicidecallbackservice.org.au/ (1300 659 467)
        Line(
            name="Suicide Call Back Service",
            how="Call 1300 659 467",
            detail="24/7 telephone and online counselling.",
            tel="tel:1300659467",
            url="https://www.suicidecallbackservice.org.au/",
        ),
        _emergency("000"),  # https://www.triplezero.gov.au/
    ),
    "NZ": (
        # https://1737.org.nz/ (free call or text 1737)
        Line(
            name="Need to talk? 1737",
            how="Call or text 1737",
            detail=f"{FREE_24_7} A trained counsellor answers.",
            tel="tel:1737",
            sms="sms:1737",
            url="https://1737.org.nz/",
        ),
        # https://www.lifeline.org.nz/ (0800 543 354)
        Line(
            name="Lifeline Aotearoa",
            how="Call 0800 543 354",
            detail=FREE_24_7,
            tel="tel:0800543354",
            url="https://www.lifeline.org.nz/",
        ),
        _emergency("111"),  # https://www.police.govt.nz/contact-us/111-emergency-calls
    ),
    "DE": (
        # https://www.telefonseelsorge.de/ (0800 111 0 111 and 0800 111 0 222, free, 24/7)
        Line(
            name="TelefonSeelsorge",
            how="Call 0800 111 0 111 or 0800 111 0 222",
            detail=f"{FREE_24_7} In German; chat and email on the site.",
            tel="tel:08001110111",
            url="https://www.telefonseelsorge.de/",
        ),
        _emergency("112"),  # https://www.bundesgesundheitsministerium.de/ (Notruf 112)
    ),
    "FR": (
        # https://3114.fr/ (numero national de prevention du suicide, 3114, free, 24/7)
        Line(
            name="3114 National Suicide Prevention Line",
            how="Call 3114",
            detail=f"{FREE_24_7} In French.",
            tel="tel:3114",
            url="https://3114.fr/",
        ),
        _emergency("112"),  # https://www.service-public.fr/particuliers/vosdroits/F33954 (15, 17, 18, 112)
    ),
    "ES": (
        # https://www.sanidad.gob.es/linea024/ (Linea 024 de atencion a la conducta suicida)
        Line(
            name="024 Suicide Crisis Line",
            how="Call 024",
            detail=f"{FREE_24_7} In Spanish and other languages.",
            tel="tel:024",
            url="https://www.sanidad.gob.es/linea024/",
        ),
        _emergency("112"),  # https://www.112.es/
    ),
    "NL": (
        # https://www.113.nl/ (call 113 or 0800-0113 free, chat on the site)
        Line(
            name="113 Suicide Prevention",
            how="Call 113 or 0800 0113",
            detail=f"{FREE_24_7} In Dutch; chat on the site.",
            tel="tel:08000113",
            url="https://www.113.nl/",
        ),
        _emergency("112"),  # https://www.government.nl/topics/emergency-number-112
    ),
    "IN": (
        # https://telemanas.mohfw.gov.in/ (Tele MANAS: 14416 or 1-800-891-4416)
        Line(
            name="Tele MANAS",
            how="Call 14416 or 1-800-891-4416",
            detail="Free mental health support from the Government of India, 24/7, in many languages.",
            tel="tel:14416",
            url="https://telemanas.mohfw.gov.in/",
        ),
        _emergency("112"),  # https://112.gov.in/
    ),
    "ZA": (
        # https://www.sadag.org/ (Suicide Crisis Helpline 0800 567 567, SMS 31393)
        Line(
            name="SADAG Suicide Crisis Helpline",
            how="Call 0800 567 567 or SMS 31393",
            detail=FREE_24_7,
            tel="tel:0800567567",
            sms="sms:31393",
            url="https://www.sadag.org/",
        ),
        # https://www.gov.za/about-sa/emergency-services (112 from a mobile phone, 10111 police)
        _emergency("112"),
    ),
}

INTERNATIONAL: tuple[Line, ...] = (
    # https://findahelpline.com/ (free, verified directory of helplines in 130+ countries)
    Line(
        name="Find A Helpline",
        how="Find a free helpline where you are",
        detail="A directory of free, confidential helplines in over 130 countries.",
        url="https://findahelpline.com/",
    ),
    Line(
        name="Emergency services",
        how="Call your local emergency number",
        detail=IN_DANGER,
    ),
)


def for_country(country: str | None) -> list[dict[str, str]]:
    """The crisis lines for an ISO 3166-1 alpha-2 country, as plain dicts for the API layer."""
    return [line.to_dict() for line in LINES.get((country or "").upper(), INTERNATIONAL)]


@cache
def _zone_countries() -> dict[str, str]:
    table = package_files.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    found = {}
    for row in table.splitlines():
        if row and not row.startswith("#"):
            code, _coordinates, name, *_ = row.split("\t")
            found[name] = code
    return found


@cache
def countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code the tz database knows (its `iso3166.tab`)."""
    table = package_files.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text("utf-8")
    return frozenset(row.split("\t")[0] for row in table.splitlines() if row and not row.startswith("#"))


def country_of_zone(timezone: str) -> str | None:
    """The country an IANA zone belongs to (`Europe/Berlin` -> `DE`); None for `UTC` and the like."""
    return _zone_countries().get(timezone)


def country_for(chosen: str | None, timezone: str) -> str | None:
    """A member's country: the one they chose, else their time zone's."""
    return chosen or country_of_zone(timezone)
