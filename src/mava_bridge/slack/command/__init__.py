"""The `/mava` slash command's language.

- `model`: the command dataclasses and `Usage` (what a parse yields).
- `grammar`: `parse`, text in, a command or a usage hint out; never raises.
- `tokens`: tokenizer, quoting, ticket references; `subscribe`: subscription words.
- `help`: the help catalogue, usage lines and examples.
"""
