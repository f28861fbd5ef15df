"""How recognisers spell service names, and what must not match."""

import pytest

from app.incidents.catalog import match_service, normalise, parse_catalog
from app.models import Service
from tests.support import DEMO_CATALOG

SERVICES = [
    Service(id=i, slug=e.slug, name=e.name, aliases=e.aliases)
    for i, e in enumerate(parse_catalog(DEMO_CATALOG).services, 1)
]

HEARD = [
    ("Canvas", "canvas"),
    ("the canvas website", "canvas"),
    ("canvass", "canvas"),
    ("Kanvas", "canvas"),
    ("canvas l m s", "canvas"),
    ("the learning management system", "canvas"),
    ("e mail", "exchange"),
    ("I can't get into my email", "exchange"),
    ("Outlook is down", "exchange"),
    ("exchange", "exchange"),
    ("share point", "sharepoint"),
    ("SharePoint sites", "sharepoint"),
    ("VPN", "vpn"),
    ("the v p n", "vpn"),
    ("Cisco AnyConnect", "vpn"),
    ("my sequel database", "mysql-prod"),
    ("MySQL", "mysql-prod"),
    ("the lab web site", "research-web"),
    ("our apache web server", "research-web"),
    ("hawk i d login", "hawkid-login"),
    ("single sign-on", "hawkid-login"),
    ("SSO is broken", "hawkid-login"),
]

NOT_IN_CATALOG = ["the zorb system", "printer", "wifi", "zoom", "my computer", "teams", "", "uh"]


@pytest.mark.parametrize(("heard", "slug"), HEARD)
def test_recogniser_spellings_match_the_catalog(heard: str, slug: str):
    found = match_service(heard, SERVICES)
    assert found is not None, heard
    assert found.service.slug == slug


@pytest.mark.parametrize("heard", NOT_IN_CATALOG)
def test_unrelated_words_match_nothing(heard: str):
    assert match_service(heard, SERVICES) is None


def test_inactive_services_are_the_callers_concern_not_the_matchers():
    assert match_service("canvas", []) is None


def test_normalise_joins_spelled_letters_and_strips_accents():
    assert normalise("The V.P.N.") == "the vpn"
    assert normalise("Café  Réseau!") == "cafe reseau"
