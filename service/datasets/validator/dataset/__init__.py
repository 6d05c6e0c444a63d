"""Checks across rows: block results folded in file order (`aggregate`) with the duplicate and
contradiction table (`dedup`) and preference cycles (`cycles`); two datasets' overlap
(`overlap`)."""
