"""Conversion into OpenAI DPO rows: the source formats and their row converters (`formats`), and
a source file streamed through one (`stream`)."""
