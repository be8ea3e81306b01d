"""API tokens expire, can be listed and revoked from the command line, and by their owner on a web page."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Callable

import pytest
from flask.testing import FlaskClient
from freezegun import freeze_time
from sqlalchemy import select, text

from engine.identity import accounts as identity
from engine.identity import tokens as api_tokens
from engine.journal import AuditEvent

from ..conftest import TEST_PASSWORD, World
from ..webapp.helpers import page
from .helpers import assert_clean_failure, csrf_client, csrf_token, run_cli

T0 = datetime(2026, 12, 1, 9, 0, 0)


def _create(world: World, username: str) -> str:
    with world.sessions() as session, session.begin():
        return identity.create_token(session, username)


def _works(client: FlaskClient, token: str) -> bool:
    status = client.get("/api/v1/processes", headers={"Authorization": f"Bearer {token}"}).status_code
    assert status in (200, 401)
    return status == 200


def _token_ids(output: str) -> list[int]:
    return [int(i) for i in re.findall(r"^#(\d+)\t", output, re.MULTILINE)]


def test_a_token_expires_after_ninety_days(world: World, client: FlaskClient) -> None:
    with freeze_time(T0) as clock:
        token = _create(world, "xh_sg")
        clock.tick(timedelta(days=90) - timedelta(seconds=1))
        assert _works(client, token)
        clock.tick(timedelta(seconds=1))
        assert not _works(client, token)


def test_the_cli_token_lifetime_follows_the_setting(world: World, client: FlaskClient, db_url: str) -> None:
    with freeze_time(T0) as clock:
        created = run_cli(db_url, "token", "create", "xh_sg", env={"BAGUAN_TOKEN_DAYS": "7"})
        assert created.exit_code == 0, created.output
        token = created.stdout.strip()
        clock.tick(timedelta(days=7) - timedelta(seconds=1))
        assert _works(client, token)
        clock.tick(timedelta(seconds=1))
        assert not _works(client, token)
        listed = run_cli(db_url, "token", "list", "xh_sg").stdout
    assert f"\txh_sg\t{token[:10]}…\t创建 2026-12-01 17:00\t到期 2026-12-08 17:00\t已过期" in listed


def test_the_cli_lists_and_revokes_tokens(world: World, client: FlaskClient, db_url: str) -> None:
    mine, theirs = _create(world, "xh_sg"), _create(world, "xh_staff")
    everyone = run_cli(db_url, "token", "list")
    assert everyone.exit_code == 0 and len(_token_ids(everyone.stdout)) == 2
    assert mine not in everyone.stdout and theirs not in everyone.stdout
    [sg_id] = _token_ids(run_cli(db_url, "token", "list", "xh_sg").stdout)
    revoked = run_cli(db_url, "token", "revoke", str(sg_id))
    assert revoked.exit_code == 0 and revoked.stdout.strip() == f"已撤销令牌 #{sg_id}（xh_sg，{mine[:10]}…）"
    assert not _works(client, mine) and _works(client, theirs)
    assert "已撤销" in run_cli(db_url, "token", "list", "xh_sg").stdout
    again = run_cli(db_url, "token", "revoke", str(sg_id))
    assert again.exit_code == 0 and again.stdout.strip() == f"令牌 #{sg_id} 此前已撤销"
    with world.sessions() as session:
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "token.revoked")).all() == \
            ["token.revoked"]
    assert run_cli(db_url, "token", "list", "fa_nobody").stderr.strip() == "错误：用户 fa_nobody 不存在"
    assert run_cli(db_url, "token", "list", "xh_fa").stdout.strip() == "没有访问令牌"


@pytest.mark.parametrize("raw,message", [
    ("abc", "错误：令牌编号必须是正整数（见 baguan token list），当前值：abc"),
    ("1.5", "错误：令牌编号必须是正整数（见 baguan token list），当前值：1.5"),
    ("999999", "错误：令牌 #999999 不存在"),
])
def test_revoking_a_bad_id_is_one_chinese_line(world: World, db_url: str, raw: str, message: str) -> None:
    assert assert_clean_failure(run_cli(db_url, "token", "revoke", raw)) == message


def test_a_user_sees_and_revokes_only_their_own_tokens(world: World, client: FlaskClient,
                                                       login: Callable[[str], FlaskClient]) -> None:
    mine, theirs = _create(world, "xh_sg"), _create(world, "xh_staff")
    browser = login("xh_sg")
    listing = page(browser.get("/account/tokens"))
    assert f"{mine[:10]}…" in listing and theirs[:10] not in listing and mine not in listing
    assert "有效" in listing and "撤销" in listing
    ids = [int(i) for i in re.findall(r'action="/account/tokens/(\d+)/revoke"', listing)]
    assert len(ids) == 1
    other_id = ids[0] + 1 if ids[0] == 1 else ids[0] - 1
    refused = browser.post(f"/account/tokens/{other_id}/revoke")
    assert refused.status_code == 404 and "不存在" in page(refused)
    assert _works(client, theirs)
    done = browser.post(f"/account/tokens/{ids[0]}/revoke", follow_redirects=True)
    assert "已撤销令牌" in page(done) and "已撤销" in page(done)
    assert not _works(client, mine) and _works(client, theirs)
    assert 'action="/account/tokens/' not in page(browser.get("/account/tokens"))


def test_revoking_needs_the_csrf_token(db_url: str, world: World) -> None:
    token = _create(world, "xh_sg")
    browser = csrf_client(db_url)
    login_form = {"username": "xh_sg", "password": TEST_PASSWORD, "csrf_token": csrf_token(page(browser.get("/login")))}
    assert browser.post("/login", data=login_form).status_code == 302
    listing = page(browser.get("/account/tokens"))
    [token_id] = re.findall(r'action="/account/tokens/(\d+)/revoke"', listing)
    assert browser.post(f"/account/tokens/{token_id}/revoke").status_code == 400
    assert _works(browser, token)
    revoke = browser.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(listing)})
    assert revoke.status_code == 302
    assert not _works(browser, token)


def test_the_settings_page_links_to_the_tokens(login: Callable[[str], FlaskClient]) -> None:
    assert 'href="/account/tokens"' in page(login("xh_staff").get("/settings"))
    assert "您还没有访问令牌" in page(login("xh_staff").get("/account/tokens"))


def test_the_migration_gives_existing_tokens_ninety_more_days(db_url: str) -> None:
    """A token issued before expiry existed keeps working after ``init-db``, now with an end date."""
    from alembic import command

    from engine.db import make_engine, make_session_factory, utcnow
    from engine.runtime.schema import alembic_config

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0006_merge")
    token = "bgn_" + "x" * 43
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO app_user (username, name, password_hash, active, session_token, "
                                "created_at) VALUES ('old', '老用户', 'x', :yes, 'abc', :now)"),
                           {"yes": True, "now": utcnow()})
        connection.execute(text("INSERT INTO api_token (user_id, token_hash, created_at, revoked) "
                                "SELECT id, :digest, :now, :no FROM app_user"),
                           {"digest": hashlib.sha256(token.encode()).hexdigest(), "now": utcnow(), "no": False})
    assert run_cli(db_url, "init-db").exit_code == 0
    with make_session_factory(engine)() as session:
        user = identity.user_for_token(session, token)
        assert user is not None and user.username == "old"
        [row] = api_tokens.list_tokens(session)
    assert timedelta(days=89) < row.expires_at - utcnow() <= timedelta(days=90)
    assert row.status == api_tokens.TokenStatus.ACTIVE and row.hint == ""
    engine.dispose()
