"""The Slack side of the bridge.

Pure pieces live here (`text` for escaping and Slack limits, `command` for the `/mava`
language, `blocks` for Block Kit builders, `callback_ids` for the action, view, block and
shortcut ids the listeners and builders share); listeners stay thin and call services.
"""
