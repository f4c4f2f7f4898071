"""Settings for the relay subprocesses of test_sigkill: the project's settings with the
test SMTP server and a short lease, so a message left in ``sending`` by a killed worker is
settled within a second."""

import os

from wanliu.settings import *  # noqa: F403

EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["WANLIU_TEST_SMTP_PORT"])
EMAIL_TIMEOUT = 10
WANLIU_NOTIFY_LEASE_SECONDS = 1
