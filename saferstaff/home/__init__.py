"""The top room: what brings every room together — the school's and the trust's dashboards, the daily run and
the demo loader. It has no models; nothing below imports it."""
