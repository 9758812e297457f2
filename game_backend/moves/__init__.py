"""The use cases: each moment of a player's life, its database change and its announcements, in one function.

Socket handlers (realtime/) and REST routes (api/) are adapters: they parse,
call one move, and shape the answer, so nothing is assembled twice.

The words, as every module uses them:

- **seat**: a player's place in a room (the room document's `players` entry).
- **held seat**: a seat whose player's every connection has gone; it is kept
  for `RECONNECT_GRACE_SECONDS` (its `leaveAt`), then given up.
- **round**: one game of a room's song, from `startGame` to the results (the
  `games` collection).
- **drop**: a player's last connection closes (or its process dies): their
  seats become held seats.
- **return**: a player connects again within the grace: their held seats are
  theirs again (`seatRestored`).
- **leave**: a player gives up a seat on purpose.
"""
