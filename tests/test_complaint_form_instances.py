"""The complaint form's CSRF key comes from the deployment secret: a form served by one instance
is accepted by another of the same deployment, and refused by another deployment."""

from __future__ import annotations

from pydantic import SecretStr

from bot.app import csrf_key
from bot.settings import Settings
from bot.web_complaints import WebChannel


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, database_url="sqlite+aiosqlite:///x.db", **values)  # type: ignore[arg-type]


def test_a_form_from_one_instance_is_accepted_by_another() -> None:
    deployment = settings(secret_key=SecretStr("s" * 40))
    served, posted = (
        WebChannel(csrf_key=csrf_key(deployment)),
        WebChannel(csrf_key=csrf_key(deployment)),
    )
    field = served.csrf_field("cookie-token")
    assert posted.csrf_ok("cookie-token", field)
    other = WebChannel(csrf_key=csrf_key(settings(secret_key=SecretStr("t" * 40))))
    assert not other.csrf_ok("cookie-token", field)
    # the key is derived for the form alone: not the secret, nor the drafts' key
    assert csrf_key(deployment) != deployment.complaint_secret()


def test_from_the_bot_token_when_there_is_no_secret_key_else_per_process() -> None:
    token = settings(bot_token=SecretStr("123:abc"))
    assert csrf_key(token) == csrf_key(settings(bot_token=SecretStr("123:abc")))
    bare = settings()
    assert csrf_key(bare) != csrf_key(bare)
