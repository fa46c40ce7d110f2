"""Serializers of the accounts API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import AnyLanguageIntegerField

from ..models import ApiToken, User
from ..roles import Role


class AdministrationRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    country = serializers.CharField(source="country.code")


class RegionRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class TokenSummarySerializer(serializers.ModelSerializer[ApiToken]):
    prefix = serializers.CharField(source="display_prefix")

    class Meta:
        model = ApiToken
        fields = ["name", "prefix", "scopes", "expires_at"]


class MeSerializer(serializers.ModelSerializer[User]):
    """The caller's account, its tenant and (with token authentication) the token's scopes."""

    role = serializers.ChoiceField(choices=Role.choices, allow_blank=True)
    role_label = serializers.CharField(source="get_role_display")
    administration = AdministrationRefSerializer(allow_null=True)
    region = serializers.SerializerMethodField()
    token = serializers.SerializerMethodField()
    token_scopes = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "role", "role_label", "administration", "region", "token", "token_scopes"]

    def _token(self) -> ApiToken | None:
        auth = self.context["request"].auth
        return auth if isinstance(auth, ApiToken) else None

    @extend_schema_field(RegionRefSerializer(allow_null=True))
    def get_region(self, user: User) -> dict[str, Any] | None:
        """RILO staff's own region; an administration's region for its staff."""
        region = user.region or (user.administration.region if user.administration else None)
        return None if region is None else dict(RegionRefSerializer(region).data)

    @extend_schema_field(TokenSummarySerializer(allow_null=True))
    def get_token(self, user: User) -> dict[str, Any] | None:
        token = self._token()
        return None if token is None else dict(TokenSummarySerializer(token).data)

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=ApiToken.Scope.choices), allow_null=True)
    )
    def get_token_scopes(self, user: User) -> list[str] | None:
        """The scopes of the token used for this request; null with session authentication (no scope limit)."""
        token = self._token()
        return None if token is None else list(token.scopes)


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """An API token as listed: never its secret."""

    user: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    prefix = serializers.CharField(source="display_prefix", read_only=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiToken.Scope.choices), read_only=True)
    status = serializers.ChoiceField(choices=["active", "expired", "revoked"], read_only=True)
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    revoked_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "user",
            "name",
            "prefix",
            "scopes",
            "status",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "last_used_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer[Any]):
    """What a caller sends to issue a token. ``user`` is chosen among the accounts the caller manages."""

    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.none())
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiToken.Scope.choices), min_length=1, max_length=3
    )
    expires_in_days = AnyLanguageIntegerField(
        min_value=1,
        max_value=settings.RILO_API_TOKEN_MAX_DAYS,
        default=settings.RILO_API_TOKEN_DEFAULT_DAYS,
        help_text=_("Days until the token expires."),
    )

    def __init__(self, *args: Any, holders: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if holders is not None:
            self.fields["user"].queryset = holders  # type: ignore[attr-defined]


class IssuedApiTokenSerializer(ApiTokenSerializer):
    """A token just issued: the only time its plaintext is shown."""

    token = serializers.SerializerMethodField(help_text=_("The token. Shown once: store it now."))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, token: ApiToken) -> str:
        return str(self.context["plaintext"])
