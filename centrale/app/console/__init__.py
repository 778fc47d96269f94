"""The web console: the seed's tray menu and action screen, in a browser.

A shell over library functions, like the CLI: pages read ``site_status``, the jobs queue and head
office's tables; buttons call ``store_actions`` and ``config_edit.set_values``. Served by `centrale run`
on a store and by `centrale console` anywhere (``server.py``); ``app.py`` builds the ASGI app.
Importing this package imports no web library.
"""
