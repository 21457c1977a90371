"""The Slack part of the bot: everything that knows Slack's types lives in this package.

``app.py`` builds the Bolt AsyncApp, ``listeners/`` handle commands, actions, views and
events, ``blocks/`` builds every Block Kit payload within Slack's limits, ``notifier.py``
posts with retries and ``manifest.py`` describes the app for one-step installation.
"""
