"""The menu is read in the language of each request: its labels and descriptions are translated when shown."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import translation
from django.utils.functional import Promise

from apps.accounts.models import User
from apps.core.navigation import ENTRIES
from tests.helpers import sign_in


def test_every_menu_label_and_description_is_marked_for_translation():
    for entry in ENTRIES:
        assert isinstance(entry.label, Promise), entry.label
        assert isinstance(entry.description, Promise), entry.description


def test_the_menu_and_the_home_page_speak_the_requests_language(client: Client, grace: User):
    """Django's own catalogues already translate "Home" and "Users": the menu follows the language asked for."""
    sign_in(client, grace)  # a RILO administrator: the users' page is in her menu
    with translation.override("fr"):
        expected = {str(entry.label) for entry in ENTRIES if entry.url_name in ("core:home", "accounts:user_list")}
    assert expected == {"Accueil", "Utilisateurs"}

    french = client.get("/", headers={"Accept-Language": "fr"}).content.decode()
    english = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    menus = [re.search(r'<nav[^>]*class="main-nav".*?</nav>', page, re.S) for page in (french, english)]
    assert menus[0] is not None and menus[1] is not None
    assert ">Accueil<" in menus[0].group(0) and ">Utilisateurs<" in menus[0].group(0)
    assert ">Home<" in menus[1].group(0) and ">Accueil<" not in english
