"""The `/mava` slash command's language: `model` (what a parse yields), `grammar`
(`parse`, text in, a command or a usage hint out), `subscribe` and `sla` (their words),
`help` (the catalogue of usage lines and examples)."""
