"""常用语: the common opinions every reviewer gets, plus each reviewer's own saved phrases."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.errors import Conflict, InvalidData, NotFound
from engine.identity.models import User
from engine.review.models import SavedPhrase

COMMON_PHRASES = ("同意。", "拟同意，请审定。", "原则同意，请按意见修改后办理。", "请补充相关材料后重新提交。",
                  "请核实相关数据。", "已阅。", "请提交会议研究。", "请秘书处按程序办理并报市科协备案。")
MAX_PHRASE = 200
MAX_PHRASES = 50


@dataclass(frozen=True)
class Phrase:
    text: str
    id: int | None = None

    @property
    def own(self) -> bool:
        return self.id is not None


def phrases_for(session: Session, user: User) -> list[Phrase]:
    """The user's own phrases first (most recent first), then the common ones."""
    own = session.scalars(select(SavedPhrase).where(SavedPhrase.user_id == user.id).order_by(SavedPhrase.id.desc()))
    return [Phrase(p.text, p.id) for p in own] + [Phrase(text) for text in COMMON_PHRASES]


def add_phrase(session: Session, user: User, text: str | None) -> SavedPhrase:
    text = (text or "").strip()
    if not text or len(text) > MAX_PHRASE or "\x00" in text:
        raise InvalidData("常用语无效", {"text": f"请填写常用语（不超过 {MAX_PHRASE} 字）"})
    mine = select(func.count()).select_from(SavedPhrase).where(SavedPhrase.user_id == user.id)
    if (session.scalar(mine) or 0) >= MAX_PHRASES:
        raise Conflict(f"最多保存 {MAX_PHRASES} 条常用语，请先删除不用的")
    if session.scalar(select(SavedPhrase).where(SavedPhrase.user_id == user.id, SavedPhrase.text == text)):
        raise Conflict("这条常用语已保存过")
    phrase = SavedPhrase(user_id=user.id, text=text)
    session.add(phrase)
    session.flush()
    audit.record(session, "phrase.added", actor=user, phrase_id=phrase.id, text=text)
    return phrase


def delete_phrase(session: Session, user: User, phrase_id: int) -> None:
    phrase = session.get(SavedPhrase, phrase_id)
    if phrase is None or phrase.user_id != user.id:
        raise NotFound("常用语不存在")
    session.delete(phrase)
    session.flush()
    audit.record(session, "phrase.deleted", actor=user, phrase_id=phrase_id, text=phrase.text)
