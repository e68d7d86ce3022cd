"""``aiges.concurrent``: the vendor SDK's object pools (``pool.Pool``, ``fixpool.FixedPool``), kept for
wrappers that import them."""
