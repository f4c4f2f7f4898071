"""Proactive retention campaigns: targeting by expected incremental value under a budget,
a random control group, outreach tasks within the contact policy, outcomes and the report.

- ``ranking``: plain NumPy choice of targets, offers and the control group;
- ``data``: the tables behind targeting and uplift training (DuckDB over the extract);
- ``access``: who may see and do what; ``selectors``: reads; ``services``: writes;
- ``tasks``: background targeting and uplift training; ``api``/``schemas``/``presenters``.
"""
