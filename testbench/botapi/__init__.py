"""A fake Telegram Bot API server that the real python-telegram-bot stack talks to over HTTP.

Build the bot with::

    Application.builder().token(fake.token)
        .base_url(f"{fake.url}/bot").base_file_url(f"{fake.url}/file/bot")

Calls then arrive as ``POST {url}/bot{token}/{method}`` and file downloads as
``GET {url}/file/bot{token}/{file_path}``.

One module per family of Bot API methods; each handler is marked ``@bot_method("name")``:

=================  ==========================================================================
``core``           shared state, the route table, chat access rules, rendering, transcript
``dispatch``       answering a call: record, injected faults and flood limits, handler
``updates``        getUpdates, setWebhook, deleteWebhook, getWebhookInfo, webhook delivery
``sending``        sendMessage, sendPhoto, sendDocument, sendMediaGroup, copy/forward, actions
``editing``        editMessageText/Caption/ReplyMarkup, deleteMessage(s)
``callbacks``      answerCallbackQuery
``settings``       getMe, setMyCommands & co., setMyName & co., close, logOut
``files``          getFile and file downloads (``filestore`` keeps the bytes)
``user_actions``   what the simulated users do (messages, presses, blocking)
``groups``         groups: the bot added and removed, supergroup migration, leaveChat
``telegram``       ``FakeTelegram``: the families composed, start and stop
=================  ==========================================================================
"""

from .telegram import FakeTelegram, create_app

__all__ = ["FakeTelegram", "create_app"]
