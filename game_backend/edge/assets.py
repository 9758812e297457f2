"""Where the files the server serves come from: a checkout's own folders, or the copies an installed wheel holds.

Three sets of files are served that are not Python: the lobby page (`frontend/`), the socket.io-client bundle
(npm's `socket.io-client/dist`) and the Admin UI's page (npm's `@socket.io/admin-ui/ui/dist`). In a checkout
they are read where they are (`make run` installs the npm packages with `npm ci`), so an edit to the page shows
at once. A wheel holds copies, made at build time from the pinned npm lockfile (setup.py), under
`game_backend/_assets/`: an installed server needs no network and no npm.
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
PACKAGED = Path(__file__).resolve().parents[1] / "_assets"

# Each set: its folder in a checkout, and its name under _assets/ (setup.py copies the one to the other).
SOURCES = {
    "frontend": CHECKOUT / "frontend",
    "socket.io-client": CHECKOUT / "node_modules" / "socket.io-client" / "dist",
    "admin-ui": CHECKOUT / "node_modules" / "@socket.io" / "admin-ui" / "ui" / "dist",
}


def located(name: str) -> Path:
    """The folder of the set `name`: the checkout's when it is there, otherwise the wheel's copy."""
    checkout = SOURCES[name]
    return checkout if checkout.is_dir() else PACKAGED / name
