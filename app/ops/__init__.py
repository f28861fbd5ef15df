"""Operations: the worker's heartbeat and the line's counts (`health`), and the endpoints that
show them (`routes`: liveness, readiness and Prometheus metrics). The blueprint lives in
`routes`, so the worker can read `health` without loading any web code."""
