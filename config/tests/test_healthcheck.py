"""The containers' healthchecks (`python -m config.healthcheck web|beat`)."""

import time

import pytest
import time_machine

pytestmark = pytest.mark.django_db


class TestContainerHealthchecks:
    def test_beat_is_healthy_only_with_a_fresh_heartbeat(self, settings):
        from config import healthcheck
        from merchants.health import beat_heartbeat_record

        assert healthcheck.main(["beat"]) == 1  # never written
        beat_heartbeat_record()
        assert healthcheck.main(["beat"]) == 0
        with time_machine.travel(time.time() + settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS + 1):
            assert healthcheck.main(["beat"]) == 1

    @pytest.mark.parametrize(
        ("allowed", "host"),
        [
            ("pos.example.com,localhost", "pos.example.com"),
            (".example.com", "example.com"),
            ("*", "localhost"),
            ("", "localhost"),
        ],
    )
    def test_web_asks_for_a_host_the_server_accepts(self, allowed, host):
        from config.healthcheck import served_host

        assert served_host(allowed) == host

    def test_an_unknown_check_is_a_usage_error(self):
        from config import healthcheck

        assert healthcheck.main(["worker"]) == 2
