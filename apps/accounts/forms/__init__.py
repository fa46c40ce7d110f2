"""Forms of the account pages, one module per page group."""

from .language import LanguageForm
from .sign_in import LoginForm, PasswordResetForm
from .tokens import ApiTokenForm
from .two_factor import TokenForm
from .users import UserCreateForm, UserEditForm, UserSearchForm

__all__ = [
    "ApiTokenForm",
    "LanguageForm",
    "LoginForm",
    "PasswordResetForm",
    "TokenForm",
    "UserCreateForm",
    "UserEditForm",
    "UserSearchForm",
]
