"""`mava-bot demo`: the whole bridge on this machine, driven from a terminal prompt.

Kept import-free so `mava-bot --help` stays fast; the pieces are `bot.demo.cli`
(`run_demo_cli`), `bot.demo.session` (`DemoSession`, `run_demo`) and
`bot.demo.render` (Block Kit to rich).
"""
