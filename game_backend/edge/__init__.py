"""The web edge: who may call (CORS, client addresses), how much (rate limits), middlewares, the served pages and
client."""
