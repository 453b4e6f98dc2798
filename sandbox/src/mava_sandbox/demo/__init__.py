"""`mava-bot demo`: the whole bridge on this machine, driven from a terminal prompt.

Kept import-free so `mava-bot --help` stays fast; the pieces are `mava_sandbox.demo.cli`
(`run_demo_cli`), `mava_sandbox.demo.session` (`DemoSession`, `run_demo`) and
`mava_sandbox.demo.render` (Block Kit to rich).
"""
