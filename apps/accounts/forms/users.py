"""Forms of the user management pages. Scope never comes from these: choices are restricted to the actor's reach."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.actor import Actor
from apps.tenancy.models import Administration

from ..delegation import role_choices, roles_manageable_by, same_scope_roles
from ..models import User
from ..roles import ADMINISTRATION_ROLES, RILO_ROLES


class UserSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, help_text=_("Username, name or e-mail address."), max_length=100
    )


class _UserDetailsForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("Links to set or reset the password are sent here."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"))


class UserCreateForm(_UserDetailsForm):
    """A new account. RILO administrators also choose the administration (among their region's) for officers
    and coordinators; coordinators' new accounts always join their own administration."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. The person signs in with it."),
        validators=[User.username_validator],
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )

    field_order = ["username", "first_name", "last_name", "email", "role", "administration"]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = roles_manageable_by(actor)
        cast(forms.ChoiceField, self.fields["role"]).choices = [("", _("Choose a role")), *role_choices(roles)]
        if not actor.administration_id and roles & RILO_ROLES:
            self.fields["administration"] = forms.ModelChoiceField(
                label=_("Administration"),
                required=False,
                empty_label=_("None (RILO staff)"),
                queryset=Administration.objects.restrict(actor, "manage_users").filter(active=True),
                help_text=_("Required for officers and national coordinators; leave empty for RILO staff."),
            )
        self.order_fields(self.field_order)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if "administration" in self.fields and role:
            administration = data.get("administration")
            if role in ADMINISTRATION_ROLES and administration is None and "administration" not in self.errors:
                self.add_error("administration", _("Choose the administration this person works for."))
            if role in RILO_ROLES and administration is not None:
                self.add_error("administration", _("RILO staff belong to the RILO: leave this empty."))
        return data


class UserEditForm(_UserDetailsForm):
    """Name, e-mail and role of an existing account; the role stays within its kind of organisation."""

    def __init__(self, *args: Any, actor: Actor, target: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = roles_manageable_by(actor) & same_scope_roles(target.role)
        cast(forms.ChoiceField, self.fields["role"]).choices = role_choices(roles | {target.role})
        if target.pk == actor.pk:
            self.fields["role"].disabled = True
            self.fields["role"].help_text = _("You cannot change your own role.")
