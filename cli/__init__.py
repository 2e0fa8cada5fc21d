"""`branch-audit` command line: one small module per command that parses and prints."""
