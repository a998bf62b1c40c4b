"""Importing pupils and their contacts from the school's MIS: CSV, DfE Common Transfer File (CTF) XML and
OneRoster 1.1. Parsers (``csv_mis``, ``ctf``, ``oneroster``) turn bytes into records and never touch the
database; ``plan`` works out and applies the changes; ``service`` is what the pages and the command call."""
