"""Several processes as one Socket.IO server: rooms shared through Redis (a channel per room)."""
