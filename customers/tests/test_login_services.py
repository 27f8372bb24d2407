from datetime import UTC, datetime, timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from customers import services
from customers.models import Customer, LoginChallenge
from customers.tasks import login_challenge_send_task
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a request service and its on-commit email task."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


class TestMagicLink:
    def test_email_has_our_confirm_link_and_it_signs_in(
        self, merchant, customer, send, last_link_token, settings
    ):
        settings.SITE_URL = "https://pos.example.com"
        challenge = send(services.login_link_request, merchant=merchant, email="SITI@example.com")
        [message] = mail.outbox
        assert message.to == ["siti@example.com"]
        assert "Kopi Test" in message.subject
        assert message.from_email.startswith("Kopi Test <")
        token = last_link_token()
        assert f"https://pos.example.com/auth/magic/{token}/" in message.body
        html = message.alternatives[0][0]
        assert f"https://pos.example.com/auth/magic/{token}/" in html
        assert "Kopi Test" in html
        # Only the hash is stored.
        challenge.refresh_from_db()
        assert token not in (challenge.token_hash, challenge.secret_seed, challenge.otp_hmac)
        assert challenge.token_hash == services.hash_link_token(token)

        result = services.login_link_verify(token=token)
        assert result.customer == customer
        assert result.created is False
        customer.refresh_from_db()
        assert customer.last_login_at is not None

    def test_single_use(self, merchant, customer, send, last_link_token):
        send(services.login_link_request, merchant=merchant, email=customer.email)
        token = last_link_token()
        services.login_link_verify(token=token)
        with pytest.raises(services.InvalidLogin):
            services.login_link_verify(token=token)

    def test_expiry_at_the_edges(self, merchant, customer, send, last_link_token, settings):
        settings.MAGIC_LINK_TTL_SECONDS = 900
        with time_machine.travel(START, tick=False):
            send(services.login_link_request, merchant=merchant, email=customer.email)
        token = last_link_token()
        with (
            time_machine.travel(START + timedelta(seconds=900), tick=False),
            pytest.raises(services.InvalidLogin),
        ):
            services.login_link_verify(token=token)
        with time_machine.travel(START + timedelta(seconds=899), tick=False):
            assert services.login_link_verify(token=token).customer == customer

    def test_unknown_email_becomes_a_customer_on_verification(
        self, merchant, send, last_link_token
    ):
        send(services.login_link_request, merchant=merchant, email="New@Example.com")
        assert not Customer.objects.exists()  # nothing created by the request alone
        result = services.login_link_verify(token=last_link_token())
        assert result.created is True
        assert result.customer.email == "new@example.com"
        assert result.customer.merchant == merchant

    def test_link_of_one_merchant_does_not_sign_in_at_another(
        self, merchant, other_merchant, customer, send, last_link_token
    ):
        send(services.login_link_request, merchant=merchant, email=customer.email)
        with pytest.raises(services.InvalidLogin):
            services.login_link_verify(token=last_link_token(), merchant=other_merchant)
        assert services.login_link_verify(token=last_link_token(), merchant=merchant)

    def test_closed_merchant_cannot_sign_in(self, merchant, customer, send, last_link_token):
        send(services.login_link_request, merchant=merchant, email=customer.email)
        merchant.is_active = False
        merchant.save()
        with pytest.raises(services.PermissionDenied):
            services.login_link_verify(token=last_link_token())

    def test_disabled_customer_gets_no_email_and_cannot_sign_in(
        self, merchant, send, last_link_token
    ):
        customer = CustomerFactory(merchant=merchant, is_active=False)
        challenge = send(services.login_link_request, merchant=merchant, email=customer.email)
        assert mail.outbox == []
        token = services.login_challenge_secret(challenge)
        with pytest.raises(services.PermissionDenied):
            services.login_link_verify(token=token)


class TestOtp:
    def test_email_has_the_code_and_it_signs_in(self, merchant, customer, send, last_code):
        challenge = send(services.login_otp_request, merchant=merchant, email=customer.email)
        [message] = mail.outbox
        code = last_code()
        assert code in message.subject
        assert code in message.alternatives[0][0]
        challenge.refresh_from_db()
        assert code not in (challenge.otp_hmac, challenge.secret_seed)
        assert len(challenge.otp_hmac) == 64
        result = services.login_otp_verify(merchant=merchant, email="Siti@Example.com", code=code)
        assert result.customer == customer
        with pytest.raises(services.InvalidLogin):
            services.login_otp_verify(merchant=merchant, email=customer.email, code=code)

    def test_code_length_is_a_setting(self, merchant, customer, send, settings):
        settings.OTP_LENGTH = 8
        challenge = send(services.login_otp_request, merchant=merchant, email=customer.email)
        code = services.login_challenge_secret(challenge)
        assert len(code) == 8
        assert code in mail.outbox[0].body

    def test_expiry_at_the_edges(self, merchant, customer, send, last_code, settings):
        settings.OTP_TTL_SECONDS = 300
        with time_machine.travel(START, tick=False):
            send(services.login_otp_request, merchant=merchant, email=customer.email)
        code = last_code()
        with (
            time_machine.travel(START + timedelta(seconds=300), tick=False),
            pytest.raises(services.InvalidLogin),
        ):
            services.login_otp_verify(merchant=merchant, email=customer.email, code=code)
        with time_machine.travel(START + timedelta(seconds=299), tick=False):
            assert services.login_otp_verify(merchant=merchant, email=customer.email, code=code)

    def test_five_wrong_tries_burn_the_code(self, merchant, customer, send, last_code, settings):
        settings.OTP_MAX_ATTEMPTS = 5
        send(services.login_otp_request, merchant=merchant, email=customer.email)
        code = last_code()
        wrong = str((int(code) + 1) % 10**6).zfill(6)
        messages = []
        for _ in range(5):
            with pytest.raises(services.InvalidLogin) as error:
                services.login_otp_verify(merchant=merchant, email=customer.email, code=wrong)
            messages.append(error.value.message)
        assert messages[0] == "Wrong code; 4 tries left."
        assert messages[-1] == "Wrong code; ask for a new one."
        with pytest.raises(services.InvalidLogin) as error:
            services.login_otp_verify(merchant=merchant, email=customer.email, code=code)
        assert error.value.code == "invalid_code"
        challenge = LoginChallenge.objects.get()
        assert challenge.attempts == 5
        assert challenge.used_at is not None

    def test_right_code_on_the_last_try_still_works(
        self, merchant, customer, send, last_code, settings
    ):
        settings.OTP_MAX_ATTEMPTS = 3
        send(services.login_otp_request, merchant=merchant, email=customer.email)
        code = last_code()
        wrong = str((int(code) + 1) % 10**6).zfill(6)
        for _ in range(2):
            with pytest.raises(services.InvalidLogin):
                services.login_otp_verify(merchant=merchant, email=customer.email, code=wrong)
        assert services.login_otp_verify(merchant=merchant, email=customer.email, code=code)

    def test_a_new_code_replaces_the_old_one(self, merchant, customer, send, last_code, settings):
        settings.OTP_RESEND_COOLDOWN_SECONDS = 60
        with time_machine.travel(START, tick=False):
            send(services.login_otp_request, merchant=merchant, email=customer.email)
            first = last_code()
        with time_machine.travel(START + timedelta(seconds=61), tick=False):
            send(services.login_otp_request, merchant=merchant, email=customer.email)
            second = last_code()
            if first != second:
                with pytest.raises(services.InvalidLogin):
                    services.login_otp_verify(merchant=merchant, email=customer.email, code=first)
            assert services.login_otp_verify(merchant=merchant, email=customer.email, code=second)
        assert LoginChallenge.objects.filter(used_at__isnull=True).count() == 0

    def test_code_is_bound_to_merchant_and_email(
        self, merchant, other_merchant, customer, send, last_code
    ):
        send(services.login_otp_request, merchant=merchant, email=customer.email)
        code = last_code()
        with pytest.raises(services.InvalidLogin):
            services.login_otp_verify(merchant=other_merchant, email=customer.email, code=code)
        with pytest.raises(services.InvalidLogin):
            services.login_otp_verify(merchant=merchant, email="other@example.com", code=code)
        assert services.login_otp_verify(merchant=merchant, email=customer.email, code=code)


class TestSendLimits:
    @pytest.mark.parametrize(
        "request_service", [services.login_otp_request, services.login_link_request]
    )
    def test_cooldown(self, merchant, send, settings, request_service):
        settings.OTP_RESEND_COOLDOWN_SECONDS = 60
        with time_machine.travel(START, tick=False):
            send(request_service, merchant=merchant, email="a@example.com")
        with time_machine.travel(START + timedelta(seconds=59), tick=False):
            with pytest.raises(services.TooManyRequests) as error:
                send(request_service, merchant=merchant, email="A@example.com")
            assert error.value.wait == 2
            # Another address is not held back.
            send(request_service, merchant=merchant, email="b@example.com")
        with time_machine.travel(START + timedelta(seconds=60), tick=False):
            send(request_service, merchant=merchant, email="a@example.com")
        assert LoginChallenge.objects.filter(email="a@example.com").count() == 2
        assert len(mail.outbox) == 3

    def test_hourly_cap(self, merchant, send, settings):
        settings.OTP_RESEND_COOLDOWN_SECONDS = 60
        settings.OTP_HOURLY_CAP = 3
        for minute in (0, 10, 20):
            with time_machine.travel(START + timedelta(minutes=minute), tick=False):
                send(services.login_otp_request, merchant=merchant, email="a@example.com")
        with (
            time_machine.travel(START + timedelta(minutes=59), tick=False),
            pytest.raises(services.TooManyRequests),
        ):
            send(services.login_otp_request, merchant=merchant, email="a@example.com")
        with time_machine.travel(START + timedelta(minutes=60, seconds=1), tick=False):
            send(services.login_otp_request, merchant=merchant, email="a@example.com")
        assert LoginChallenge.objects.count() == 4


class TestEmailTask:
    def test_queued_only_after_commit(self, merchant, customer, django_capture_on_commit_callbacks):
        with mock.patch.object(login_challenge_send_task, "delay") as delay:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                challenge = services.login_link_request(merchant=merchant, email=customer.email)
                delay.assert_not_called()
            assert len(callbacks) == 1
            delay.assert_not_called()
            callbacks[0]()  # the commit
            delay.assert_called_once_with(challenge.pk)

    def test_rolled_back_request_sends_nothing(
        self, merchant, customer, django_capture_on_commit_callbacks
    ):
        from django.db import transaction

        def request_then_fail():
            with transaction.atomic():
                services.login_otp_request(merchant=merchant, email=customer.email)
                raise RuntimeError("later step failed")

        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
        ):
            request_then_fail()
        assert callbacks == []
        assert mail.outbox == []
        assert not LoginChallenge.objects.exists()

    def test_delivered_twice_sends_once(self, merchant, customer, send):
        challenge = send(services.login_otp_request, merchant=merchant, email=customer.email)
        assert len(mail.outbox) == 1
        assert login_challenge_send_task(challenge.pk) is False
        assert len(mail.outbox) == 1
        challenge.refresh_from_db()
        assert challenge.sent_at is not None

    def test_smtp_failure_releases_the_claim_for_a_retry(self, merchant, customer):
        challenge = LoginChallenge.objects.create(
            merchant=merchant,
            email=customer.email,
            kind=LoginChallenge.Kind.OTP,
            secret_seed="seed",
            expires_at=timezone.now() + timedelta(minutes=5),
        )
        with (
            mock.patch(
                "customers.services.send_templated_email", side_effect=SMTPException("down")
            ),
            pytest.raises(SMTPException),
        ):
            services.login_challenge_send(challenge_id=challenge.pk)
        challenge.refresh_from_db()
        assert challenge.sent_at is None
        assert services.login_challenge_send(challenge_id=challenge.pk) is True
        assert len(mail.outbox) == 1

    def test_task_retries_smtp_errors_with_backoff(self):
        assert SMTPException in login_challenge_send_task.autoretry_for
        assert OSError in login_challenge_send_task.autoretry_for
        assert login_challenge_send_task.retry_backoff is True
        assert login_challenge_send_task.max_retries == 6

    def test_used_challenge_is_not_mailed(self, merchant, customer):
        challenge = LoginChallenge.objects.create(
            merchant=merchant,
            email=customer.email,
            kind=LoginChallenge.Kind.LINK,
            secret_seed="seed",
            token_hash="x" * 64,
            expires_at=timezone.now() + timedelta(minutes=5),
            used_at=timezone.now(),
        )
        assert services.login_challenge_send(challenge_id=challenge.pk) is False
        assert mail.outbox == []

    def test_prune_runs_daily_on_beat(self, settings):
        from celery import current_app as app

        [entry] = [
            e
            for e in settings.BEAT_SCHEDULE_DEFAULTS.values()
            if e["task"].startswith("customers.")
        ]
        assert entry["task"] == "customers.tasks.login_challenge_prune_task"
        assert entry["task"] in app.tasks

    def test_prune_deletes_only_long_expired(self, merchant):
        now = timezone.now()
        old = LoginChallenge.objects.create(
            merchant=merchant,
            email="a@example.com",
            kind="otp",
            secret_seed="s",
            expires_at=now - timedelta(days=2),
        )
        fresh = LoginChallenge.objects.create(
            merchant=merchant,
            email="a@example.com",
            kind="otp",
            secret_seed="s",
            expires_at=now - timedelta(hours=1),
        )
        assert services.login_challenge_prune() == 1
        assert list(LoginChallenge.objects.all()) == [fresh]
        assert not LoginChallenge.objects.filter(pk=old.pk).exists()


class TestCustomerServices:
    def test_get_or_create_by_email_ignores_case(self, merchant, other_merchant):
        first = services.customer_get_or_create_by_email(
            merchant=merchant, email=" Budi@Example.COM ", name="Budi"
        )
        assert first.email == "budi@example.com"
        again = services.customer_get_or_create_by_email(
            merchant=merchant, email="BUDI@example.com"
        )
        assert again == first
        elsewhere = services.customer_get_or_create_by_email(
            merchant=other_merchant, email="budi@example.com"
        )
        assert elsewhere != first

    def test_email_is_unique_per_merchant_ignoring_case(self, merchant):
        from django.db import IntegrityError, transaction

        CustomerFactory(merchant=merchant, email="ayu@example.com")
        with pytest.raises(IntegrityError), transaction.atomic():
            Customer.objects.create(merchant=merchant, email="AYU@example.com")

    def test_invalid_email_is_a_domain_error(self, merchant):
        with pytest.raises(services.DomainError) as error:
            services.customer_get_or_create_by_email(merchant=merchant, email="not-an-email")
        assert error.value.message.startswith("email:")
        assert not Customer.objects.exists()

    def test_update_refuses_another_customers_email(self, merchant, customer):
        other = CustomerFactory(merchant=merchant, email="other@example.com")
        with pytest.raises(services.Conflict):
            services.customer_update(customer=other, email="SITI@example.com")
        services.customer_update(customer=other, name="Other", email="Other2@Example.com")
        other.refresh_from_db()
        assert (other.name, other.email) == ("Other", "other2@example.com")

    def test_revoke_bumps_the_version(self, customer):
        before = customer.token_version
        services.customer_revoke_tokens(customer=customer)
        assert customer.token_version == before + 1
