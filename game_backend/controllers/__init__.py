"""The rules of the game, on MongoDB. Nothing here knows about Socket.IO or HTTP."""
