"""The room-code format, once: six capital letters and digits. Rooms are made with it (controllers/rooms.py),
payloads are checked against it (validation.py), and it tells a game room from the other Socket.IO rooms a
socket is in (`watch:<nickname>`, announce.py; the rooms whose events are kept for recovery, moves/recovery.py).
"""

from __future__ import annotations

import re
import string

CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 6
CODE_PATTERN = rf"^[A-Za-z0-9]{{{CODE_LENGTH}}}$"  # as typed: validation upper-cases it
_CODE = re.compile(rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")


def is_room_code(name: object) -> bool:
    """Whether `name` is a game room's code (so a Socket.IO room by that name is a game room)."""
    return isinstance(name, str) and _CODE.fullmatch(name) is not None
