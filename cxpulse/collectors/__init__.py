"""One scrape-time collector per family (contacts, sessions, conversions, surveys,
costs) next to its arithmetic in ``cxpulse/core``, and the ratios that join two
families in one place (:mod:`cross_family`). Tickets' collector is in
``cxpulse/exporter.py``."""
