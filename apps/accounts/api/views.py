"""Accounts API: who am I, and API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.idempotency import idempotent
from apps.core.api.pagination import StableCursorPagination
from apps.core.api.permissions import ModelCapabilityPermission, RequiredScopeMixin, token_scopes
from apps.core.api.schema import error_response
from apps.core.request_actor import request_actor

from ..middleware import session_two_factor_verified
from ..models import ApiToken, User
from ..selectors import api_token_get, api_token_holders, api_token_list
from ..services import token_issue, token_revoke
from .serializers import ApiTokenCreateSerializer, ApiTokenSerializer, IssuedApiTokenSerializer, MeSerializer


class MeView(APIView):
    """The account making the request."""

    @extend_schema(responses={200: MeSerializer}, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        if not isinstance(request.auth, ApiToken):  # a token brings its user's tenant already
            user = User.objects.select_related("administration__region", "region").get(pk=user.pk)
        return Response(MeSerializer(user, context={"request": request}).data)


class ApiTokenViewSet(
    RequiredScopeMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ApiToken]
):
    """The caller's own API tokens and, for coordinators and RILO administrators, those of the accounts
    they manage (auditors read their region's). The secret is shown once, in the answer to the POST."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()  # the model, for the capability check and the schema
    permission_classes = [*APIView.permission_classes, ModelCapabilityPermission]
    pagination_class = StableCursorPagination
    cursor_ordering = "-pk"
    lookup_value_regex = r"\d+"

    def get_permissions(self) -> Sequence[Any]:
        # Issuing and revoking are decided by the services (one's own tokens, or those of the accounts
        # one manages), not by the "add" capability alone.
        if self.action in ("create", "revoke"):
            return [permission() for permission in APIView.permission_classes]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet[ApiToken]:
        action_name = "change" if self.action == "revoke" else "view"
        return api_token_list(user=request_actor(self.request), action=action_name)

    def get_object(self) -> ApiToken:
        action_name = "change" if self.action == "revoke" else "view"
        return api_token_get(user=request_actor(self.request), pk=self.kwargs["pk"], action=action_name)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: IssuedApiTokenSerializer})
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Issue a token: for yourself, from a web session verified with your second factor (never with a
        token); or, for coordinators and RILO administrators, for a partner-system account they manage.

        A token may not grant scopes that the caller's own token lacks."""
        serializer = ApiTokenCreateSerializer(
            data=request.data, holders=api_token_holders(actor=request_actor(request))
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        token, plaintext = token_issue(
            user=data["user"],
            name=data["name"],
            scopes=data["scopes"],
            expires_at=timezone.now() + timedelta(days=data["expires_in_days"]),
            actor=request.user,  # type: ignore[arg-type]
            two_factor_verified=session_two_factor_verified(request),
            allowed_scopes=token_scopes(request),
        )
        body = IssuedApiTokenSerializer(token, context={"plaintext": plaintext}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(request=None, responses={200: ApiTokenSerializer, 409: error_response("409", "Already revoked.")})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        """Revoke a token at once."""
        token = token_revoke(token=self.get_object(), actor=request.user)  # type: ignore[arg-type]
        return Response(ApiTokenSerializer(token).data)
