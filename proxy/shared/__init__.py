"""State the replicas share through Redis (GOVPROXY_REDIS_URL): rate limits, budgets' counters, key revocation and
conversation pseudonym maps. Each piece has a per-replica fallback; detection, policy and audit never use it."""
