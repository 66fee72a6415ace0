"""``duban demo``: the example county played through the real bot against a fake Telegram.

``demo.play`` sets the county up and runs the acts in order; each act (``demo.joining``,
``demo.registration``, ``demo.lifecycle``, ``demo.complaint``, ``demo.escalation``) is a function
taking the :class:`demo.stage.Stage`. The demo drives the fake Bot API from ``testbench``, which
is why it lives outside ``bot/``.
"""
