"""我的访问令牌: a logged-in user sees their own API tokens and revokes them."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from engine.identity import tokens as api_tokens

from ..extensions import commit, db_session
from ..tasks.current import me
from . import bp


@bp.get("/account/tokens")
@login_required
def tokens() -> Any:
    return render_template("auth/tokens.html", tokens=api_tokens.list_tokens(db_session(), me().username))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    info, changed = api_tokens.revoke_token(db_session(), token_id, actor=me(), owner=me())
    commit()
    flash(f"已撤销令牌 {info.hint}…" if changed else f"令牌 {info.hint}… 此前已撤销", "success")
    return redirect(url_for("auth.tokens"))
