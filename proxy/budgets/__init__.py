"""Budgets: requests and tokens per team or key, per day or month (UTC), optionally only for one location, declared
in `<policies>/budgets.yaml` and enforced across replicas through Redis (per replica while it is down)."""
