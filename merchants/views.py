"""The start page (`/`, and `/demo/` with the demo pages on) and the staff invitation page: the
emailed link lands there and the invitee accepts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from merchants.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_merchant, require_demo_pages
from merchants.errors import DomainError
from merchants.login_guard import LockAwareLoginFormMixin
from merchants.secret_links import private_page
from merchants.services import (
    staff_invitation_accept,
    staff_invitation_accept_new_account,
    staff_invitation_for_token,
)


class InvitationLoginForm(LockAwareLoginFormMixin, AuthenticationForm):
    pass


class InvitationSignupForm(BaseUserCreationForm):
    class Meta:
        model = get_user_model()
        fields = ("username",)


@never_cache
@require_http_methods(["GET", "POST"])
def staff_invitation(request, token: str):
    """Shows whom the invitation is from and lets the invitee accept it: signed in already,
    after signing in here, or with a new account made here (with the invited email).

    Opening the page (GET) changes nothing, so mail scanners that fetch links do not use it.
    """
    invitation = staff_invitation_for_token(token=token)
    if invitation is None:
        page = render(request, "merchants/staff_invitation.html", {"invalid": True}, status=400)
        return private_page(page)
    action = request.POST.get("action") if request.method == "POST" else None
    login_form = InvitationLoginForm(
        request, data=request.POST if action == "login" else None, prefix="login"
    )
    signup_form = InvitationSignupForm(
        data=request.POST if action == "signup" else None,
        instance=get_user_model()(email=invitation.email),
        prefix="signup",
    )
    error = ""
    try:
        membership = None
        if action == "accept" and request.user.is_authenticated:
            membership = staff_invitation_accept(token=token, user=request.user)
        elif action == "login" and login_form.is_valid():
            user = login_form.get_user()
            membership = staff_invitation_accept(token=token, user=user)
            login(request, user)
        elif action == "signup" and signup_form.is_valid():
            membership = staff_invitation_accept_new_account(
                token=token,
                username=signup_form.cleaned_data["username"],
                password=signup_form.cleaned_data["password1"],
            )
            login(request, membership.user, backend="merchants.login_guard.LockoutModelBackend")
        if membership is not None:
            messages.success(
                request,
                gettext("You are now %(lower)s at %(name)s.")
                % {
                    "lower": membership.get_role_display().lower(),
                    "name": membership.merchant.name,
                },
            )
            return private_page(HttpResponseRedirect(reverse("admin:index"), status=303))
    except DomainError as failure:
        error = failure.message
    context = {
        "invitation": invitation,
        "role": invitation.get_role_display().lower(),
        "login_form": login_form,
        "signup_form": signup_form,
        "error": error,
    }
    status = 400 if error else 200
    return private_page(render(request, "merchants/staff_invitation.html", context, status=status))


def landing(request):
    """Where to go from here: the admin, the till, the API docs and, with the demo pages on,
    the demo pages and the demo logins (never listed when they are off)."""
    demo = settings.DEMO_PAGES_ENABLED
    merchant = demo_merchant() if demo else None
    context = {
        "demo": demo,
        "demo_logins": DEMO_LOGINS if demo else [],
        "demo_password": DEMO_PASSWORD if demo else "",
        "demo_merchant": merchant,
    }
    return render(request, "landing.html", context)


def demo_index(request):
    """`/demo/`: the start page, only while the demo pages are on."""
    require_demo_pages()
    return landing(request)
