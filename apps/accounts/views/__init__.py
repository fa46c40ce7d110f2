"""Account pages, one module per page group; ``urls.py`` takes the views from here."""

from .language import language_choose
from .profile import profile
from .sign_in import LoginView, LogoutView
from .tokens import token_create_page, token_list_page, token_revoke_page
from .two_factor import otp_disable, otp_setup, otp_verify
from .users import (
    user_create,
    user_deactivate,
    user_edit,
    user_list,
    user_password_reset,
    user_reactivate,
    user_two_factor_reset,
)

__all__ = [
    "LoginView",
    "LogoutView",
    "language_choose",
    "otp_disable",
    "otp_setup",
    "otp_verify",
    "profile",
    "token_create_page",
    "token_list_page",
    "token_revoke_page",
    "user_create",
    "user_deactivate",
    "user_edit",
    "user_list",
    "user_password_reset",
    "user_reactivate",
    "user_two_factor_reset",
]
