"""Logs keep secrets at every level: at DEBUG, signing up, signing in and playing log no password, no password
hash, no e-mail address and no token (the database driver logs whole documents at DEBUG: it is kept at INFO)."""

from __future__ import annotations

from pathlib import Path

from game_backend.testing import Player, rest

from ..servers import ServerProcess


async def test_a_debug_log_holds_no_password_hash_email_or_token(mongodb_uri: str, database_name: str,
                                                                 tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = await ServerProcess({"MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": database_name,
                                  "LOG_LEVEL": "DEBUG", "BCRYPT_ROUNDS": "4"}, log=log).start()
    email, password = "Secret.Person@Example.org", "correct horse battery"
    try:
        status, _ = await rest(server.url, "POST", "/api/users/signup",
                               body={"email": email, "nickname": "quiet", "pw": password})
        assert status == 201
        status, signed_in = await rest(server.url, "POST", "/api/users/login", body={"email": email, "pw": password})
        assert status == 200
        player = Player("quiet", signed_in["jwtoken"])
        await player.connect(server.url)
        _, room = await rest(server.url, "POST", "/api/rooms/create", player.token, {})
        assert (await player.call("joinRoom", {"nickname": "quiet", "code": room["code"]}))["ok"]
        await player.close()
    finally:
        server.stop()
    text = log.read_text()
    assert '"POST /api/users/login' in text  # the level was really DEBUG: it logs every HTTP request
    for secret in (email, email.lower(), password, "$2b$", signed_in["jwtoken"]):
        assert secret not in text, f"the DEBUG log holds {secret!r}"
