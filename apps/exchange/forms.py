"""Forms of the exchange pages: partner systems, sharing policies and operations.

Forms parse and shape input only; the services in :mod:`apps.exchange.services` and the engine
decide what is allowed (endpoint checks, personal fields, vocabulary codes) and their messages
are put back beside the fields they name. A partner's RILO is never a field: it is the actor's.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import ApiToken
from apps.core.actor import Actor
from apps.core.forms import AnyLanguageIntegerField
from apps.reference.models import CommodityCategory
from apps.reference.selectors import in_reading_order
from apps.reports import catalogue as report_catalogue
from apps.reports.choices import ReportKind
from apps.tenancy.models import Administration, Region

from .choices import PERSONAL_DATA_CAPABILITY, AdapterKind, PartnerState
from .models import PartnerSystem, SharingPolicy
from .policy import ANY
from .selectors import (
    agreement_region_choices,
    partner_current_policy,
    policy_scope_choices,
    source_administration_choices,
)
from .snapshot import SECTION_FIELDS, FieldInfo, field_catalogue

AUTH_NONE, AUTH_TOKEN, AUTH_BASIC, AUTH_KEEP = "none", "token", "basic", "keep"
AUTH_CHOICES = [
    (AUTH_NONE, _("None")),
    (AUTH_TOKEN, _("Bearer token (sent as Authorization: Bearer …)")),
    (AUTH_BASIC, _("User name and password (HTTP Basic)")),
]
SECTION_LABELS = {
    "report": _("Report"),
    "items": _("Items (goods seized)"),
    "route": _("Route"),
    "conveyances": _("Conveyances"),
    "parties": _("Persons and companies"),
}
GENERALISATION_LABELS = {
    "month": _("Date to month"),
    "country": _("Place to country"),
    "bucket": _("Quantity to range"),
}
# The snapshot's derived keys (not fields of the report catalogue), as the policy form names them.
DERIVED_KEY_LABELS = {"region": _("Region"), "age_band": _("Age band")}
_THRESHOLD = re.compile(
    r"^\s*(?P<commodity>[\w.-]+)\s*(?:>=|≥|at least)?\s*(?P<min>[0-9][0-9 _.,]*)\s*(?P<dim>\w+)\s*$"
)


def _secret_input() -> forms.PasswordInput:
    # render_value: a refused form gives back what was typed (the page is the one that received it).
    return forms.PasswordInput(render_value=True, attrs={"autocomplete": "off", "spellcheck": "false"})


class PartnerForm(forms.Form):
    """Create or edit a partner system. Secrets are write-only: blank on edit keeps the stored one."""

    name = forms.CharField(
        label=_("Name"), max_length=120, help_text=_("How the partner is known, e.g. “WCO CEN” or “RILO CIS”.")
    )
    adapter = forms.ChoiceField(
        label=_("How messages are sent"),
        choices=AdapterKind.choices,
        help_text=_(
            "A JSON webhook signed per Standard Webhooks, or STIX 2.1 bundles pushed to a TAXII 2.1 collection."
        ),
    )
    endpoint_url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=500,
        help_text=_("The webhook URL, or the TAXII collection URL (…/collections/&lt;id&gt;/). HTTPS, public address."),
        widget=forms.URLInput(attrs={"autocomplete": "off", "inputmode": "url"}),
    )
    auth = forms.ChoiceField(
        label=_("Authentication to the partner"),
        choices=AUTH_CHOICES,
        initial=AUTH_NONE,
        widget=forms.RadioSelect,
        help_text=_(
            "For another instance of this system: a bearer token with the write scope, issued by its "
            "administrators for the account they gave you there."
        ),
    )
    token = forms.CharField(
        label=_("Bearer token"),
        required=False,
        max_length=500,
        widget=_secret_input(),
        help_text=_("Stored encrypted, never shown again."),
    )
    username = forms.CharField(label=_("User name"), required=False, max_length=200)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        max_length=500,
        widget=_secret_input(),
        help_text=_("Stored encrypted, never shown again."),
    )
    max_in_flight = AnyLanguageIntegerField(
        label=_("Deliveries in flight at once"),
        min_value=1,
        max_value=64,
        initial=4,
        help_text=_("How many messages may be on their way to this partner at the same time (1 to 64)."),
    )
    contact_email = forms.EmailField(
        label=_("Contact e-mail"), required=False, help_text=_("Whom to tell when deliveries need attention.")
    )
    personal_data_allowed = forms.BooleanField(
        label=_("May receive personal data"),
        required=False,
        help_text=_("National systems may; CEN may not. Its policies can include personal fields only if ticked."),
    )
    source_administration = forms.ModelChoiceField(
        label=_("Speaks for administration"),
        queryset=Administration.objects.none(),
        required=False,
        empty_label=_("None: it does not push reports in"),
        help_text=_("Reports this partner pushes in are stored as approved reports of this administration."),
    )
    peer_identity = forms.CharField(
        label=_("Peer identity"),
        required=False,
        max_length=200,
        help_text=_("For a peer RILO: its stable identifier, e.g. rilo-cis."),
    )
    inbound_secret = forms.CharField(
        label=_("Partner's signing secret"),
        required=False,
        max_length=200,
        widget=_secret_input(),
        help_text=_(
            "The whsec_… secret the partner signs the reports it pushes in with. Stored encrypted, never shown."
        ),
    )
    account_username = forms.CharField(
        label=_("Account for the partner's API access"),
        required=False,
        max_length=150,
        help_text=_("A user name: creates the partner's account, whose API tokens read its feed and push reports in."),
    )

    def __init__(self, *args: Any, actor: Actor, partner: PartnerSystem | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.fields["source_administration"].queryset = source_administration_choices(actor=actor)  # type: ignore[attr-defined]
        if not actor.has_perm(PERSONAL_DATA_CAPABILITY):
            # Allowing personal data is a capability of its own: without it the toggle is not offered.
            del self.fields["personal_data_allowed"]
        if partner is not None:
            self.fields["auth"].choices = [(AUTH_KEEP, _("Keep as it is")), *AUTH_CHOICES]  # type: ignore[attr-defined]
            self.fields["auth"].initial = AUTH_KEEP
            self.fields["inbound_secret"].help_text = (
                _("Stored: yes. Leave empty to keep it; paste a new whsec_… secret to replace it.")
                if partner.inbound_secret_encrypted
                else _("Stored: none. Leave empty to keep it; paste a new whsec_… secret to replace it.")
            )
            if partner.account_id:
                del self.fields["account_username"]
            self.fields["state"] = forms.ChoiceField(
                label=_("State"), choices=PartnerState.choices, initial=partner.state
            )
            self.fields["state_reason"] = forms.CharField(
                label=_("Reason for the state"),
                required=False,
                max_length=500,
                help_text=_("Required when pausing or disabling: the people watching deliveries see it."),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        auth = data.get("auth")
        if auth == AUTH_TOKEN and not data.get("token"):
            self.add_error("token", _("Enter the token the partner gave you."))
        if auth == AUTH_BASIC and not data.get("username"):
            self.add_error("username", _("Enter the user name the partner gave you."))
        return data

    def credentials(self) -> dict[str, str] | None:
        """The credentials to store ({} for none), or None to keep the stored ones."""
        auth = self.cleaned_data["auth"]
        if auth == AUTH_TOKEN:
            return {"token": self.cleaned_data["token"]}
        if auth == AUTH_BASIC:
            return {"username": self.cleaned_data["username"], "password": self.cleaned_data["password"]}
        if auth == AUTH_NONE:
            return {}
        return None

    def values(self) -> dict[str, Any]:
        """Keyword arguments for partner_create / partner_update."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": data["name"],
            "adapter": data["adapter"],
            "endpoint_url": data["endpoint_url"].strip(),
            "credentials": self.credentials(),
            "max_in_flight": data["max_in_flight"],
            "contact_email": data["contact_email"],
            "source_administration": data["source_administration"],
            "peer_identity": data["peer_identity"],
            "inbound_secret": data["inbound_secret"],
            "account_username": data.get("account_username", ""),
        }
        if "personal_data_allowed" in self.fields:
            values["personal_data_allowed"] = data["personal_data_allowed"]
        if self.partner is not None:
            values["state"] = data["state"]
            values["state_reason"] = data["state_reason"]
        return values

    @staticmethod
    def initial_for(partner: PartnerSystem) -> dict[str, Any]:
        credentials = partner.credentials
        return {
            "name": partner.name,
            "adapter": partner.adapter,
            "endpoint_url": partner.endpoint_url,
            "username": credentials.get("username", ""),
            "max_in_flight": partner.max_in_flight,
            "contact_email": partner.contact_email,
            "personal_data_allowed": partner.personal_data_allowed,
            "source_administration": partner.source_administration_id,
            "peer_identity": partner.peer_identity,
            "state": partner.state,
            "state_reason": partner.state_reason,
        }


class RotateSecretForm(forms.Form):
    overlap_hours = AnyLanguageIntegerField(
        label=_("Overlap (hours)"),
        min_value=0,
        max_value=168,
        initial=24,
        help_text=_("How long the current secret keeps signing beside the new one, while the partner switches."),
    )


class StateForm(forms.Form):
    state = forms.ChoiceField(choices=PartnerState.choices, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=500, label=_("Reason"))


class PartnerTokenForm(forms.Form):
    name = forms.CharField(max_length=100, initial="Partner access", help_text=_("What the token is for."))
    scopes = forms.MultipleChoiceField(
        choices=[(ApiToken.Scope.READ, "Read: the pull feed"), (ApiToken.Scope.WRITE, "Write: push reports in")],
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.READ],
    )
    days = forms.TypedChoiceField(
        label=_("Expires in"),
        coerce=int,
        choices=[(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "365 days")],
        initial=90,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        longest = settings.RILO_API_TOKEN_MAX_DAYS
        field: Any = self.fields["days"]
        field.choices = [(days, label) for days, label in field.choices if int(days) <= longest]


class ReplaySinceForm(forms.Form):
    since = forms.DateTimeField(
        label=_("Send again everything since"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Time in UTC. Every message made for this partner since then goes out again, in order."),
    )


class TimelineSearchForm(forms.Form):
    report = forms.CharField(
        label=_("Report"),
        max_length=64,
        help_text=_("The report's UUID, or its national reference."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


# --- sharing policies ----------------------------------------------------------------------------


def _codes_with_any(any_label: Any, codes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The codes after "*", labelled ``any_label`` ("All regions it may receive, including ones added later")."""
    return [(ANY, str(any_label)), *codes]


def _section_field(section: str) -> str:
    return f"fields_{section}"


def _field_note(info: FieldInfo) -> str:
    """What the policy form says beside a field: personal, free text needing a check, or sent generalised."""
    if info.forced:
        return str(_(" — free text: without personal data, sent only as its country"))
    if info.reviewable:
        return str(_(" — free text: without personal data, sent only if the approving analyst checked it"))
    return str(_(" — personal data")) if info.personal else ""


def _field_label(path: str, *, with_section: bool = False) -> str:
    """A snapshot field path (``"items.quantity"``) as a person reads it: the catalogue's label of the field."""
    section, key = path.split(".", 1)
    try:
        label = report_catalogue.field(report_catalogue.part_by_wire_key(section).name, key).label
    except KeyError:
        label = DERIVED_KEY_LABELS[key]
    return f"{SECTION_LABELS[section]}: {label}" if with_section else str(label)


def _generalise_field(path: str) -> str:
    return "generalise__" + path.replace(".", "__")


class PolicyForm(forms.Form):
    """A proposed policy version: which reports (filters) and which fields (allowlist, generalisations).

    ``spec()`` gives the keyword arguments of ``partner_policy_create``; ``from_policy`` the initial
    values of a form showing an existing version. Errors raised by the engine's validation, keyed by
    policy attribute, are placed by :meth:`add_policy_errors` beside the field they concern.
    """

    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    personal_data = forms.BooleanField(
        label=_("This version may carry personal data"),
        required=False,
        help_text=_(
            "Only for a partner allowed personal data (a national system). Without it, personal fields are refused."
        ),
    )
    regions = forms.MultipleChoiceField(label=_("Regions"), widget=forms.CheckboxSelectMultiple, required=False)
    administrations = forms.MultipleChoiceField(
        label=_("Administrations"), widget=forms.CheckboxSelectMultiple, required=False
    )
    commodity_categories = forms.MultipleChoiceField(
        label=_("Commodity categories"), widget=forms.CheckboxSelectMultiple, required=False
    )
    report_kinds = forms.MultipleChoiceField(
        label=_("Report kinds"), widget=forms.CheckboxSelectMultiple, required=False
    )
    thresholds = forms.CharField(
        label=_("Thresholds"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "One per line: commodity (category or type code) >= minimum and dimension, e.g. "
            "cigarettes >= 100000 sticks. Items below it are left out. "
            "Dimensions: mass (kg), volume (litres), count, sticks."
        ),
    )
    embargo_hours = AnyLanguageIntegerField(
        label=_("Embargo (hours)"),
        min_value=0,
        max_value=24 * 365,
        initial=0,
        help_text=_("Delay after approval before the partner receives a report. 0: at once."),
    )
    note = forms.CharField(
        label=_("Why this change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the version, for whoever reads the history."),
    )

    def __init__(self, *args: Any, partner: PartnerSystem, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the regions the partner may receive: its RILO's, and those of agreements in force.
        regions, administrations = policy_scope_choices(partner=partner)
        self.fields["regions"].choices = _codes_with_any(  # type: ignore[attr-defined]
            _("All regions it may receive, including ones added later"),
            [(r.code, f"{r.name} ({r.code})") for r in regions],
        )
        self.fields["administrations"].choices = _codes_with_any(  # type: ignore[attr-defined]
            _("All administrations it may receive, including ones added later"),
            [(a.code, f"{a.name} ({a.code})") for a in administrations],
        )
        # Without the capability the field is hidden and the current version's value is kept: saving
        # another change never turns personal data off (nor on) behind the actor's back.
        current = partner_current_policy(partner=partner)
        self.personal_data_kept = bool(current and current.personal_data)
        if not actor.has_perm(PERSONAL_DATA_CAPABILITY):
            del self.fields["personal_data"]
        self.fields["commodity_categories"].choices = _codes_with_any(  # type: ignore[attr-defined]
            _("All commodity categories, including ones added later"),
            [(c.code, f"{c.localized_label} ({c.code})") for c in in_reading_order(CommodityCategory.objects.all())],
        )
        self.fields["report_kinds"].choices = _codes_with_any(  # type: ignore[attr-defined]
            _("All report kinds, including ones added later"), [(str(k.value), str(k.label)) for k in ReportKind]
        )
        catalogue = field_catalogue()
        self.section_fields: list[tuple[str, str]] = []
        for section, keys in SECTION_FIELDS.items():
            choices = []
            for key in keys:
                info = catalogue[f"{section}.{key}"]
                label = f"{_field_label(info.path)}{_field_note(info)}"
                choices.append((info.path, label))
            name = _section_field(section)
            self.fields[name] = forms.MultipleChoiceField(
                label=_("Fields shared: %(SECTION_LABELS)s") % {"SECTION_LABELS": SECTION_LABELS[section]},
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.section_fields.append((section, name))
        self.generalisation_fields: list[tuple[str, str]] = []
        for path, info in catalogue.items():
            if not info.generalisations:
                continue
            name = _generalise_field(path)
            options = [("", _("Exact value"))] + [(m, GENERALISATION_LABELS[m]) for m in sorted(info.generalisations)]
            self.fields[name] = forms.ChoiceField(
                label=_field_label(path, with_section=True), choices=options, required=False
            )
            self.generalisation_fields.append((path, name))

    @classmethod
    def initial_from(cls, policy: SharingPolicy | None) -> dict[str, Any]:
        """Form values showing ``policy`` (an empty, default-deny proposal without one)."""
        if policy is None:
            return {"base_version": None, "embargo_hours": 0}
        initial: dict[str, Any] = {
            "base_version": policy.version,
            "personal_data": policy.personal_data,
            "regions": list(policy.regions),
            "administrations": list(policy.administrations),
            "commodity_categories": list(policy.commodity_categories),
            "report_kinds": list(policy.report_kinds),
            "thresholds": "\n".join(
                f"{t['commodity']} >= {_plain(t['min'])} {t['dimension']}" for t in policy.thresholds
            ),
            "embargo_hours": int(policy.embargo.total_seconds() // 3600),
        }
        for section in SECTION_FIELDS:
            initial[_section_field(section)] = [p for p in policy.fields if p.startswith(section + ".")]
        for path, method in dict(policy.generalisations).items():
            initial[_generalise_field(path)] = method
        return initial

    def clean_thresholds(self) -> list[dict[str, Any]]:
        thresholds = []
        problems = []
        for number, line in enumerate(str(self.cleaned_data.get("thresholds") or "").splitlines(), start=1):
            if not line.strip():
                continue
            match = _THRESHOLD.match(line)
            minimum: Decimal | None = None
            if match:
                try:
                    minimum = Decimal(re.sub(r"[ _,]", "", match["min"]))
                except InvalidOperation:
                    minimum = None
            if not match or minimum is None:
                problems.append(f"Line {number} (“{line.strip()}”): write it as: cigarettes >= 100000 sticks.")
                continue
            thresholds.append(
                {"commodity": match["commodity"], "min": _plain(minimum), "dimension": match["dim"].lower()}
            )
        if problems:
            raise forms.ValidationError(problems)
        return thresholds

    def spec(self) -> dict[str, Any]:
        """Keyword arguments of ``partner_policy_create`` (and of the dry run)."""
        data = self.cleaned_data
        fields: list[str] = []
        for _section, name in self.section_fields:
            fields.extend(data.get(name) or [])
        generalisations = {path: data[name] for path, name in self.generalisation_fields if data.get(name)}
        return {
            "personal_data": (
                bool(data.get("personal_data")) if "personal_data" in self.fields else self.personal_data_kept
            ),
            "regions": list(data.get("regions") or []),
            "administrations": list(data.get("administrations") or []),
            "commodity_categories": list(data.get("commodity_categories") or []),
            "report_kinds": list(data.get("report_kinds") or []),
            "thresholds": data.get("thresholds") or [],
            "embargo": dt.timedelta(hours=data.get("embargo_hours") or 0),
            "fields": fields,
            "generalisations": generalisations,
            "note": data.get("note") or "",
        }

    def add_policy_errors(self, messages: dict[str, list[str]]) -> None:
        """Put the engine's validation messages (keyed by policy attribute) beside the matching fields."""
        for key, key_messages in messages.items():
            for message in key_messages:
                target: str | None = {
                    "personal_data": "personal_data",
                    "regions": "regions",
                    "administrations": "administrations",
                    "commodity_categories": "commodity_categories",
                    "report_kinds": "report_kinds",
                    "thresholds": "thresholds",
                    "embargo": "embargo_hours",
                }.get(key)
                if key == "fields":
                    target = self._field_for_message(message, self.section_fields, by_section=True)
                elif key == "generalisations":
                    target = self._field_for_message(message, self.generalisation_fields, by_section=False)
                if target is not None and target in self.fields:
                    self.add_error(target, message)
                else:
                    self.add_error(None, message)

    @staticmethod
    def _field_for_message(message: str, candidates: list[tuple[str, str]], *, by_section: bool) -> str | None:
        for key, name in candidates:
            needle = f"{key}." if by_section else key
            if message.startswith(needle) or f"'{needle}" in message:
                return name
        return None


def _plain(value: Any) -> str:
    text = format(Decimal(str(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class AgreementRequestForm(forms.Form):
    """Ask another region's administrators to let this partner receive that region's reports."""

    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        help_text=_("Its administrators decide, and may revoke their approval at any time."),
    )
    personal_data = forms.BooleanField(
        label=_("Including personal data"),
        required=False,
        help_text=_("Only for a partner allowed personal data, whose policy carries it."),
    )

    def __init__(self, *args: Any, partner: PartnerSystem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = agreement_region_choices(partner=partner)  # type: ignore[attr-defined]
        if not partner.personal_data_allowed:
            del self.fields["personal_data"]
