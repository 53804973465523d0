"""Settings for bench/intake_api.py only: the product's settings, plus a URLconf that adds the
minimal comparison view. Never used by the product."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake_urls"
