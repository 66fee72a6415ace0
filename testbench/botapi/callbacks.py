"""The bot answering button presses: answerCallbackQuery, and what tests read about the answers."""

from __future__ import annotations

from typing import Any

from ..content import MAX_CALLBACK_ANSWER_LENGTH
from ..models import CallbackAnswer
from ..params import Params, bad_request
from .core import BotApiCore, bot_method

__all__ = ["Callbacks"]


class Callbacks(BotApiCore):
    """Answers to the callback queries users send (see ``UserActions._user_callback``)."""

    @bot_method("answerCallbackQuery")
    async def _answer_callback_query(self, params: Params) -> Any:
        query_id = params.require_str("callback_query_id")
        query = self._queries.get(query_id)
        if query is None or query.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(text=text, show_alert=params.get_bool("show_alert"))
        query.answered = True
        query.answer = answer
        self._users[query.user_id].callback_answers.append(answer)
        if text:
            self._emit(
                sender="bot",
                kind="answer",
                chat_id=query.user_id,
                text=f"({'alert' if answer.show_alert else 'toast'}) {text}",
            )
        self._signal.notify()
        return True

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """The answer given to a callback query (None while unanswered)."""
        query = self._queries.get(query_id)
        return query.answer if query else None

    @property
    def unanswered_callback_queries(self) -> list[str]:
        return [qid for qid, query in self._queries.items() if not query.answered]
