"""The outbox: notifications written with the change that causes them, delivered afterwards.

The path of a notification, one module each: ``queue`` (queued in the use case's transaction,
once per key) → ``claims`` (claimed by one sender, as a lease) → ``bot.outbox.pacing`` (paced per
chat and overall) → ``bot.outbox.sending`` (sent to Telegram) → ``outcomes`` (recorded: sent,
retried, failed, or passed to the next person in line). ``kinds`` names the notifications.
"""
