from django.contrib.auth import views as auth_views
from django.urls import path

from . import token_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("tokens/", token_views.token_list_page, name="token_list"),
    path("tokens/new/", token_views.token_create_page, name="token_create"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke_page, name="token_revoke"),
]
