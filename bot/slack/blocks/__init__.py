"""Every Block Kit payload the bot sends is built in this package, within Slack's limits
(see :mod:`bot.slack.blocks.limits`)."""
