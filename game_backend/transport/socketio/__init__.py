"""Socket.IO v5 over the Engine.IO server: python-socketio through one seam, strict packets, room fanout."""
