"""Reading files: blocks of whole lines to validate (`lines`), rows of a source file to convert
(`source_rows`)."""
