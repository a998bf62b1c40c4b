"""The incidents room's forms, one module per group of pages (report, cases, chronology)."""
