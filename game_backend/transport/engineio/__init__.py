"""Engine.IO v4, this project's own, on aiohttp: packets, sessions and their ids, long-polling and WebSocket."""
