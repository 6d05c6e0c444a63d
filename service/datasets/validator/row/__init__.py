"""One row's checks, pure: `line.validate_line` decodes a line into the typed structs (`typed`)
or walks what they refuse (`walk`), then applies the rules (`rules`, `tools`), or `plain`'s one
pass for the common row."""
