"""How results are written for people and machines: one home for every report format.

``reports`` imports ``checks`` (the models) and nothing from ``bot``, so the CLI, the Slack
app, the handover and the secrets scanner can all use it.
"""
