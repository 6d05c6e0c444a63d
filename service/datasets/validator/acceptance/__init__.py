"""Whether each provider would accept a file: the rules each one enforces, row by row."""
